"""Where the evals keep their tables: every SQL statement of evals/ is in this package (db.py owns the schema).

One store per area, each over db.py's one Database: traces.py (runs, traces, run_answers), labels.py (labels,
preferences, the review queue), prompt_sets.py, failure_modes.py (modes and the human's edits), judge.py
(rubrics, judge verdicts). What the rows are — Trace, Label, Mode… — is in the evals module of the same name,
plain types that the screens import without loading SQLite.
"""

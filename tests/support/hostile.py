"""One hostile record for the untrusted-text tests: control sequences (ESC/CSI, OSC 52, OSC 8, C1, BEL), Rich
markup, Markdown images, links and backticks, and a URL with a password, in every field a trace has."""

from __future__ import annotations

import re

# Clear screen, clipboard write (OSC 52), a hyperlink (OSC 8), a one-byte CSI (C1), a bell.
CONTROLS = ("\x1b[2J\x1b]52;c;SGVsbG8=\x07\x1b]8;;http://evil.example\x1b\\HOSTILE-L\x1b]8;;\x1b\\"
            "\x9b31m\x85\x07")
MARKUP = "[bold red]HOSTILE-A[/bold red][link=http://evil.example]HOSTILE-B[/link]"
MARKDOWN = "![x](http://evil.example/p.png)[click](http://evil.example)`tick``"
HOSTILE = CONTROLS + MARKUP + MARKDOWN
PASSWORD_URL = "http://alice:S3cret@evil.example/v1"
BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def records() -> list[dict[str, object]]:
    base = {"prompt": "p " + HOSTILE, "output": "o " + HOSTILE, "model": "m " + HOSTILE,
            "endpoint": "e " + HOSTILE + " " + PASSWORD_URL, "run": "r-" + HOSTILE,
            "error": "cannot connect to " + PASSWORD_URL + " " + HOSTILE}
    notes = ["refused the json " + HOSTILE, "refused json again " + HOSTILE, "broken json " + HOSTILE]
    rows: list[dict[str, object]] = [{**base, "id": f"i{n}-" + CONTROLS + MARKUP, "verdict": "fail", "note": note,
                                      "tags": ["t-" + HOSTILE]} for n, note in enumerate(notes)]
    rows.append({**base, "id": "ok-" + CONTROLS + MARKUP, "verdict": "pass", "output": "fine"})
    return rows

"""Checks: deterministic graders of an answer against ground truth, run on every trace as it is stored and
again on demand (`modelpick checks`). A prompt carries its checks (`checks` in a prompt set, after the set's
default checks); a trace passes its checks when every check passes. Results are stored apart from the human
labels and the judge's verdicts (stores/checks.py), one row per trace × check with a one-line reason.

Plain: no IO. spec.py reads a prompt set's field into `Check`s (`parse_checks`: a ValueError is that row's
error, with its line); graders.py runs them on one answer (`grade`); text.py reads numbers and JSON in answers and
quotes values in reasons; patterns.py searches a user's regular expression, under a timeout where it could
backtrack for long; agreement.py sets checks beside the human labels and the judge. docs/checks.md lists the
types.
"""

from .agreement import UNSETTLED_WHY, CheckAgreement, agreement, unsettled_first, unsettled_rank
from .graders import Answer, CheckResult, Reason, grade, verdict_of
from .patterns import REGEX_TIMEOUT_S
from .spec import MAX_REGEX_CHARS, NEEDS_REFERENCE, TYPES, Check, CheckError, hold_to_reference, parse_checks
from .text import json_difference, parse_json_answer

__all__ = [
    "MAX_REGEX_CHARS", "NEEDS_REFERENCE", "REGEX_TIMEOUT_S", "TYPES", "UNSETTLED_WHY", "Answer", "Check",
    "CheckAgreement", "CheckError", "CheckResult", "Reason", "agreement", "grade", "hold_to_reference",
    "json_difference", "parse_checks", "parse_json_answer", "unsettled_first", "unsettled_rank", "verdict_of",
]

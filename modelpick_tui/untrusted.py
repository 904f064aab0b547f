"""Untrusted text (model cards, Hub metadata, model output) made safe to show in a terminal.

Terminal control sequences are replaced by visible symbols so that none can take effect; Rich
markup is neutralised by the UI, which only ever wraps such text in `Text`/`Content` objects.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates can make text display in an order other than it reads.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ESC → ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}"  # C1 controls (0x9b is a one-byte CSI on some terminals)


def clean(text: str | None) -> str:
    """Replace every control character except newline and tab with a visible stand-in."""
    if not text:
        return ""
    text = _CONTROL.sub(_visible, text.replace("\r\n", "\n"))
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace (newlines included) collapsed to single spaces, cut to `limit` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# What JSON may carry raw (json.dumps escapes only U+0000-U+001F) but a terminal could act on: DEL, the C1
# controls (U+009B is a one-character CSI) and the bidi overrides.
_JSON_RAW = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_text(text: str) -> str:
    """JSON text (json.dumps output, ensure_ascii=False) safe to print: the characters above as \\uXXXX
    escapes, which only occur inside its strings, so the JSON decodes to the same values."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

"""Small display helpers shared by the screens (pure; no IO)."""

from __future__ import annotations

from rich.text import Text

from ..untrusted import clean

TASK_SHORT = {
    "text-generation": "text-gen",
    "image-text-to-text": "image-text",
    "feature-extraction": "embedding",
    "sentence-similarity": "sent-sim",
    "text-classification": "classify",
    "automatic-speech-recognition": "asr",
    "text2text-generation": "text2text",
    "visual-question-answering": "vqa",
}


def compact(n: int | None) -> str:
    """1234567 → '1.2M'."""
    if n is None:
        return "?"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            value = n / scale
            return f"{value:.0f}{suffix}" if value >= 100 else f"{value:.1f}{suffix}"
    return str(n)


def safe(text: object, style: str = "") -> Text:
    """Untrusted text as a Text object: markup is not parsed, control sequences are made visible."""
    return Text(clean(str(text) if text is not None else ""), style=style)


def task_short(task: str) -> str:
    return TASK_SHORT.get(task, task)

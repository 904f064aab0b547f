"""Model card (README.md) -> facts: metadata, evaluation results and a documentation checklist (whose rules
are in card_checklist.py).

Headless core: no textual import, no work at import time. Parsing uses huggingface_hub's own ModelCard so
the metadata matches what the Hub shows; anything it refuses (invalid YAML, odd types, a broken
model-index) is recovered here and reported in ``CardFacts.warnings`` instead of raising.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from .card_checklist import checklist, read_sections
from .facts import CardFacts, EvalRow

# Same front-matter regex as huggingface_hub.repocard (kept in sync with the Hub server), used only when
# ModelCard itself gives up, so the body we return is cut exactly where the Hub would cut it.
_FRONT_MATTER = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")


# ----------------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------------


class _Capture(logging.Filter):
    """Turns huggingface_hub's log warnings into our warnings, for this thread only.

    The library logs to stderr through its own handler, which would scribble over a running TUI.
    """

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread:
            return True  # another thread's parse: its own filter deals with it
        self.messages.append(record.getMessage())
        return False


_HF_LOGGERS = ("huggingface_hub.repocard", "huggingface_hub.repocard_data")


@contextmanager
def _captured_hf_logs() -> Iterator[_Capture]:
    capture = _Capture()
    loggers = [logging.getLogger(name) for name in _HF_LOGGERS]
    for lg in loggers:
        lg.addFilter(capture)
    try:
        yield capture
    finally:
        for lg in loggers:
            lg.removeFilter(capture)


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value if v is not None]
        return ", ".join(parts) or None
    text = str(value).strip()
    return text or None


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if item is None or isinstance(item, dict | list):
            continue
        text = str(item).strip()
        if text and text not in out:
            out.append(text)
    return out


def _value(raw: Any) -> float | str:
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, int | float):
        return float(raw)
    return str(raw)


def _eval_rows(eval_results: Any) -> list[EvalRow]:
    rows: list[EvalRow] = []
    for r in eval_results or []:
        try:
            rows.append(
                EvalRow(
                    task=str(r.task_name or r.task_type),
                    dataset=str(r.dataset_name or r.dataset_type),
                    metric=str(r.metric_name or r.metric_type),
                    value=_value(r.metric_value),
                    verified=r.verified if isinstance(r.verified, bool) else None,
                    source=_str_or_none(r.source_name or r.source_url),
                )
            )
        except AttributeError:
            continue
    return rows


def _hf_card(text: str, warnings: list[str]) -> tuple[Any, str] | None:
    """ModelCard(text).data and .text, or None when huggingface_hub refuses the card."""
    from huggingface_hub import ModelCard  # lazy: keeps importing this module cheap

    with _captured_hf_logs() as capture:
        try:
            card = ModelCard(text, ignore_metadata_errors=True)
        except yaml.YAMLError:
            # ignore_metadata_errors does not cover YAML syntax: yaml.safe_load raises straight through.
            warnings.append("front matter is not valid YAML")
            return None
        except ValueError as exc:
            # A YAML block that is not a mapping, or eval results the library cannot validate.
            if "should be a dict" in str(exc):
                warnings.append("front matter is not a YAML mapping")
            else:
                warnings.append(f"front matter could not be used: {exc}")
            return None
        except Exception as exc:  # TypeError for non-string keys or odd tags, AttributeError in model-index
            warnings.append(f"front matter has unexpected values ({type(exc).__name__}: {exc})")
            return None
    for message in capture.messages:
        if "metadata block was not found" in message:
            warnings.append("no front matter (YAML metadata block) found")
        elif "model-index" in message or "eval_results" in message:
            warnings.append("model-index is malformed: evaluation results ignored")
        else:
            warnings.append(message)
    return card.data, card.text


def _fallback_data(text: str, warnings: list[str]) -> tuple[dict[str, Any], str]:
    """Salvage when ModelCard raised: split the front matter ourselves and keep the raw fields that load."""
    match = _FRONT_MATTER.search(text)
    if not match:
        return {}, text
    body = text[match.end() :]
    try:
        raw = yaml.safe_load(match.group(2))
    except yaml.YAMLError:
        return {}, body
    if not isinstance(raw, dict):
        return {}, body
    meta: dict[str, Any] = {str(k): v for k, v in raw.items() if k is not None}
    index = meta.pop("model-index", None)
    if index:
        from huggingface_hub.repocard_data import model_index_to_eval_results

        try:
            meta["eval_results"] = model_index_to_eval_results(index)[1]
        except Exception:
            warnings.append("model-index is malformed: evaluation results ignored")
    return meta, body


def parse_card(text: str) -> CardFacts:
    """Facts from a model card's Markdown (front matter + body). Never raises.

    The body is returned exactly as given after the front matter: Rich markup or ANSI escapes are left for
    the UI to neutralise when it renders.
    """
    warnings: list[str] = []
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = "" if text is None else str(text)

    got: tuple[Any, str] | None
    try:
        got = _hf_card(text, warnings)
    except Exception as exc:  # belt and braces: a library change must not break the catalogue
        warnings.append(f"model card could not be parsed: {type(exc).__name__}")
        got = None
    if got is None:
        try:
            got = _fallback_data(text, warnings)
        except Exception:
            got = ({}, text)
    data, body = got

    def get(name: str) -> Any:
        if isinstance(data, dict):
            return data.get(name)
        return getattr(data, name, None)

    facts = CardFacts(
        license=_str_or_none(get("license")),
        license_name=_str_or_none(get("license_name")),
        base_models=_str_list(get("base_model")),
        datasets=_str_list(get("datasets")),
        languages=_str_list(get("language")),
        pipeline_tag=_str_or_none(get("pipeline_tag")),
        library_name=_str_or_none(get("library_name")),
        tags=_str_list(get("tags")),
        eval_results=_eval_rows(get("eval_results")),
        body=body,
        warnings=warnings,
    )
    try:
        sections = read_sections(body)
    except Exception:  # regexes on pathological input: report, do not fail
        sections = []
        warnings.append("headings could not be read")
    facts.sections = [s.title for s in sections]
    facts.checklist = checklist(body, sections, bool(facts.eval_results))
    return facts


__all__ = ["parse_card"]

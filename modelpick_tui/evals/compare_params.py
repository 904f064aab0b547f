"""What a compare session sends with every prompt (a system prompt and sampling params, from the settings form)
and how many endpoints it takes. Plain: the session itself, which streams, is compare.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..serving.params import DEFAULT_MAX_TOKENS, TEMPERATURE_RANGE, TOP_P_RANGE, SamplingParams

__all__ = ["MAX_PANES", "MIN_PANES", "CompareError", "CompareParams", "parse_params"]

MIN_PANES, MAX_PANES = 2, 4


class CompareError(ValueError):
    """A compare action that cannot be done; the message is one line for the user."""


@dataclass(frozen=True)
class CompareParams:
    """The system prompt (None: none) and sampling params sent with every prompt."""

    system: str | None = None
    sampling: SamplingParams = SamplingParams(max_tokens=DEFAULT_MAX_TOKENS)

    def to_dict(self) -> dict[str, Any]:
        return {**({"system": self.system} if self.system else {}), **self.sampling.to_dict()}


def parse_params(fields: Mapping[str, str]) -> CompareParams:
    """Params from text fields (system, temperature, top_p, max_tokens, seed; "" = unset, max_tokens then
    DEFAULT_MAX_TOKENS: compare never asks for an unbounded answer); CompareError names the first bad field."""

    def number(key: str, kind: type, low: float | None = None, high: float | None = None) -> Any:
        text = (fields.get(key) or "").strip()
        if not text:
            return None
        try:
            value = kind(text)
        except ValueError:
            raise CompareError(f"{key}: {text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"{low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise CompareError(f"{key}: {text} is out of range ({bounds})")
        return value

    system = (fields.get("system") or "").strip() or None
    max_tokens = number("max_tokens", int, 1) or DEFAULT_MAX_TOKENS
    return CompareParams(system, SamplingParams(temperature=number("temperature", float, *TEMPERATURE_RANGE),
                                                top_p=number("top_p", float, *TOP_P_RANGE),
                                                max_tokens=max_tokens, seed=number("seed", int)))

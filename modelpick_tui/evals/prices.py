"""Prices as the user sets them: a kind of hardware's dollars an hour, an API's dollars per 1M tokens of a model,
and the hardware names they are set for (stored by evals/stores/cost.py; used by evals/cost.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MAX_HARDWARE = 120  # characters: an NVML name is ~30
SET_A_PRICE = "set a price"  # what a dollar figure says where no price is set: none is invented
SET_AN_API_PRICE = "set an API price"  # what the API comparison says where none is set and none was synced
USER, OPENROUTER = "user", "openrouter"  # where an API price comes from: `cost api-price`, or OpenRouter's list


class CostError(ValueError):
    """Bad input (a price, a workload, a budget, a hardware name): its text is the one line to show."""


_HARDWARE = re.compile(r"^\s*(\d+)\s*[x×]\s*(\S.*?)\s*$", re.IGNORECASE)


def normalise_hardware(text: str) -> str:
    """`cpu`, or `COUNTxGPU-NAME` as NVML names the GPU (`1xNVIDIA H100 80GB HBM3`): spaces collapsed, the count
    without leading zeros. Anything else is a CostError saying what is expected."""
    value = " ".join(str(text).split())
    if value.lower() == "cpu":
        return "cpu"
    match = _HARDWARE.match(value)
    if (not match or int(match.group(1)) < 1 or len(value) > _MAX_HARDWARE
            or any(not ch.isprintable() for ch in value)):
        raise CostError(f"hardware {value[:_MAX_HARDWARE]!r}: expected cpu or COUNTxGPU-NAME as NVML names the GPU, "
                        "e.g. '1xNVIDIA H100 80GB HBM3'")
    return f"{int(match.group(1))}x{match.group(2)}"


@dataclass(frozen=True)
class HardwarePrice:
    hardware: str
    usd_per_hour: float
    updated_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"hardware": self.hardware, "usd_per_hour": self.usd_per_hour, "updated_at": self.updated_at}


@dataclass(frozen=True)
class ApiPrice:
    """An API's price for the same model, dollars per 1M input and output tokens: the user's (`cost api-price`), or
    OpenRouter's from the last `catalog sync --source openrouter` (`source_id` its id there)."""

    model: str
    usd_per_1m_input: float
    usd_per_1m_output: float
    updated_at: str = ""  # when the user set it, or when OpenRouter's list was synced
    source: str = USER
    source_id: str | None = None

    @property
    def source_text(self) -> str:
        """Where the price comes from, in words: "OpenRouter (qwen/qwen3-8b), synced 2026-12-02"."""
        day = self.updated_at[:10]
        if self.source == OPENROUTER:
            return f"OpenRouter ({self.source_id}), synced {day or 'at an unknown date'}"
        return "set with cost api-price" + (f", {day}" if day else "")

    def per_request(self, in_tokens: float, out_tokens: float) -> float:
        """Dollars for one request of `in_tokens` in and `out_tokens` out."""
        return (in_tokens * self.usd_per_1m_input + out_tokens * self.usd_per_1m_output) / 1e6

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "usd_per_1m_input": self.usd_per_1m_input,
                "usd_per_1m_output": self.usd_per_1m_output, "updated_at": self.updated_at, "source": self.source,
                "source_id": self.source_id}


def money(value: float | None, missing: str = SET_A_PRICE) -> str:
    """Dollars as a person reads them: $0.0123, $1.23, $1,234."""
    if value is None:
        return missing
    if value >= 100:
        return f"${value:,.0f}"
    return f"${value:.2f}" if value >= 1 else f"${value:.4f}"


def volume(value: float | None) -> str:
    """A count as a person reads it: 1.2M, 340k, 12."""
    if value is None:
        return "never"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"

"""A latency SLO (service-level objective) a load test measures each request against: first token within
`ttft`, each later token within `tpot` on average, the whole answer within `e2e`. Written the way the user
writes it (`ttft=500ms,tpot=50ms,e2e=2s`) and stored normalised (milliseconds, fixed order), so two tests at the
same SLO compare as text."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_SLO = "ttft=500ms,tpot=50ms"
_KEYS = ("ttft", "tpot", "e2e")
_PART = re.compile(r"^\s*([a-z0-9]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s)\s*$")


class SloError(ValueError):
    """A malformed SLO string; its text is the one line to show."""


@dataclass(frozen=True)
class Slo:
    """The bounds, in milliseconds; None: not bounded."""

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2e_ms: float | None = None

    def __str__(self) -> str:
        """The normalised string (`ttft=500ms,tpot=50ms`): what is stored and compared."""
        parts = [(k, v) for k, v in zip(_KEYS, (self.ttft_ms, self.tpot_ms, self.e2e_ms), strict=True)
                 if v is not None]
        return ",".join(f"{k}={v:g}ms" for k, v in parts)

    def met(self, ttft_ms: float | None, tpot_ms: float | None, e2e_ms: float | None) -> bool:
        """Whether one answered request meets every bound. A request with no first token misses a TTFT bound;
        one with a single output token has no TPOT and cannot miss it."""
        if self.ttft_ms is not None and (ttft_ms is None or ttft_ms > self.ttft_ms):
            return False
        if self.tpot_ms is not None and tpot_ms is not None and tpot_ms > self.tpot_ms:
            return False
        return not (self.e2e_ms is not None and (e2e_ms is None or e2e_ms > self.e2e_ms))

    def words(self) -> str:
        """The bounds as a user says them: "first token < 500 ms and ≥ 20 tokens/s each"."""
        said = []
        if self.ttft_ms is not None:
            said.append(f"first token < {_ms(self.ttft_ms)}")
        if self.tpot_ms is not None:
            said.append(f"≥ {1000 / self.tpot_ms:.3g} tokens/s each")
        if self.e2e_ms is not None:
            said.append(f"the whole answer < {_ms(self.e2e_ms)}")
        return " and ".join(said)


def _ms(value: float) -> str:
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"


def parse_slo(text: str) -> Slo:
    """`ttft=500ms,tpot=50ms,e2e=2s` -> Slo (ms or s per bound; at least one bound, each once); SloError with
    one line saying what is wrong and what is expected."""
    expected = "expected bounds like ttft=500ms,tpot=50ms,e2e=2s (keys ttft, tpot, e2e; units ms or s)"
    if not text or not text.strip():
        raise SloError(f"empty SLO: {expected}")
    bounds: dict[str, float] = {}
    for part in text.split(","):
        m = _PART.match(part.lower())
        if m is None:
            raise SloError(f"cannot read SLO part {part.strip()[:40]!r}: {expected}")
        key, number, unit = m.groups()
        if key not in _KEYS:
            raise SloError(f"unknown SLO bound {key!r}: {expected}")
        if key in bounds:
            raise SloError(f"SLO bound {key!r} given twice: {expected}")
        value = float(number) * (1000 if unit == "s" else 1)
        if value <= 0:
            raise SloError(f"SLO bound {key!r} must be above zero: {expected}")
        bounds[key] = value
    return Slo(bounds.get("ttft"), bounds.get("tpot"), bounds.get("e2e"))

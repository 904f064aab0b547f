"""Cost: what a model costs to serve at the load it sustains within an SLO (its capacity, evals/load.py), on the
hardware it ran on, at the hourly price the user set (no invented default prices: none set, none shown).

Pure arithmetic over a capacity result, a price, a workload and an API price; the prices are stored by
evals/stores/cost.py, and read with the capacities (and OpenRouter's synced API prices) by evals/cost_lookup.py.
Every formula here has a test with the hand arithmetic beside it (tests/unit/test_cost.py):

- $ per 1M output tokens = hourly price ÷ (output tokens/s at capacity × 3600) × 1e6; per 1M requests alike
  with requests/s.
- replicas = ⌈max(workload requests/s ÷ capacity requests/s, workload output tokens/s ÷ capacity output
  tokens/s)⌉: the load test's requests had its own lengths; a workload with longer answers is bound by tokens.
  A fleet behind a gateway: GPUs = replicas × the GPUs of one replica (`2xNVIDIA H100…` → 2 each).
- monthly cost = replicas × hourly price × 730 h (365 × 24 / 12).
- break-even against an API: one replica costs P a month and serves at most V₁ requests a month; a request
  costs a at the API's prices. Self-hosting is first cheaper at P / a; past each step where a replica is added
  the API can be cheaper again, for k replicas' worth of volume while k < P / (a·V₁ − P); above
  (k* + 1)·P / a it is always cheaper. With a·V₁ ≤ P it never is (a full replica costs more per request).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from .prices import SET_A_PRICE, SET_AN_API_PRICE, ApiPrice, CostError, money, normalise_hardware, volume

HOURS_PER_MONTH = 730.0  # 365 × 24 / 12: what cloud providers bill a month as
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0
NOT_MEASURED = "not measured"


class Capacity(Protocol):
    """What cost needs of a load test's result (evals/load/result.py's LoadResult has these fields)."""

    @property
    def model(self) -> str | None: ...
    @property
    def hardware(self) -> str | None: ...
    @property
    def slo(self) -> str | None: ...
    @property
    def capacity_concurrency(self) -> int | None: ...
    @property
    def capacity_rps(self) -> float | None: ...
    @property
    def capacity_output_tps(self) -> float | None: ...
    @property
    def capacity_total_tps(self) -> float | None: ...


# --- parsing ---------------------------------------------------------------------------------------------

_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9}
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)\s*([kmbg]?)"


def gpus_per_replica(hardware: str) -> int:
    """How many GPUs one replica on `hardware` uses (0 for cpu)."""
    hw = normalise_hardware(hardware)
    return 0 if hw == "cpu" else int(hw.split("x", 1)[0])


def _amount(text: str, what: str, example: str, *, zero: bool = False) -> float:
    match = re.fullmatch(r"\s*\$?\s*" + _NUMBER + r"\s*", text, re.IGNORECASE)
    value = float(match.group(1)) * _SCALE[match.group(2).lower()] if match else math.nan
    if not match or not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise CostError(f"{what} {text.strip()[:40]!r}: expected a positive number of dollars, e.g. {example}")
    return value


def parse_price(text: str | float) -> float:
    """An hourly price in dollars ("2.49", "$2.49", "2.49/h"); a CostError for anything else."""
    raw = str(text)
    return _amount(re.sub(r"\s*/\s*(h|hr|hour)\s*$", "", raw, flags=re.IGNORECASE), "price per hour", "2.49")


def parse_token_price(text: str) -> float:
    """An API's dollars per 1M tokens ("0.60", "$0.6"); 0 is a price (free input)."""
    return _amount(text, "price per 1M tokens", "0.60", zero=True)


def parse_budget(text: str) -> float:
    """A budget in dollars a month: "3000/month", "$3k/month", "36000/year" (÷ 12), "3000" (a month)."""
    match = re.fullmatch(r"(.*?)\s*(?:/\s*(month|mo|year|yr))?\s*", text, re.IGNORECASE)
    assert match is not None  # the pattern matches any text
    amount = _amount(match.group(1), "budget", "3000/month")
    return amount / 12 if (match.group(2) or "").lower() in ("year", "yr") else amount


@dataclass(frozen=True)
class Workload:
    """What the user says the fleet must serve: a request rate or a token volume a month, and optionally the
    tokens of a request in and out (else the load test's own mix is used)."""

    text: str
    rps: float | None = None  # requests per second
    tokens_per_month: float | None = None  # input + output tokens a month
    in_tokens: float | None = None
    out_tokens: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.text, "rps": self.rps, "tokens_per_month": self.tokens_per_month,
                "in_tokens": self.in_tokens, "out_tokens": self.out_tokens}


_WORKLOAD_HELP = ("expected a rate and optional tokens per request, e.g. 2rps,in=800,out=300 (rates: Nrps, Nrpm, "
                  "Nreq/month, Ntok/month; k/M/B suffixes)")


def parse_workload(text: str) -> Workload:
    """`2rps,in=800,out=300`, `120rpm`, `5M req/month`, `10Mtok/month,in=800,out=300`: one rate first, then
    in= and out= (tokens per request), each once. A CostError (one line) for anything else."""
    parts = [p.strip() for p in str(text).split(",")]
    shown = " ".join(str(text).split())[:80]
    if not parts or not parts[0]:
        raise CostError(f"workload {shown!r}: {_WORKLOAD_HELP}")
    rate = re.fullmatch(_NUMBER + r"\s*(rps|rpm|req\s*/\s*month|tok(?:ens)?\s*/\s*month)", parts[0], re.IGNORECASE)
    if rate is None:
        raise CostError(f"workload {shown!r}: {_WORKLOAD_HELP}")
    value = float(rate.group(1)) * _SCALE[rate.group(2).lower()]
    unit = re.sub(r"\s", "", rate.group(3).lower())
    sizes: dict[str, float] = {}
    for part in parts[1:]:
        key, eq, amount = part.partition("=")
        key = key.strip().lower()
        size = re.fullmatch(_NUMBER, amount.strip(), re.IGNORECASE) if eq else None
        if key not in ("in", "out") or size is None or key in sizes:
            raise CostError(f"workload {shown!r}: {part!r} is not in=N or out=N (once each); {_WORKLOAD_HELP}")
        sizes[key] = float(size.group(1)) * _SCALE[size.group(2).lower()]
    if value <= 0 or sizes.get("out", 1) <= 0 or sizes.get("in", 0) < 0:
        raise CostError(f"workload {shown!r}: the rate and out= must be above 0, e.g. 2rps,in=800,out=300")
    rps = {"rps": value, "rpm": value / 60, "req/month": value / SECONDS_PER_MONTH}.get(unit)
    tokens = value if unit.startswith("tok") else None
    return Workload(shown, rps=rps, tokens_per_month=tokens, in_tokens=sizes.get("in"), out_tokens=sizes.get("out"))


# --- the arithmetic --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A workload resolved against a capacity result: requests/s and the tokens of one request."""

    rps: float
    in_tokens: float | None  # None: not given, and the load test did not count input tokens (llama.cpp)
    out_tokens: float
    mix_from_test: bool  # in/out were the load test's own mix, not given

    @property
    def requests_per_month(self) -> float:
        return self.rps * SECONDS_PER_MONTH

    @property
    def tokens_per_month(self) -> float | None:
        return None if self.in_tokens is None else self.requests_per_month * (self.in_tokens + self.out_tokens)


def test_mix(cap: Capacity) -> tuple[float | None, float] | None:
    """The tokens in and out of the load test's average request at capacity: (total − output) tokens/s ÷
    requests/s, and output tokens/s ÷ requests/s. None where the test did not measure them; the input None where
    it counted no input tokens (a server without `usage`: total tokens/s unknown)."""
    rps, out_tps, total_tps = cap.capacity_rps, cap.capacity_output_tps, cap.capacity_total_tps
    if not rps or not out_tps:
        return None
    return ((total_tps - out_tps) / rps if total_tps and total_tps > out_tps else None), out_tps / rps


def shape(workload: Workload, cap: Capacity | None) -> Shape:
    """The workload's requests/s and request size: in/out as given, else the load test's mix (a CostError when
    neither says them and they are needed: a token volume has no rate without a request size)."""
    mix = test_mix(cap) if cap is not None else None
    given = workload.in_tokens is not None and workload.out_tokens is not None
    in_tokens = workload.in_tokens if workload.in_tokens is not None else (mix[0] if mix else None)
    out_tokens = workload.out_tokens if workload.out_tokens is not None else (mix[1] if mix else None)
    if out_tokens is None or (in_tokens is None and workload.rps is None):
        raise CostError(f"workload {workload.text!r}: give in= and out= (tokens per request): there is no load "
                        "test whose requests could stand for them (or it counted no input tokens)")
    if workload.rps is not None:
        rps = workload.rps
    else:
        assert workload.tokens_per_month is not None and in_tokens is not None
        rps = workload.tokens_per_month / (in_tokens + out_tokens) / SECONDS_PER_MONTH
    return Shape(rps, in_tokens, out_tokens, mix_from_test=not given)


def per_million(usd_per_hour: float, per_second: float) -> float | None:
    """Dollars per 1M units (tokens, requests) at `per_second` of them: hourly price ÷ units per hour × 1e6."""
    return None if per_second <= 0 else usd_per_hour / (per_second * 3600.0) * 1e6


def replicas_ratio(load: Shape, cap: Capacity) -> tuple[float, str]:
    """Replicas per request/s of `load` (unrounded) and the bound that sets it: 1 ÷ capacity requests/s, or
    output tokens per request ÷ capacity output tokens/s when the workload's answers make that larger."""
    rps, out_tps = cap.capacity_rps or 0.0, cap.capacity_output_tps or 0.0
    if rps <= 0:
        raise CostError("no capacity at this SLO: the load test met it at no concurrency")
    by_requests = 1.0 / rps
    by_tokens = load.out_tokens / out_tps if out_tps > 0 else 0.0
    return (by_tokens, "output tokens/s") if by_tokens > by_requests else (by_requests, "requests/s")


def replicas_needed(load: Shape, cap: Capacity) -> tuple[int, str]:
    """Replicas behind a gateway for `load`, and the bound that set it ("requests/s" or "output tokens/s")."""
    ratio, bound = replicas_ratio(load, cap)
    # A ratio a hair over a whole number from float division (2.0000000001) is that number.
    return max(1, math.ceil(round(load.rps * ratio, 9))), bound


@dataclass(frozen=True)
class BreakEven:
    """Where self-hosting beats the API, in requests a month (None: never, at these prices)."""

    first_cheaper: float | None  # the smallest volume where one replica costs less than the API
    always_cheaper: float | None  # above this, every volume costs less self-hosted
    request_tokens: float  # in + out tokens of one request, to say the volumes in tokens

    def to_json(self) -> dict[str, Any]:
        tok = self.request_tokens
        return {"first_cheaper_requests_per_month": _r(self.first_cheaper),
                "always_cheaper_requests_per_month": _r(self.always_cheaper),
                "always_cheaper_tokens_per_month": _r(None if self.always_cheaper is None
                                                      else self.always_cheaper * tok)}


def break_even(usd_per_hour: float, cap: Capacity, load: Shape, api: ApiPrice) -> BreakEven:
    """The monthly volume above which self-hosting is cheaper than `api` (the module's docstring has the
    reasoning): one replica costs P = price × 730 a month and serves V₁ = capacity requests/s × seconds a month."""
    replica_month = usd_per_hour * HOURS_PER_MONTH
    in_tokens = load.in_tokens or 0.0  # estimate() asks for in= before it compares with an API
    per_request = api.per_request(in_tokens, load.out_tokens)
    full = SECONDS_PER_MONTH / replicas_ratio(load, cap)[0]  # V₁: requests a month one replica serves
    tokens = in_tokens + load.out_tokens
    if per_request <= 0 or per_request * full <= replica_month:
        return BreakEven(None, None, tokens)
    last_step = math.ceil(replica_month / (per_request * full - replica_month)) - 1  # k*
    return BreakEven(replica_month / per_request, (last_step + 1) * replica_month / per_request, tokens)


@dataclass
class CostFigures:
    """One capacity result priced: unit costs and, for a workload, the fleet and its monthly cost. A figure
    that cannot be had says why in `missing` ("set a price", "not measured", "hardware unknown")."""

    model: str
    hardware: str | None
    slo: str | None
    capacity_concurrency: int | None
    capacity_rps: float | None
    capacity_output_tps: float | None
    usd_per_hour: float | None = None
    price_from: str | None = None  # the price set for other hardware it was scaled from ("1xNVIDIA H100… × 2")
    usd_per_1m_output_tokens: float | None = None
    usd_per_1m_requests: float | None = None
    missing: str | None = None  # why the $ figures are absent
    workload: Workload | None = None
    load: Shape | None = None
    replicas: int | None = None
    bound_by: str | None = None
    gpus: int | None = None
    monthly_usd: float | None = None
    api: ApiPrice | None = None
    api_monthly_usd: float | None = None
    break_even: BreakEven | None = None
    api_missing: str | None = None  # why the API comparison is absent
    target: float | None = None  # the share of requests the load test required to meet the SLO
    levels: list[Any] = field(default_factory=list)  # the load test's levels (evals/load/result.py LoadLevel)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model, "hardware": self.hardware, "slo": self.slo,
            "capacity_concurrency": self.capacity_concurrency, "capacity_rps": _r(self.capacity_rps),
            "capacity_output_tps": _r(self.capacity_output_tps), "usd_per_hour": self.usd_per_hour,
            "price_from": self.price_from,
            "usd_per_1m_output_tokens": _r(self.usd_per_1m_output_tokens),
            "usd_per_1m_requests": _r(self.usd_per_1m_requests), "missing": self.missing}
        if self.workload is not None:
            load = self.load
            out.update(self.workload.to_json())
            out.update({"workload_rps": _r(load.rps) if load else None,
                        "workload_in_tokens": _r(load.in_tokens) if load else None,
                        "workload_out_tokens": _r(load.out_tokens) if load else None,
                        "request_mix_from_load_test": load.mix_from_test if load else None,
                        "replicas": self.replicas, "bound_by": self.bound_by, "gpus": self.gpus,
                        "monthly_usd": _r(self.monthly_usd, 2)})
        out["api_price_source"] = self.api.source_text if self.api is not None else None
        if self.api is not None:
            out["api_price"] = self.api.to_json()
            out["api_monthly_usd"] = _r(self.api_monthly_usd, 2)
            out["break_even"] = self.break_even.to_json() if self.break_even else None
        out["api_missing"] = self.api_missing if self.api is not None else SET_AN_API_PRICE
        return out


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def estimate(cap: Capacity | None, usd_per_hour: float | None, workload: Workload | None = None,
             api: ApiPrice | None = None, *, model: str = "") -> CostFigures:
    """Price one capacity result (None: the model was never load-tested: "not measured"). No price: the
    capacity and fleet figures stand, the $ ones say "set a price"."""
    if cap is None:
        return CostFigures(model, None, None, None, None, None, missing=NOT_MEASURED, workload=workload, api=api)
    fig = CostFigures(model or cap.model or "", cap.hardware, cap.slo, cap.capacity_concurrency, cap.capacity_rps,
                      cap.capacity_output_tps, usd_per_hour=usd_per_hour, workload=workload, api=api,
                      target=getattr(cap, "target", None), levels=list(getattr(cap, "levels", None) or []))
    if not cap.capacity_rps:
        fig.missing = "no capacity at this SLO"
        return fig
    if usd_per_hour is None:
        fig.missing = SET_A_PRICE if cap.hardware else "hardware unknown: give --hardware"
    else:
        fig.usd_per_1m_output_tokens = per_million(usd_per_hour, cap.capacity_output_tps or 0.0)
        fig.usd_per_1m_requests = per_million(usd_per_hour, cap.capacity_rps)
    if workload is not None:
        fig.load = shape(workload, cap)
        fig.replicas, fig.bound_by = replicas_needed(fig.load, cap)
        if cap.hardware:
            fig.gpus = fig.replicas * gpus_per_replica(cap.hardware)
        if usd_per_hour is not None:
            fig.monthly_usd = fig.replicas * usd_per_hour * HOURS_PER_MONTH
        if api is not None and fig.load.in_tokens is None:
            fig.api_missing = "give in= in --workload: the load test counted no input tokens"
        elif api is not None:
            per_request = api.per_request(fig.load.in_tokens or 0.0, fig.load.out_tokens)
            fig.api_monthly_usd = fig.load.requests_per_month * per_request
            if usd_per_hour is not None:
                fig.break_even = break_even(usd_per_hour, cap, fig.load, api)
            else:
                fig.api_missing = SET_A_PRICE
    return fig


def api_words(fig: CostFigures) -> str:
    """The API comparison of one model in a sentence, with where its price comes from (the CLI's notes and the
    report): "the API ($0.035 in / $0.138 out per 1M; OpenRouter (qwen/qwen3-8b), synced …) costs $91/month at
    this workload; self-hosting is cheaper above 1.2B tokens (1.2M requests) a month"."""
    api = fig.api
    if api is None:
        return (f"no API price to compare with: {SET_AN_API_PRICE} (modelpick cost api-price MODEL IN OUT) or sync "
                "OpenRouter's (modelpick catalog sync --source openrouter)")
    line = (f"the API (${api.usd_per_1m_input:g} in / ${api.usd_per_1m_output:g} out per 1M; {api.source_text})")
    if fig.workload is None:
        return line + ": give a workload to compare (--workload 2rps,in=800,out=300)"
    if fig.load is None:
        return line + ": no capacity to compare with"
    if fig.api_monthly_usd is None:
        return f"{line}: {fig.api_missing or 'not compared'}"
    line += f" costs {money(fig.api_monthly_usd)}/month at this workload"
    be = fig.break_even
    if be is None:
        return line + "; set a price for the hardware to compare"
    if be.always_cheaper is None:
        return line + "; self-hosting is never cheaper at these prices"
    return (line + f"; self-hosting is cheaper above {volume(be.always_cheaper * be.request_tokens)} tokens "
            f"({volume(be.always_cheaper)} requests) a month")

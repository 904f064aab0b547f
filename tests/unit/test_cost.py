"""evals/cost.py: every formula against hand arithmetic written out beside it, and the parsers' one-line errors."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from modelpick_tui.evals.cost import (
    HOURS_PER_MONTH,
    SECONDS_PER_MONTH,
    Shape,
    break_even,
    estimate,
    gpus_per_replica,
    parse_budget,
    parse_price,
    parse_workload,
    per_million,
    replicas_needed,
    shape,
)
from modelpick_tui.evals.prices import ApiPrice, CostError, normalise_hardware


@dataclass
class Cap:
    """A capacity result as evals/load.py stores it (the fields cost reads)."""

    model: str = "m"
    hardware: str | None = "1xNVIDIA H100 80GB HBM3"
    slo: str | None = "ttft<=500ms,tpot<=50ms"
    capacity_concurrency: int | None = 8
    capacity_rps: float | None = 2.0
    capacity_output_tps: float | None = 500.0
    capacity_total_tps: float | None = 2100.0


def test_month_is_730_hours() -> None:
    assert HOURS_PER_MONTH == 365 * 24 / 12 == 730
    assert SECONDS_PER_MONTH == 730 * 3600 == 2_628_000


def test_dollars_per_million_output_tokens_and_requests() -> None:
    # $2.49/h at 500 output tokens/s: 500 × 3600 = 1,800,000 tokens an hour; 2.49 / 1.8 = $1.3833 per 1M.
    assert per_million(2.49, 500) == pytest.approx(1.383333, rel=1e-6)
    # At 2 requests/s: 7,200 requests an hour; 2.49 / 7200 × 1e6 = $345.83 per 1M requests.
    assert per_million(2.49, 2.0) == pytest.approx(345.8333, rel=1e-6)
    assert per_million(2.49, 0) is None
    fig = estimate(Cap(), 2.49)
    assert fig.usd_per_1m_output_tokens == pytest.approx(1.383333, rel=1e-6)
    assert fig.usd_per_1m_requests == pytest.approx(345.8333, rel=1e-6)


def test_load_test_mix_stands_for_the_request_size() -> None:
    # 500 output tokens/s over 2 requests/s = 250 out; (2100 − 500) / 2 = 800 in.
    load = shape(parse_workload("3rps"), Cap())
    assert (load.rps, load.in_tokens, load.out_tokens, load.mix_from_test) == (3, 800, 250, True)
    given = shape(parse_workload("3rps,in=100,out=50"), Cap())
    assert (given.in_tokens, given.out_tokens, given.mix_from_test) == (100, 50, False)


def test_replicas_by_requests_and_by_tokens() -> None:
    # 3 req/s at 250 out (the test's mix): 3 / 2 = 1.5 → 2 replicas; 3 × 250 = 750 tok/s / 500 = 1.5 as well.
    assert replicas_needed(Shape(3, 800, 250, True), Cap()) == (2, "requests/s")
    # 3 req/s at 600 out: 3 × 600 = 1,800 tok/s / 500 = 3.6 → 4 replicas, bound by tokens (requests say 1.5).
    assert replicas_needed(Shape(3, 800, 600, False), Cap()) == (4, "output tokens/s")
    # Exactly 2 × capacity is 2 replicas, not 3 (no float crumbs): 4 / 2.
    assert replicas_needed(Shape(4, 800, 250, True), Cap()) == (2, "requests/s")
    # A trickle is still one replica.
    assert replicas_needed(Shape(0.001, 10, 10, False), Cap())[0] == 1


def test_fleet_gpus_and_monthly_cost() -> None:
    # 5 req/s at 250 out on 2xH100 replicas (capacity 2 req/s): ⌈5 / 2⌉ = 3 replicas × 2 GPUs = 6 GPUs;
    # 3 × $4.98/h × 730 h = $10,906.20 a month.
    fig = estimate(Cap(hardware="2xNVIDIA H100 80GB HBM3"), 4.98, parse_workload("5rps"))
    assert (fig.replicas, fig.gpus) == (3, 6)
    assert fig.monthly_usd == pytest.approx(10_906.20)
    assert gpus_per_replica("cpu") == 0 and gpus_per_replica("8xNVIDIA H200") == 8


def test_tokens_per_month_workload() -> None:
    # 52.56B tokens a month of 800 in + 200 out = 52.56M requests a month; / 2,628,000 s = 20 req/s.
    load = shape(parse_workload("52.56Btok/month,in=800,out=200"), Cap())
    assert load.rps == pytest.approx(20.0)
    assert load.tokens_per_month == pytest.approx(52.56e9)
    # 20 req/s over 2 per replica = 10 replicas; 20 × 200 = 4,000 tok/s over 500 = 8: requests bind.
    assert replicas_needed(load, Cap()) == (10, "requests/s")


def test_break_even_against_an_api() -> None:
    # One replica: $2.49/h × 730 = $1,817.70 a month; it serves 2 req/s × 2,628,000 = 5,256,000 requests.
    # API at $0.20 in / $0.60 out per 1M for 800 in + 250 out: (800 × 0.20 + 250 × 0.60) / 1e6 = $0.00031 a request.
    # First cheaper at 1,817.70 / 0.00031 = 5,863,548 requests — above one replica's 5,256,000, so a full
    # replica costs more per request than the API (5,256,000 × 0.00031 = $1,629.36 < $1,817.70): never.
    cap, load = Cap(), Shape(2, 800, 250, True)
    api = ApiPrice("m", 0.20, 0.60)
    assert api.per_request(800, 250) == pytest.approx(0.00031)
    assert break_even(2.49, cap, load, api).always_cheaper is None
    # At $1.00 in / $3.00 out: $0.00155 a request. P / a = 1,817.70 / 0.00155 = 1,172,709.7 requests.
    # a·V₁ − P = 5,256,000 × 0.00155 − 1,817.70 = 8,146.80 − 1,817.70 = 6,329.10; P / that = 0.2872 → k* = 0:
    # past the first replica the API is never cheaper again, so "always" is the first crossing.
    dear = ApiPrice("m", 1.0, 3.0)
    be = break_even(2.49, cap, load, dear)
    assert be.first_cheaper == pytest.approx(1_172_709.68, rel=1e-6)
    assert be.always_cheaper == pytest.approx(1_172_709.68, rel=1e-6)
    # In tokens: × (800 + 250) = 1,231,345,161 tokens a month.
    assert be.to_json()["always_cheaper_tokens_per_month"] == pytest.approx(1_231_345_161, rel=1e-6)


def test_break_even_past_replica_steps() -> None:
    # A dear replica and a cheap-ish API: P = $7.30/h × 730 = $5,329 a month; V₁ = 1 req/s × 2,628,000.
    # a = (0 × 0 + 1000 × 2.5) / 1e6 = $0.0025 a request; a·V₁ = $6,570; a·V₁ − P = 1,241; P / 1,241 = 4.294 →
    # k* = ⌈4.294⌉ − 1 = 4: just past 4 full replicas (10,512,000 requests) the API is cheaper again;
    # above (4 + 1) × 5,329 / 0.0025 = 10,658,000 requests a month self-hosting is always cheaper.
    cap = Cap(capacity_rps=1.0, capacity_output_tps=1000.0, capacity_total_tps=1000.0)
    be = break_even(7.30, cap, Shape(1, 0, 1000, False), ApiPrice("m", 0.0, 2.5))
    assert be.first_cheaper == pytest.approx(2_131_600)  # 5,329 / 0.0025
    assert be.always_cheaper == pytest.approx(10_658_000)
    # The claim itself, checked at volumes either side: cost of ⌈V / V₁⌉ replicas vs the API.
    import math

    def self_hosted(v: float) -> float:
        return math.ceil(v / 2_628_000) * 5_329

    assert self_hosted(10_600_000) > 10_600_000 * 0.0025  # 5 replicas $26,645 vs API $26,500: API cheaper
    assert all(self_hosted(v) < v * 0.0025 for v in (10_700_000, 13_000_000, 50_000_000))


def test_no_price_no_capacity_not_measured() -> None:
    fig = estimate(Cap(), None, parse_workload("5rps"))
    assert fig.missing == "set a price" and fig.usd_per_1m_output_tokens is None and fig.monthly_usd is None
    assert fig.replicas == 3  # the fleet stands without a price
    assert estimate(None, 2.0, model="x").missing == "not measured"
    assert estimate(Cap(capacity_concurrency=0, capacity_rps=0.0), 2.0).missing == "no capacity at this SLO"
    assert estimate(Cap(hardware=None), None).missing == "hardware unknown: give --hardware"


@pytest.mark.parametrize(("text", "rps", "tokens", "size"), [
    ("2rps", 2.0, None, (None, None)),
    ("2rps,in=800,out=300", 2.0, None, (800, 300)),
    ("120rpm", 2.0, None, (None, None)),
    ("2.628M req/month", 1.0, None, (None, None)),
    ("10Mtok/month,in=1k,out=200", None, 10e6, (1000, 200)),
    (" 0.5 RPS , OUT=64 ", 0.5, None, (None, 64)),
])
def test_workload_parsing(text: str, rps: float | None, tokens: float | None, size: tuple) -> None:
    w = parse_workload(text)
    assert w.rps == (None if rps is None else pytest.approx(rps))
    assert w.tokens_per_month == tokens and (w.in_tokens, w.out_tokens) == size


@pytest.mark.parametrize("text", ["", "fast", "2", "2rps,in=", "2rps,in=8,in=9", "2rps,warp=9", "0rps",
                                  "2rps,out=0", "-1rps", "2 rps in=800"])
def test_bad_workload_is_one_line(text: str) -> None:
    with pytest.raises(CostError) as err:
        parse_workload(text)
    assert "\n" not in str(err.value) and "2rps,in=800,out=300" in str(err.value)


def test_token_volume_needs_a_request_size_without_a_load_test() -> None:
    with pytest.raises(CostError, match="give in= and out="):
        shape(parse_workload("10Mtok/month"), None)


def test_prices_budgets_hardware() -> None:
    assert parse_price("2.49") == 2.49 and parse_price("$2.49/h") == 2.49 and parse_price(" 3 / hour") == 3
    assert parse_budget("3000/month") == 3000 and parse_budget("$3k/month") == 3000
    assert parse_budget("36000/year") == 3000 and parse_budget("3000") == 3000
    for bad in ("free", "-2", "0", "nan", "1e999", "2.49/day"):
        with pytest.raises(CostError):
            parse_price(bad)
    with pytest.raises(CostError, match="3000/month"):
        parse_budget("lots/month")
    assert normalise_hardware("CPU") == "cpu"
    assert normalise_hardware(" 01 x  NVIDIA H100 80GB HBM3 ") == "1xNVIDIA H100 80GB HBM3"
    for bad in ("H100", "0xNVIDIA H100", "2x", "1xNVIDIA\x1b[31m", "1x" + "A" * 200):
        with pytest.raises(CostError, match="COUNTxGPU-NAME"):
            normalise_hardware(bad)


def test_a_test_without_input_counts_prices_the_fleet_but_not_the_api() -> None:
    # llama.cpp sends no usage: output counted by chunks, total tokens/s unknown, so no input mix.
    cap = Cap(capacity_total_tps=None)
    fig = estimate(cap, 2.49, parse_workload("5rps"), ApiPrice("m", 1.0, 3.0))
    assert fig.replicas == 3 and fig.load is not None and fig.load.in_tokens is None
    assert fig.api_monthly_usd is None and fig.api_missing.startswith("give in= in --workload")
    with pytest.raises(CostError, match="give in= and out="):
        shape(parse_workload("10Mtok/month"), cap)
    given = estimate(cap, 2.49, parse_workload("5rps,in=800,out=250"), ApiPrice("m", 1.0, 3.0))
    assert given.api_monthly_usd == pytest.approx(20_367.0)  # 5 × 2,628,000 × $0.00155

"""The break-even against an API uses the user's `cost api-price` when set, else OpenRouter's price of the same
model (linked by its `hugging_face_id`, any case), synced through the real `catalog sync --source openrouter` from
the fake OpenRouter (its real JSON shape: per-token prices as strings); each labelled with where it comes from, in
`cost show`, its --json (`api_price_source`) and the decision report. None set and none synced: "set an API
price", never a made-up one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.clock import today_iso
from modelpick_tui.evals.cost_lookup import openrouter_price
from modelpick_tui.services import Services
from tests.support.capacity import add_capacity, three_models
from tests.support.cli import run
from tests.support.openrouter_fake import FakeOpenRouter
from tests.support.traces import add_traces

H100 = "1xNVIDIA H100 80GB HBM3"


@pytest.fixture
def openrouter(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter() as fake:
        monkeypatch.setenv("MODELPICK_OPENROUTER_ENDPOINT", fake.api)
        yield fake


def cost_json(db: Path, *args: str) -> dict[str, dict]:
    result = run(db, "cost", "--json", *args)
    assert result.exit_code == 0, result.output
    return {r["model"]: r for r in map(json.loads, result.stdout.splitlines())}


def test_openrouter_price_when_none_is_set(services: Services, openrouter: FakeOpenRouter) -> None:
    db = services.settings.db_path
    # 2 req/s, 500 output tok/s, 2,100 tok/s in all: the test's mix is 800 in + 250 out a request.
    add_capacity(services, "Qwen/Qwen3-8B", hardware="cpu")
    add_capacity(services, "meta-llama/Llama-3.1-70B-Instruct")  # OpenRouter writes its id in lower case
    add_capacity(services, "small-cpu", hardware="cpu")  # hosted nowhere
    run(db, "cost", "price", "cpu", "0.10")
    run(db, "cost", "price", H100, "2.49")
    before = cost_json(db, "--workload", "5rps")
    assert before["Qwen/Qwen3-8B"]["api_price_source"] is None  # nothing synced, nothing set: none invented
    assert before["Qwen/Qwen3-8B"]["api_missing"] == "set an API price"
    assert "break_even" not in before["Qwen/Qwen3-8B"]
    synced = run(db, "catalog", "sync", "--source", "openrouter")
    assert synced.exit_code == 0, synced.output
    rows = cost_json(db, "--workload", "5rps")
    qwen, llama, small = rows["Qwen/Qwen3-8B"], rows["meta-llama/Llama-3.1-70B-Instruct"], rows["small-cpu"]
    # qwen/qwen3-8b, not its ":free" variant (rate-limited, $0): "0.000000035" $/token = $0.035 per 1M in, $0.138 out.
    assert qwen["api_price_source"] == f"OpenRouter (qwen/qwen3-8b), synced {today_iso()}"
    assert (qwen["api_price"]["usd_per_1m_input"], qwen["api_price"]["usd_per_1m_output"]) == (0.035, 0.138)
    assert qwen["api_price"]["source"] == "openrouter" and qwen["api_price"]["source_id"] == "qwen/qwen3-8b"
    # By hand: a request costs (800 × 0.035 + 250 × 0.138) / 1e6 = $0.0000625; 5 req/s × 2,628,000 s a month
    # = 13,140,000 requests = $821.25 a month at the API.
    assert qwen["api_monthly_usd"] == pytest.approx(821.25)
    # One cpu replica costs 0.10 × 730 = $73 a month and serves 2 × 2,628,000 = 5,256,000 requests (= $328.50 of
    # API calls): self-hosting is first cheaper at 73 / 0.0000625 = 1,168,000 requests, and as k* = ⌈73 / (328.5 −
    # 73)⌉ − 1 = 0, always above that.
    assert qwen["break_even"]["always_cheaper_requests_per_month"] == pytest.approx(1_168_000, abs=0.01)
    assert qwen["break_even"]["always_cheaper_tokens_per_month"] == pytest.approx(1_168_000 * 1050, abs=1)
    # meta-llama/llama-3.1-70b-instruct at $0.10 / $0.28: (800 × 0.1 + 250 × 0.28) / 1e6 = $0.00015 a request; a
    # full H100 replica serves $788.40 of API calls a month for $1,817.70: never cheaper at these prices.
    assert llama["api_price_source"] == f"OpenRouter (meta-llama/llama-3.1-70b-instruct), synced {today_iso()}"
    assert llama["break_even"]["always_cheaper_requests_per_month"] is None
    assert small["api_price_source"] is None and small["api_missing"] == "set an API price"
    text = " ".join(run(db, "cost", "--workload", "5rps").output.split())
    assert (f"Qwen/Qwen3-8B: the API ($0.035 in / $0.138 out per 1M; OpenRouter (qwen/qwen3-8b), synced "
            f"{today_iso()}) costs $821/month at this workload; self-hosting is cheaper above 1.23B tokens (1.17M "
            "requests) a month") in text
    assert "self-hosting is never cheaper at these prices" in text
    assert "small-cpu: no API price to compare with: set an API price (modelpick cost api-price MODEL IN OUT)" in text
    # The user's price wins over OpenRouter's, and says so: (800 × 1 + 250 × 3) / 1e6 = $0.00155 a request.
    run(db, "cost", "api-price", "Qwen/Qwen3-8B", "1.00", "3.00")
    mine = cost_json(db, "--workload", "5rps", "Qwen/Qwen3-8B")["Qwen/Qwen3-8B"]
    assert mine["api_price_source"] == f"set with cost api-price, {today_iso()}"
    assert mine["api_monthly_usd"] == pytest.approx(20_367.0)  # 13,140,000 × 0.00155
    # Without a workload the price and its source are shown; the volume needs a workload.
    plain = " ".join(run(db, "cost", "meta-llama/Llama-3.1-70B-Instruct").output.split())
    assert "OpenRouter (meta-llama/llama-3.1-70b-instruct), synced" in plain and "give a workload to compare" in plain


def test_the_report_compares_with_the_openrouter_price(services: Services, openrouter: FakeOpenRouter,
                                                       tmp_path: Path) -> None:
    db = services.settings.db_path
    three_models(services)  # 0.6B below the bar, 1.7B and 8B above it
    add_capacity(services, "Qwen/Qwen3-8B")
    services.prices.set_price(H100, 2.49)
    assert run(db, "catalog", "sync", "--source", "openrouter").exit_code == 0
    result = run(db, "report", "--out", str(tmp_path), "--slo", "ttft=500ms,tpot=50ms", "--workload", "2rps")
    assert result.exit_code == 0, result.output
    assert (f"  vs API   the API ($0.035 in / $0.138 out per 1M; OpenRouter (qwen/qwen3-8b), synced {today_iso()}) "
            "costs $328/month at this workload; self-hosting is never cheaper at these prices") in result.output
    [md] = list(tmp_path.glob("*.md"))
    data = json.loads(md.with_suffix(".json").read_text())
    chosen = data["chosen"]["capacity_and_cost"]
    assert data["decision"] == "Qwen/Qwen3-8B"
    assert chosen["api_price_source"] == f"OpenRouter (qwen/qwen3-8b), synced {today_iso()}"
    # 2 req/s × 2,628,000 s × $0.0000625 a request = $328.50 a month at the API.
    assert chosen["api_monthly_usd"] == pytest.approx(328.5)
    untested = next(r for r in data["rejected"] if r["model"] == "Qwen/Qwen3-1.7B")["capacity_and_cost"]
    assert untested["api_price_source"] is None and untested["api_missing"] == "set an API price"
    text = md.read_text()
    assert "Against an API for the same model:" in text
    # (Markdown's parentheses escaped: a model name or an id from a remote list can make no link.)
    assert (f"- Qwen/Qwen3-8B: the API \\($0.035 in / $0.138 out per 1M; OpenRouter \\(qwen/qwen3-8b\\), synced "
            f"{today_iso()}\\) costs $328/month at this workload; self-hosting is never cheaper at these "
            "prices") in text
    assert "- Qwen/Qwen3-1.7B: no API price to compare with: set an API price" in text


def test_which_openrouter_listing_is_the_price() -> None:
    def row(mid: str, prompt: float | None, completion: float | None) -> dict:
        return {"provider": "openrouter", "id": mid, "prompt_price": prompt, "completion_price": completion,
                "synced_at": "2026-12-01T10:00:00Z"}

    free = row("qwen/qwen3-8b:free", 0.0, 0.0)
    assert openrouter_price("m", [free]) is None  # a free, rate-limited variant is no production price
    assert openrouter_price("m", [row("openrouter/auto", None, None)]) is None  # "-1": the price varies
    nitro, own = row("qwen/qwen3-8b:nitro", 1e-7, 2e-7), row("qwen/qwen3-8b", 3.5e-8, 1.38e-7)
    found = openrouter_price("m", [free, nitro, own])
    assert found is not None and found.source_id == "qwen/qwen3-8b"  # the model's own listing over a variant
    assert (found.usd_per_1m_input, found.usd_per_1m_output) == (0.035, 0.138)
    assert found.source_text == "OpenRouter (qwen/qwen3-8b), synced 2026-12-01"
    only_variant = openrouter_price("m", [free, nitro])
    assert only_variant is not None and only_variant.source_id == "qwen/qwen3-8b:nitro"


def test_a_served_name_other_than_the_hub_id_links_through_the_catalogue(services: Services,
                                                                         openrouter: FakeOpenRouter) -> None:
    # Served as repo@commit: OpenRouter knows no such name; the catalogue's id (from the provenance) links it.
    served = "Qwen/Qwen3-8B@" + "a" * 40
    run_id = services.traces.create_run(kind="set", name="support")
    add_traces(services, run_id, served, ["pass"] * 3)
    assert run(services.settings.db_path, "catalog", "sync", "--source", "openrouter").exit_code == 0
    [cand] = services.candidates(run_id, pin=False, costs=True)
    assert cand.provenance.catalog_id == "Qwen/Qwen3-8B"
    assert cand.cost is not None and cand.cost.api is not None
    assert (cand.cost.api.source_id, cand.cost.api.usd_per_1m_output) == ("qwen/qwen3-8b", 0.138)

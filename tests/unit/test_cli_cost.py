"""`modelpick cost price / api-price / prices` as a script runs them: what is stored, what is listed, and bad input
as one line."""

from __future__ import annotations

import json

import pytest

from modelpick_tui.services import Services
from tests.support.capacity import add_capacity
from tests.support.cli import run

H100 = "1xNVIDIA H100 80GB HBM3"


def test_price_set_listed_replaced_removed(services: Services) -> None:
    db = services.settings.db_path
    assert "no prices set" in run(db, "cost", "prices").output
    first = run(db, "cost", "price", H100, "2.49")
    assert first.exit_code == 0 and f"price set: {H100} at $2.49 an hour" in first.output
    # The same NVML name in another case and spacing is the same hardware: replaced, not added.
    run(db, "cost", "price", " 1 x nvidia h100 80GB HBM3", "$2.99/h")
    run(db, "cost", "price", "cpu", "0.10")
    rows = [json.loads(line) for line in run(db, "cost", "prices", "--json").stdout.splitlines()]
    assert [(r["kind"], r["hardware"], r["usd_per_hour"]) for r in rows] == [
        ("hardware", "1xnvidia h100 80GB HBM3", 2.99), ("hardware", "cpu", 0.10)]
    assert services.prices.price(H100) is not None and services.prices.price(H100).usd_per_hour == 2.99
    assert "removed" in run(db, "cost", "price", "cpu", "--remove").output
    assert services.prices.price("cpu") is None


def test_api_price_set_and_listed(services: Services) -> None:
    db = services.settings.db_path
    out = run(db, "cost", "api-price", "Qwen/Qwen3-8B", "0.20", "0.60")
    assert out.exit_code == 0 and "Qwen/Qwen3-8B at $0.2 per 1M input and $0.6 per 1M output" in out.output
    run(db, "cost", "api-price", "free-input", "0", "1.5")
    rows = [json.loads(line) for line in run(db, "cost", "prices", "--json").stdout.splitlines()]
    assert [(r["kind"], r["model"], r["usd_per_1m_input"], r["usd_per_1m_output"]) for r in rows] == [
        ("api", "free-input", 0.0, 1.5), ("api", "Qwen/Qwen3-8B", 0.2, 0.6)]
    assert "API Qwen/Qwen3-8B  $0.2 in / $0.6 out per 1M tokens" in run(db, "cost", "prices").output


def test_bad_input_is_one_line(services: Services) -> None:
    db = services.settings.db_path
    for args, says in [
        (("price", "H100", "2.49"), "expected cpu or COUNTxGPU-NAME"),
        (("price", H100, "cheap"), "expected a positive number of dollars"),
        (("price", H100), "give the price an hour"),
        (("price", "cpu", "1", "--remove"), "not both"),
        (("api-price", "m", "0.2"), "give both prices"),
        (("api-price", "m", "x", "0.6"), "price per 1M tokens"),
        (("api-price", "bad\x1b]52;c;x\x07", "1", "2"), "on one line"),
        (("--workload", "lots"), "expected a rate"),
    ]:
        result = run(db, "cost", *args)
        assert result.exit_code != 0, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], (args, result.output)
        assert "\x1b" not in result.output
    assert services.prices.prices() == [] and services.prices.api_prices() == []


def test_cost_view_prices_each_tested_model(services: Services) -> None:
    db = services.settings.db_path
    add_capacity(services, "Qwen/Qwen3-8B")  # 8 users, 2 req/s, 500 output tok/s, 2,100 tok/s in all, on 1×H100
    add_capacity(services, "small-cpu", hardware="cpu", concurrency=1, rps=0.5, output_tps=40.0, total_tps=60.0)
    run(db, "cost", "price", H100, "2.49")
    run(db, "cost", "api-price", "Qwen/Qwen3-8B", "1.00", "3.00")
    rows = {r["model"]: r for r in map(json.loads, run(db, "cost", "--workload", "5rps", "--json").stdout.splitlines())}
    big, cpu = rows["Qwen/Qwen3-8B"], rows["small-cpu"]
    # $2.49 / (500 × 3600) × 1e6 = $1.3833 per 1M output tokens; 2.49 / (2 × 3600) × 1e6 = $345.83 per 1M requests.
    assert big["usd_per_1m_output_tokens"] == pytest.approx(1.3833, abs=1e-4)
    assert big["usd_per_1m_requests"] == pytest.approx(345.8333, abs=1e-4)
    # 5 req/s over 2 a replica: ⌈2.5⌉ = 3 replicas, 3 GPUs, 3 × 2.49 × 730 = $5,453.10 a month.
    assert (big["replicas"], big["gpus"], big["monthly_usd"]) == (3, 3, pytest.approx(5453.10))
    assert (big["workload_in_tokens"], big["workload_out_tokens"]) == (800, 250)  # the test's mix: 1600/2, 500/2
    # The API: (800 × 1 + 250 × 3) / 1e6 = $0.00155 a request × 5 × 2,628,000 = $20,367 a month; self-hosting is
    # cheaper above 1,817.70 / 0.00155 = 1,172,710 requests a month (test_cost.py has the step arithmetic).
    assert big["api_monthly_usd"] == pytest.approx(20_367.0)
    assert big["break_even"]["always_cheaper_requests_per_month"] == pytest.approx(1_172_709.68, abs=0.01)
    # No price for cpu: the fleet stands (⌈5 / 0.5⌉ = 10 replicas), the dollars say so.
    assert cpu["missing"] == "set a price" and cpu["usd_per_1m_output_tokens"] is None and cpu["replicas"] == 10
    assert cpu["gpus"] == 0
    table = run(db, "cost", "--workload", "5rps", "Qwen/Qwen3-8B", "small-cpu", "never-tested")
    assert table.exit_code == 0, table.output
    text = " ".join(table.output.split())
    assert "$1.38" in text and "$5,453" in text and "set a price" in text and "not measured" in text
    assert "3 replicas behind a gateway, bound by requests/s" in text
    assert "self-hosting is cheaper above 1.23B tokens (1.17M requests) a month" in text


def test_cost_view_for_a_test_without_hardware_or_capacity(services: Services) -> None:
    db = services.settings.db_path
    add_capacity(services, "remote", hardware=None)
    add_capacity(services, "too-slow", concurrency=None, rps=None, output_tps=None, total_tps=None)
    run(db, "cost", "price", "2xNVIDIA A100-SXM4-80GB", "3.00")
    rows = {r["model"]: r for r in map(json.loads, run(db, "cost", "--json", "remote", "too-slow").stdout.splitlines())}
    assert rows["remote"]["missing"] == "hardware unknown: give --hardware"
    assert rows["too-slow"]["missing"].startswith("no capacity at ttft=500ms,tpot=50ms: no load meets")
    given = json.loads(run(db, "cost", "remote", "--hardware", "2xNVIDIA A100-SXM4-80GB", "--json",
                           "--workload", "3rps").stdout)
    # $3.00 / (500 × 3600) × 1e6 = $1.6667 per 1M output tokens; ⌈3 / 2⌉ = 2 replicas × 2 GPUs = 4 GPUs.
    assert given["usd_per_1m_output_tokens"] == pytest.approx(1.6667, abs=1e-4)
    assert (given["replicas"], given["gpus"]) == (2, 4)
    assert "no load test yet" in run(services.settings.db_path.with_name("other.db"), "cost").output
    bad = run(db, "cost", "--slo", "ttft=fast")
    assert bad.exit_code == 1 and bad.output.count("\n") == 1 and "cannot read SLO part" in bad.output


def test_hostile_names_from_a_load_test_are_shown_inert(services: Services) -> None:
    hostile = "[bold red]evil[/]\x1b]52;c;aGk=\x07\x1b[2J"
    add_capacity(services, hostile, hardware="cpu", concurrency=None, rps=None, output_tps=None, total_tps=None)
    add_capacity(services, "ok\x1b[31m")
    out = run(services.settings.db_path, "cost", "--workload", "1rps").output
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold red]evil[/]" in out  # the markup as text, not applied


def test_a_price_per_gpu_scales_to_a_multi_gpu_replica(services: Services) -> None:
    db = services.settings.db_path
    add_capacity(services, "big", hardware="2xNVIDIA H100 80GB HBM3")
    add_capacity(services, "odd", hardware="my rack")  # a name given by hand: only its own price would count
    run(db, "cost", "price", H100, "2.49")
    rows = {r["model"]: r for r in map(json.loads, run(db, "cost", "--json").stdout.splitlines())}
    # No price for two H100s: 2 × $2.49 = $4.98 an hour, and it says where that came from.
    big = rows["big"]
    assert big["usd_per_hour"] == pytest.approx(4.98) and big["price_from"] == f"{H100} × 2"
    assert big["usd_per_1m_output_tokens"] == pytest.approx(2.7667, abs=1e-4)  # 4.98 / (500 × 3600) × 1e6
    assert rows["odd"]["missing"] == "set a price"
    text = " ".join(run(db, "cost").output.split())
    assert "$4.98*" in text and f"* big: no price set for 2xNVIDIA H100 80GB HBM3; {H100} × 2 per hour" in text

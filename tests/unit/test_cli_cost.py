"""`modelpick cost price / api-price / prices` as a script runs them: what is stored, what is listed, and bad input
as one line."""

from __future__ import annotations

import json

from modelpick_tui.services import Services
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

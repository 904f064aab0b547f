"""Cost and the decision on a real `modelpick load` result: the simulated batching server (tests/support/
batching_server.py) load-tested through the CLI, then `cost` and `report --slo --workload --budget` read what the
load test stored. The dollar figures are checked against the load test's own stored throughput, by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from modelpick_tui.services import build_services
from modelpick_tui.settings import Settings
from tests.support.batching_server import BatchingServer
from tests.support.cli import run
from tests.support.traces import add_traces

GPU = "2xNVIDIA H100 80GB HBM3"


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_cost_and_report_from_a_real_load_test(tmp_path: Path) -> None:
    db = tmp_path / "modelpick.db"
    with BatchingServer(step_s=0.01, per_request_s=0.02) as server:
        loaded = run(db, "load", server.url, "--model", "batch", "--slo", "tpot=100ms", "--max-concurrency", "8",
                     "--duration", "1.5", "--max-tokens", "8", "--target", "0.5", "--hardware", GPU, "--json")
    assert loaded.exit_code == 0, loaded.output
    [test] = [json.loads(line) for line in loaded.stdout.splitlines()]
    rps, out_tps, users = test["capacity_rps"], test["capacity_output_tps"], test["capacity_concurrency"]
    assert users >= 1 and rps > 0 and out_tps > 0 and test["hardware"] == GPU

    assert run(db, "cost", "price", GPU, "4.98").exit_code == 0
    [fig] = [json.loads(line) for line in run(db, "cost", "--workload", "10rps", "--json").stdout.splitlines()]
    # By hand from what `load` stored: $4.98 an hour over its output tokens an hour, per 1M.
    assert fig["usd_per_1m_output_tokens"] == pytest.approx(4.98 / (out_tps * 3600) * 1e6, rel=1e-3)
    assert fig["usd_per_1m_requests"] == pytest.approx(4.98 / (rps * 3600) * 1e6, rel=1e-3)
    replicas = math.ceil(10 / rps)  # the load test's own requests: its mix stands for the workload's
    assert fig["replicas"] == replicas and fig["gpus"] == 2 * replicas
    assert fig["monthly_usd"] == pytest.approx(replicas * 4.98 * 730, abs=0.01)

    services = build_services(Settings.from_env(db=str(db)))
    try:
        run_id = services.traces.create_run(kind="set", name="support")
        add_traces(services, run_id, "batch", ["pass"] * 30, latency=200)
        add_traces(services, run_id, "untested", ["pass"] * 30, latency=100)
    finally:
        services.close()
    budget = replicas * 4.98 * 730 + 1
    result = run(db, "report", "--out", str(tmp_path / "out"), "--slo", "tpot=100ms", "--workload", "10rps",
                 "--budget", f"{budget:.0f}/month", "--json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["decision"] == "batch"
    assert decision["chosen"]["capacity_and_cost"]["replicas"] == replicas
    [untested] = decision["rejected"]
    assert untested["model"] == "untested" and untested["rejected_by"] == "not measured"
    over = run(db, "report", "--out", str(tmp_path / "out"), "--slo", "tpot=100ms", "--workload", "10rps",
               "--budget", f"{budget - 2:.0f}/month")
    assert over.exit_code == 1 and f"batch: over budget: ${replicas * 4.98 * 730:,.0f}/month" in over.output

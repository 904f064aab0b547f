"""`modelpick serve vllm` on several GPUs and across nodes: the exact command line and environment the supervisor
launches, read back from a recorder program standing in for vLLM's Python (MODELPICK_VLLM_PYTHON). There is no
GPU and no Ray cluster here: what vLLM and Ray then do with these flags is theirs (docs/serve.md says what was
and was not run)."""

from __future__ import annotations

import json
import os
import stat
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cleanup import kill_recorded_servers
from tests.support.cli import run

RECORDER = """#!{python}
import json, os, sys
keep = ("VLLM_API_KEY", "RAY_ADDRESS", "RAY_USAGE_STATS_ENABLED", "VLLM_NO_USAGE_STATS", "CUDA_VISIBLE_DEVICES")
with open({out!r}, "w") as fh:
    json.dump({{"argv": sys.argv[1:], "env": {{k: os.environ.get(k) for k in keep}}}}, fh)
print("recorder: not a real vLLM", flush=True)
sys.exit(3)
"""


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(database, file the recorder writes): vLLM's Python is a program that writes its argv and environment."""
    out = tmp_path / "launched.json"
    recorder = tmp_path / "python-with-vllm"
    recorder.write_text(RECORDER.format(python=sys.executable, out=str(out)))
    recorder.chmod(recorder.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("MODELPICK_VLLM_PYTHON", str(recorder))
    monkeypatch.setenv("MODELPICK_HOME", str(tmp_path / "home"))
    from modelpick_tui.serving import backends

    # This environment's own vllm (if any) must not win over MODELPICK_VLLM_PYTHON.
    monkeypatch.setattr(backends, "_distribution_installed", lambda name: False)
    monkeypatch.setattr(backends, "_module_available", lambda name: False)
    db = tmp_path / "home" / "modelpick.db"
    try:
        yield db, out
    finally:
        kill_recorded_servers(db)


def _launched(out: Path) -> dict[str, Any]:
    assert out.exists(), "the supervisor did not launch vLLM's Python"
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_two_nodes_tp8_pp2_with_ray(recorded: tuple[Path, Path]) -> None:
    db, out = recorded
    result = run(db, "serve", "vllm", "meta-llama/Llama-3.1-405B-Instruct", "--name", "big", "--port", "18123",
                  "--tensor-parallel-size", "8", "--pipeline-parallel-size", "2",
                  "--distributed-executor-backend", "ray", "--ray-address", "10.0.0.1:6379", "--timeout", "60")
    assert result.exit_code == 1 and "recorder: not a real vLLM" in result.stderr  # the log's last line, one line
    launched = _launched(out)
    assert launched["argv"] == [
        "-m", "vllm.entrypoints.openai.api_server", "--model", "meta-llama/Llama-3.1-405B-Instruct",
        "--host", "127.0.0.1", "--port", "18123",
        "--tensor-parallel-size", "8", "--pipeline-parallel-size", "2", "--distributed-executor-backend", "ray",
    ]
    env = launched["env"]
    assert env["RAY_ADDRESS"] == "10.0.0.1:6379" and env["RAY_USAGE_STATS_ENABLED"] == "0"
    assert env["VLLM_NO_USAGE_STATS"] == "1" and env["VLLM_API_KEY"]  # the key in the environment, not argv
    assert not any(env["VLLM_API_KEY"] in a for a in launched["argv"])


def test_one_host_tp_without_ray(recorded: tuple[Path, Path]) -> None:
    db, out = recorded
    run(db, "serve", "vllm", "meta-llama/Llama-3.3-70B-Instruct", "--port", "18124",
         "--tensor-parallel-size", "4", "--timeout", "60")
    argv = _launched(out)["argv"]
    assert argv[argv.index("--tensor-parallel-size") + 1] == "4"
    assert "--pipeline-parallel-size" not in argv and "--distributed-executor-backend" not in argv
    assert _launched(out)["env"]["RAY_ADDRESS"] is None


def _fake_nvml(count: int) -> Any:
    mod: Any = types.ModuleType("pynvml")
    mod.nvmlInit = lambda: None
    mod.nvmlShutdown = lambda: None
    mod.nvmlDeviceGetCount = lambda: count
    return mod


def test_more_gpus_than_here_takes_vllms_ray_executor(recorded: tuple[Path, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    db, out = recorded
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(8))  # one host of 8 GPUs
    result = run(db, "serve", "vllm", "org/big", "--port", "18125", "--tensor-parallel-size", "8",
                  "--pipeline-parallel-size", "2", "--timeout", "60")
    assert "TP x PP = 16 GPUs, 8 here" in result.stderr
    argv = _launched(out)["argv"]
    assert argv[argv.index("--distributed-executor-backend") + 1] == "ray"


def test_bad_parallel_input_is_one_line(recorded: tuple[Path, Path]) -> None:
    db, out = recorded
    bad = run(db, "serve", "vllm", "org/m", "--tensor-parallel-size", "0")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    mixed = run(db, "serve", "vllm", "org/m", "--distributed-executor-backend", "mp", "--ray-address", "h:1")
    assert mixed.exit_code == 1
    assert mixed.stderr.strip() == "error: --ray-address is for --distributed-executor-backend ray"
    assert not out.exists() and os.environ.get("RAY_ADDRESS") is None

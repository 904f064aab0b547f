"""Memory per server: GPU memory through NVML (nvidia-ml-py's `pynvml`) summed over the server's whole process
group and every GPU, RSS otherwise. There is no GPU here: a fake `pynvml` module with the real one's names and
shapes (NVMLError subclasses, process-info objects with `pid` and `usedGpuMemory`, None where NVML cannot tell)
is put in `sys.modules`; the processes it reports are real ones in a real process group."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from modelpick_tui.cli import main
from modelpick_tui.services import Services
from modelpick_tui.serving.procs import MemoryUse, gpu_memory_by_pid, group_members, group_memory, group_rss
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import Supervisor
from modelpick_tui.ui.app import make_app
from tests.support.paths import STUB
from tests.support.pilot import SIZE, cell, settle, status_of, wait_for

GiB = 2**30
MiB = 2**20

# nvidia-ml-py's return codes
NVML_ERROR_UNINITIALIZED, NVML_ERROR_NO_PERMISSION, NVML_ERROR_DRIVER_NOT_LOADED = 1, 4, 9
NVML_ERROR_GPU_IS_LOST = 15


class FakeNVML:
    """`gpus`: one list of (pid, usedGpuMemory or None) per GPU; `init_error`, `count_error` and
    `process_errors` (GPU index → code) make the calls raise like the real library."""

    def __init__(self, gpus: list[list[tuple[int, int | None]]], *, init_error: int | None = None,
                 count_error: int | None = None, process_errors: dict[int, int] | None = None) -> None:
        self.gpus = gpus
        self.init_error = init_error
        self.count_error = count_error
        self.process_errors = process_errors or {}
        self.inits = self.shutdowns = 0
        self.module = self._module()

    def _module(self) -> types.ModuleType:
        m = types.ModuleType("pynvml")

        class NVMLError(Exception):
            _names = {NVML_ERROR_UNINITIALIZED: "Uninitialized", NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
                      NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded", NVML_ERROR_GPU_IS_LOST: "GPU is lost"}

            def __new__(cls, value: int) -> NVMLError:
                sub = {NVML_ERROR_DRIVER_NOT_LOADED: m.NVMLError_DriverNotLoaded,
                       NVML_ERROR_NO_PERMISSION: m.NVMLError_NoPermission}.get(value, cls)
                obj = Exception.__new__(sub)
                obj.value = value
                return obj

            def __init__(self, value: int) -> None:
                super().__init__(value)

            def __str__(self) -> str:
                return self._names.get(self.value, f"Unknown Error {self.value}")

        m.NVMLError = NVMLError
        m.NVMLError_DriverNotLoaded = type("NVMLError_DriverNotLoaded", (NVMLError,), {})
        m.NVMLError_NoPermission = type("NVMLError_NoPermission", (NVMLError,), {})
        initialised = {"n": 0}

        def check() -> None:
            if not initialised["n"]:
                raise NVMLError(NVML_ERROR_UNINITIALIZED)

        def nvmlInit() -> None:  # noqa: N802
            self.inits += 1
            if self.init_error is not None:
                raise NVMLError(self.init_error)
            initialised["n"] += 1

        def nvmlShutdown() -> None:  # noqa: N802
            check()
            self.shutdowns += 1
            initialised["n"] -= 1

        def nvmlDeviceGetCount() -> int:  # noqa: N802
            check()
            if self.count_error is not None:
                raise NVMLError(self.count_error)
            return len(self.gpus)

        def nvmlDeviceGetHandleByIndex(i: int) -> Any:  # noqa: N802
            check()
            return ("handle", i)

        def nvmlDeviceGetComputeRunningProcesses(handle: Any) -> list[Any]:  # noqa: N802
            check()
            i = handle[1]
            if i in self.process_errors:
                raise NVMLError(self.process_errors[i])
            return [types.SimpleNamespace(pid=pid, usedGpuMemory=used, gpuInstanceId=0xFFFFFFFF,
                                          computeInstanceId=0xFFFFFFFF) for pid, used in self.gpus[i]]

        for fn in (nvmlInit, nvmlShutdown, nvmlDeviceGetCount, nvmlDeviceGetHandleByIndex,
                   nvmlDeviceGetComputeRunningProcesses):
            setattr(m, fn.__name__, fn)
        return m


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Install a FakeNVML: `nvml(gpus, **errors)` returns it."""

    def install(gpus: list[list[tuple[int, int | None]]], **kw: Any) -> FakeNVML:
        fake = FakeNVML(gpus, **kw)
        monkeypatch.setitem(sys.modules, "pynvml", fake.module)
        return fake

    yield install


def _both_asleep(leader: int) -> bool:
    """The leader and its child both sleeping in time.sleep (the child's own program, not the parent's copy)."""
    import psutil

    members = group_members(leader)
    if len(members) < 2:
        return False
    try:
        procs = [psutil.Process(pid) for pid in members]
        child_started = any(p.pid != leader and "time.sleep(60)" in " ".join(p.cmdline())
                            and "subprocess" not in " ".join(p.cmdline()) for p in procs)
        return child_started and all(p.status() == psutil.STATUS_SLEEPING for p in procs)
    except psutil.Error:
        return False


@pytest.fixture
def group() -> Iterator[list[int]]:
    """A real process group of two sleeping processes: [leader, child]."""
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); " \
           "time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not _both_asleep(proc.pid):
            # Wait for both to sleep: a child just forked is the parent's copy until it has exec'd and imported,
            # and two reads of its RSS while it grows differ by more than the test allows (seen under load).
            assert time.monotonic() < deadline, "the child did not start"
            time.sleep(0.05)
        members = group_members(proc.pid)
        yield [proc.pid, next(p for p in members if p != proc.pid)]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def test_without_pynvml_it_is_rss(group: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml → ImportError
    assert gpu_memory_by_pid() is None
    use = group_memory(group[0])
    assert use.kind == "rss" and use.bytes > 5 * MiB
    assert abs(use.bytes - group_rss(group[0])) < 0.2 * use.bytes  # the same measure (the processes still grow)
    assert str(use).startswith("RSS ") and str(use).endswith("MiB")


def test_no_driver_is_rss_and_no_crash(group: list[int], nvml: Any) -> None:
    fake = nvml([], init_error=NVML_ERROR_DRIVER_NOT_LOADED)
    assert gpu_memory_by_pid() is None
    assert group_memory(group[0]).kind == "rss"
    assert fake.inits == 2 and fake.shutdowns == 0  # asked each time; never shut down what did not start


def test_the_whole_group_on_every_gpu_is_summed(group: list[int], nvml: Any) -> None:
    leader, child = group
    other = os.getpid()  # a process of somebody else on the same card: not counted
    nvml([[(other, 5 * GiB), (child, 2 * GiB)],
          [(leader, 1 * GiB + 100 * MiB), (child, None)]])  # None: NVML cannot tell (counts 0)
    assert gpu_memory_by_pid() == {other: 5 * GiB, child: 2 * GiB, leader: GiB + 100 * MiB}
    use = group_memory(leader)
    assert use == MemoryUse("gpu", 3 * GiB + 100 * MiB)
    assert str(use) == "GPU 3.1 GiB"


def test_a_gpu_that_cannot_be_read_is_skipped(group: list[int], nvml: Any) -> None:
    leader, child = group
    fake = nvml([[(child, 4 * GiB)], [(leader, 2 * GiB)]], process_errors={0: NVML_ERROR_NO_PERMISSION})
    assert group_memory(leader) == MemoryUse("gpu", 2 * GiB)
    assert fake.inits == fake.shutdowns == 1
    fake.process_errors = {0: NVML_ERROR_GPU_IS_LOST, 1: NVML_ERROR_NO_PERMISSION}
    assert group_memory(leader).kind == "rss"  # nothing readable: what is known is the RSS
    fake.count_error = NVML_ERROR_UNINITIALIZED
    assert gpu_memory_by_pid() is None
    assert group_memory(leader).kind == "rss"


def test_a_server_on_no_gpu_is_rss(group: list[int], nvml: Any) -> None:
    nvml([[(os.getpid(), 3 * GiB)]])  # a GPU is there, busy with another program; ours runs on the CPU
    assert group_memory(group[0]).kind == "rss"
    assert group_memory(None) == MemoryUse("rss", 0) and str(MemoryUse("rss", 0)) == ""


# --- through the supervisor: the servers screen and `modelpick servers` ------------------------------------


def _stub_spec(name: str) -> ServerSpec:
    return ServerSpec(name=name, backend="llama", model="stub.gguf", executable=(sys.executable, str(STUB)))


async def test_servers_screen_and_cli_show_gpu_memory(services: Services, nvml: Any) -> None:
    supervisor = services.supervisor
    server = supervisor.start_and_wait(_stub_spec("on-gpu"), detached=True, timeout=20)
    try:
        assert server.status == "ready", server.error
        fake = nvml([[(server.pid, 3 * GiB + 200 * MiB)], [(12345678, 9 * GiB)]])
        assert supervisor.memory_use("on-gpu") == MemoryUse("gpu", 3 * GiB + 200 * MiB)
        app = make_app(services.settings, services)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("S")
            await wait_for(pilot, lambda: status_of(app, "on-gpu") == "ready", 10, "the row")
            await wait_for(pilot, lambda: cell(app, "on-gpu", "mem") == "GPU 3.2 GiB", 5, "GPU memory")
            fake.init_error = NVML_ERROR_DRIVER_NOT_LOADED  # the driver goes away: RSS, no crash
            await wait_for(pilot, lambda: cell(app, "on-gpu", "mem").startswith("RSS "), 6, "RSS")
            fake.init_error = None

        result = CliRunner().invoke(main, ["--db", str(services.settings.db_path), "servers", "--json"])
        assert result.exit_code == 0, result.output
        row = json.loads(result.stdout.splitlines()[0])
        assert row["memory"] == "GPU 3.2 GiB" and row["memory_kind"] == "gpu"
        assert row["memory_bytes"] == 3 * GiB + 200 * MiB and row["rss_bytes"] > 5 * MiB
        table = CliRunner().invoke(main, ["--db", str(services.settings.db_path), "servers"])
        assert "GPU 3.2 GiB" in table.stdout
    finally:
        supervisor.stop("on-gpu", grace=2.0)


@pytest.mark.llama
@pytest.mark.integration
def test_the_real_llama_server_is_rss_when_nvml_has_no_driver(tmp_path: Path, gemma_gguf: Path, nvml: Any) -> None:
    nvml([], init_error=NVML_ERROR_DRIVER_NOT_LOADED)
    with Supervisor(tmp_path / "home") as supervisor:
        server = supervisor.start_and_wait(ServerSpec(name="gemma", backend="llama", model=str(gemma_gguf), ctx=512,
                                               chat_format="gemma"), timeout=60)
        assert server.status == "ready", server.error
        use = supervisor.memory_use("gemma")
        # The GGUF is 241 MiB; llama.cpp maps it and holds its KV cache besides.
        assert use.kind == "rss" and use.bytes > 150 * MiB, use
        assert str(use) == f"RSS {use.bytes / MiB:.0f} MiB"
        supervisor.stop("gemma", grace=2.0)
        assert supervisor.memory_use("gemma") == MemoryUse("rss", 0)


def test_one_nvml_query_serves_every_server(tmp_path: Path, nvml: Any) -> None:
    with Supervisor(tmp_path / "home") as supervisor:
        a = supervisor.start_and_wait(_stub_spec("a"), timeout=20)
        b = supervisor.start_and_wait(_stub_spec("b"), timeout=20)
        assert a.status == b.status == "ready"
        fake = nvml([[(a.pid, 1 * GiB)], [(b.pid, 2 * GiB)]])
        uses = supervisor.memory_uses()
        assert uses == {"a": MemoryUse("gpu", GiB), "b": MemoryUse("gpu", 2 * GiB)} and fake.inits == 1
        supervisor.stop("b", grace=1.0)
        assert supervisor.memory_uses(["a", "b", "gone-meanwhile"]) == {
            "a": MemoryUse("gpu", GiB), "b": MemoryUse("rss", 0), "gone-meanwhile": MemoryUse("rss", 0)}

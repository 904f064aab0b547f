"""Processes, groups and ports, as the supervisor sees them (psutil; Linux and macOS)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psutil


def pid_matches(pid: int | None, create_time: float | None) -> bool:
    """The process `pid` exists, is not a zombie, and is the one we started (not a reused pid)."""
    if not pid:
        return False
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(p.create_time() - create_time) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def pid_exists(pid: int | None) -> bool:
    return bool(pid) and psutil.pid_exists(pid)  # type: ignore[arg-type]


def create_time(pid: int | None) -> float | None:
    try:
        return psutil.Process(pid).create_time() if pid else None
    except psutil.Error:
        return None


def group_members(pgid: int | None) -> list[int]:
    """Pids of the live (non-zombie) processes in process group `pgid`."""
    if not pgid:
        return []
    members = []
    for pid in psutil.pids():
        try:
            if os.getpgid(pid) == pgid and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                members.append(pid)
        except (OSError, psutil.Error):
            continue
    return members


def group_rss(pgid: int | None) -> int:
    """Resident memory of the whole group in bytes (vLLM's engine and workers hold most of it)."""
    return _rss_of(group_members(pgid))


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could bind host:port now (SO_REUSEADDR, as servers bind: TIME_WAIT is no obstacle)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# --- memory a server holds: GPU memory through NVML where it has any, else resident memory ----------------


@dataclass(frozen=True)
class MemoryUse:
    """What a server's process group holds: `kind` "gpu" (NVML's usedGpuMemory, summed over every GPU) or
    "rss" (resident memory); `bytes` 0 when nothing is known."""

    kind: str
    bytes: int

    def __str__(self) -> str:
        from ..catalog.fit.memory import format_bytes

        return f"{'GPU' if self.kind == 'gpu' else 'RSS'} {format_bytes(self.bytes)}" if self.bytes else ""


def gpu_memory_by_pid() -> dict[int, int] | None:
    """GPU memory in bytes per pid, summed over every GPU's compute processes (nvidia-ml-py's NVML), or None
    where there is no NVML: the module is not installed, no driver (NVMLError at init), or no GPU. Never
    raises: a GPU that cannot be read is skipped, a process whose use NVML cannot tell counts 0."""
    from .. import nvml

    with nvml.gpus() as found:
        if found is None:
            return None
        pynvml, count = found
        used: dict[int, int] = {}
        for i in range(count):
            try:
                handle = pynvml.nvmlDeviceGetHandleByIndex(i)
                procs = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
            except Exception:  # a GPU lost, or one we may not query (NVML_ERROR_NO_PERMISSION)
                continue
            for p in procs or []:
                pid = getattr(p, "pid", None)
                if not isinstance(pid, int):
                    continue
                amount = getattr(p, "usedGpuMemory", None)  # None: NVML_VALUE_NOT_AVAILABLE (e.g. on Windows WDDM)
                used[pid] = used.get(pid, 0) + (int(amount) if isinstance(amount, int) and amount > 0 else 0)
        return used


_ASK = object()


def group_memory(pgid: int | None, gpu: dict[int, int] | None | object = _ASK) -> MemoryUse:
    """GPU memory of the whole process group when NVML sees any of its processes on a GPU (vLLM's memory is
    in its engine and workers, not in the API server), else the group's resident memory. `gpu`: a
    `gpu_memory_by_pid()` already taken (one NVML query for several servers)."""
    members = group_members(pgid)
    if not members:
        return MemoryUse("rss", 0)
    if gpu is _ASK:
        gpu = gpu_memory_by_pid()
    assert gpu is None or isinstance(gpu, dict)
    if gpu:
        on_gpu = [pid for pid in members if pid in gpu]
        if on_gpu:
            return MemoryUse("gpu", sum(gpu[pid] for pid in on_gpu))
    return MemoryUse("rss", _rss_of(members))


def _rss_of(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total

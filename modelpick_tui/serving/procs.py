"""Processes, groups and ports, as the supervisor sees them (psutil; Linux and macOS)."""

from __future__ import annotations

import os
import socket

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
    total = 0
    for pid in group_members(pgid):
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total


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

"""Memory to fit in: GPUs via NVML, else system RAM, or a user's spec (MODELPICK_MEMORY, --memory); sizes.

A spec names one GPU's memory and how many there are: "24GB", "4x80GB" (four GPUs on one host), "2x8x80GB"
(two nodes of eight GPUs each), optionally "+RAM" for the host's system RAM (where a mixture of experts' experts
may live: "24GB+64GB") and "@GPU" for the GPU model whose datasheet bandwidth the speed estimate uses
("4x80GB@H100 SXM", "8x141GB@NVIDIA H200", "24GB+64GB@RTX 4090").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

GIB = 1024**3
MIB = 1024**2

@dataclass(frozen=True)
class Memory:
    """Memory available to run a model: the GPUs found (summed over every device of every node) or system RAM.

    ``device_count`` counts all GPUs, ``nodes`` the hosts they are spread over (1 unless a spec says more).
    ``device_bytes`` is one GPU's memory (the smallest, when they differ). ``bandwidth_bytes_per_s`` is the
    memory bandwidth of one device (a GPU's datasheet figure, the CPU's measured one), None when not known."""

    kind: Literal["gpu", "ram"]
    total_bytes: int
    available_bytes: int
    name: str
    device_count: int = 1
    nodes: int = 1
    device_bytes: int = 0
    bandwidth_bytes_per_s: float | None = None
    bandwidth_source: str = ""  # where the bandwidth comes from: a datasheet's URL, "measured on this machine …"
    host_ram_bytes: int = 0  # beside GPUs: the host's available system RAM (0: not known)

    @property
    def budget_bytes(self) -> int:
        """What the fit verdict is measured against (see ``estimate``)."""
        return self.total_bytes if self.kind == "gpu" else self.available_bytes

    @property
    def per_device_bytes(self) -> int:
        """One GPU's memory (the budget of one tensor-parallel rank)."""
        return self.device_bytes or self.total_bytes // max(1, self.device_count)

    @property
    def gpus_per_node(self) -> int:
        return max(1, self.device_count // max(1, self.nodes))

    def with_bandwidth(self, bytes_per_s: float | None, source: str) -> Memory:
        """The same memory with its bandwidth known."""
        return replace(self, bandwidth_bytes_per_s=bytes_per_s, bandwidth_source=source)


def _gpu_bandwidth(names: list[str]) -> tuple[float | None, str]:
    """The slowest GPU's datasheet bandwidth (tensor parallel ranks wait for each other), or None when one is not
    in the table."""
    from .speed import gpu_bandwidth

    found = [gpu_bandwidth(n) for n in names]
    if not found or any(b is None for b in found):
        return None, ""
    slowest = min((b for b in found if b is not None), key=lambda b: b.bytes_per_s)
    return slowest.bytes_per_s, f"{slowest.label} datasheet: {slowest.source}"


def _nvml_memory() -> Memory | None:
    from ... import nvml

    with nvml.gpus() as found:
        if found is None:
            return None
        pynvml, count = found
        try:
            total = free = 0
            names: list[str] = []
            sizes: list[int] = []
            for i in range(count):
                handle = pynvml.nvmlDeviceGetHandleByIndex(i)
                info = pynvml.nvmlDeviceGetMemoryInfo(handle)
                total += int(info.total)
                free += int(info.free)
                sizes.append(int(info.total))
                raw = pynvml.nvmlDeviceGetName(handle)
                names.append(raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))
        except Exception:  # a GPU lost while we asked: no figure rather than a wrong one
            return None
        label = f"{names[0]} ×{count}" if len(set(names)) == 1 else " + ".join(names)
        bandwidth, source = _gpu_bandwidth(names)
        return Memory("gpu", total, free, label, count, 1, min(sizes), bandwidth, source, _available_ram())


def _available_ram() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:
        return 0


def detect_memory() -> Memory:
    """NVIDIA GPUs via NVML (nvidia-ml-py, optional), else system RAM via psutil. Never raises."""
    gpu = _nvml_memory()
    if gpu is not None:
        return gpu
    try:
        import psutil

        vm = psutil.virtual_memory()
        return Memory("ram", int(vm.total), int(vm.available), "system RAM", 1)
    except Exception:
        return Memory("ram", 0, 0, "unknown memory", 0)


_SPEC_RE = re.compile(
    r"^\s*(?:(?P<a>\d+)\s*[x×*]\s*)?(?:(?P<b>\d+)\s*[x×*]\s*)?(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[kmgt]i?b?|b)?"
    r"\s*(?:\+\s*(?P<ram>\d+(?:\.\d+)?)\s*(?P<ram_unit>[kmgt]i?b?|b)?)?\s*(?:@\s*(?P<gpu>[^@]+?))?\s*$",
    re.IGNORECASE,
)
_UNIT_POWER = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4}
SPEC_HELP = ("use e.g. 24GB, 80GiB, 4x80GB (GPUs), 2x8x80GB (nodes x GPUs), 24GB+64GB (+ system RAM), "
             "4x80GB@H100 SXM")


def memory_from_spec(spec: str, kind: Literal["gpu", "ram"] = "gpu") -> Memory:
    """Memory from a user spec: "24GB", "80GiB", "512MiB" or "24" (GiB assumed) for one GPU; "4x80GB" for four
    GPUs on one host; "2x8x80GB" for two nodes of eight GPUs; "+64GB" gives the host's system RAM; a trailing
    "@GPU" names the GPU model for its bandwidth ("@H100 SXM", "@NVIDIA H200": see ``speed.GPU_BANDWIDTH``).

    GB and GiB are both read as binary units: cards and DIMMs sold as "24GB" have 24 GiB (an "80GB" H100
    has ~79.6 GiB usable, closer to 80 GiB than to 80e9 bytes). Raises ValueError on a malformed spec.
    """
    from .speed import gpu_bandwidth

    match = _SPEC_RE.match(spec or "")
    if not match:
        raise ValueError(f"bad memory size {spec!r}: {SPEC_HELP}")
    first, second = match.group("a"), match.group("b")
    nodes, per_node = (int(first), int(second)) if second is not None else (1, int(first or 1))
    unit = (match.group("unit") or "g")[0].lower()
    per_device = int(float(match.group("num")) * 1024 ** _UNIT_POWER[unit])
    ram_unit = (match.group("ram_unit") or "g")[0].lower()
    ram = int(float(match.group("ram")) * 1024 ** _UNIT_POWER[ram_unit]) if match.group("ram") else 0
    if nodes <= 0 or per_node <= 0 or per_device <= 0 or (match.group("ram") and ram <= 0):
        raise ValueError(f"bad memory size {spec!r}: must be positive")
    bandwidth, source = None, ""
    if match.group("gpu"):
        found = gpu_bandwidth(match.group("gpu"))
        if found is None:
            raise ValueError(f"unknown GPU {match.group('gpu')!r} in {spec!r}: name one of the table in "
                             "docs/catalog.md (e.g. H100 SXM, A100 80GB SXM, L40S, RTX 4090)")
        bandwidth, source = found.bytes_per_s, f"{found.label} datasheet: {found.source}"
    count = nodes * per_node
    total = per_device * count
    return Memory(kind, total, total, f"{spec.strip()} (given)", count, nodes, per_device, bandwidth, source, ram)


def format_bytes(n: int | float) -> str:
    """Human size: "4.9 GiB" (one decimal) from 1 GiB up, "512 MiB" below, KiB/B for tiny values."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n >= GIB:
        return f"{sign}{n / GIB:.1f} GiB"
    if n >= MIB:
        return f"{sign}{n / MIB:.0f} MiB"
    if n >= 1024:
        return f"{sign}{n / 1024:.0f} KiB"
    return f"{sign}{int(n)} B"

"""Memory to fit in: GPUs via NVML, else system RAM, or a user's spec (MODELPICK_MEMORY, --memory); sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

GIB = 1024**3
MIB = 1024**2

@dataclass(frozen=True)
class Memory:
    """Memory available to run a model: the GPUs found (summed) or system RAM."""

    kind: Literal["gpu", "ram"]
    total_bytes: int
    available_bytes: int
    name: str
    device_count: int = 1

    @property
    def budget_bytes(self) -> int:
        """What the fit verdict is measured against (see ``estimate``)."""
        return self.total_bytes if self.kind == "gpu" else self.available_bytes


def _nvml_memory() -> Memory | None:
    from ... import nvml

    with nvml.gpus() as found:
        if found is None:
            return None
        pynvml, count = found
        try:
            total = free = 0
            names: list[str] = []
            for i in range(count):
                handle = pynvml.nvmlDeviceGetHandleByIndex(i)
                info = pynvml.nvmlDeviceGetMemoryInfo(handle)
                total += int(info.total)
                free += int(info.free)
                raw = pynvml.nvmlDeviceGetName(handle)
                names.append(raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))
        except Exception:  # a GPU lost while we asked: no figure rather than a wrong one
            return None
        label = f"{names[0]} ×{count}" if len(set(names)) == 1 else " + ".join(names)
        return Memory("gpu", total, free, label, count)


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
    r"^\s*(?:(?P<count>\d+)\s*[x×*]\s*)?(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[kmgt]i?b?|b)?\s*$", re.IGNORECASE
)
_UNIT_POWER = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def memory_from_spec(spec: str, kind: Literal["gpu", "ram"] = "gpu") -> Memory:
    """Memory from a user spec such as "24GB", "80GiB", "2x80GB", "512MiB" or "24" (GiB assumed).

    GB and GiB are both read as binary units: cards and DIMMs sold as "24GB" have 24 GiB (an "80GB" H100
    has ~79.6 GiB usable, closer to 80 GiB than to 80e9 bytes). Raises ValueError on a malformed spec.
    """
    match = _SPEC_RE.match(spec or "")
    if not match:
        raise ValueError(f"bad memory size {spec!r}: use e.g. 24GB, 80GiB, 2x80GB")
    count = int(match.group("count") or 1)
    unit = (match.group("unit") or "g")[0].lower()
    per_device = int(float(match.group("num")) * 1024 ** _UNIT_POWER[unit])
    if count <= 0 or per_device <= 0:
        raise ValueError(f"bad memory size {spec!r}: must be positive")
    total = per_device * count
    return Memory(kind, total, total, f"{spec.strip()} (given)", count)


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

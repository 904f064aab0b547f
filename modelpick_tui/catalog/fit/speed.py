"""Decode speed, estimated: a token reads every active weight and the whole KV cache once, so decode tokens/s is at
most memory bandwidth ÷ bytes read per token. Always an estimate (a ceiling: kernels reach part of the peak, and
tensor parallelism's all-reduces are not counted); measured figures stand beside it where runs have them.

Bandwidth: a GPU's from its vendor's datasheet, keyed by the name NVML reports; the CPU's measured once on this
machine (a bounded numpy copy) and cached in modelpick's home, since a datasheet does not say what one process
gets from its DIMMs.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TB = 1e12
GB = 1e9


@dataclass(frozen=True)
class GpuBandwidth:
    bytes_per_s: float
    label: str  # what the datasheet calls it
    source: str  # the vendor page the figure comes from


_H100 = "https://www.nvidia.com/en-us/data-center/h100/"
_A100 = "https://www.nvidia.com/en-us/data-center/a100/"
_V100 = "https://www.nvidia.com/en-us/data-center/v100/"
# Keys are the names NVML reports (nvmlDeviceGetName; the same names as nvidia-smi and cloud GPU lists such as
# https://docs.runpod.io/references/gpu-types). Figures: peak memory bandwidth from the vendor's datasheet.
GPU_BANDWIDTH: dict[str, GpuBandwidth] = {
    "NVIDIA B200": GpuBandwidth(8.0 * TB, "B200", "https://www.nvidia.com/en-us/data-center/dgx-b200/"),
    "NVIDIA H200": GpuBandwidth(4.8 * TB, "H200", "https://www.nvidia.com/en-us/data-center/h200/"),
    "NVIDIA H200 NVL": GpuBandwidth(4.8 * TB, "H200 NVL", "https://www.nvidia.com/en-us/data-center/h200/"),
    "NVIDIA H100 80GB HBM3": GpuBandwidth(3.35 * TB, "H100 SXM", _H100),
    "NVIDIA H100 NVL": GpuBandwidth(3.9 * TB, "H100 NVL", _H100),
    "NVIDIA H100 PCIe": GpuBandwidth(2.0 * TB, "H100 PCIe", _H100),
    "NVIDIA A100-SXM4-80GB": GpuBandwidth(2.039 * TB, "A100 80GB SXM", _A100),
    "NVIDIA A100 80GB PCIe": GpuBandwidth(1.935 * TB, "A100 80GB PCIe", _A100),
    "NVIDIA A100-SXM4-40GB": GpuBandwidth(1.555 * TB, "A100 40GB SXM", _A100),
    "NVIDIA A100-PCIE-40GB": GpuBandwidth(1.555 * TB, "A100 40GB PCIe", _A100),
    "NVIDIA L40S": GpuBandwidth(864 * GB, "L40S", "https://www.nvidia.com/en-us/data-center/l40s/"),
    "NVIDIA L40": GpuBandwidth(864 * GB, "L40", "https://www.nvidia.com/en-us/data-center/l40/"),
    "NVIDIA A40": GpuBandwidth(696 * GB, "A40", "https://www.nvidia.com/en-us/data-center/a40/"),
    "NVIDIA L4": GpuBandwidth(300 * GB, "L4", "https://www.nvidia.com/en-us/data-center/l4/"),
    "NVIDIA A10": GpuBandwidth(600 * GB, "A10", "https://www.nvidia.com/en-us/data-center/products/a10-gpu/"),
    "Tesla T4": GpuBandwidth(320 * GB, "T4", "https://www.nvidia.com/en-us/data-center/tesla-t4/"),
    "Tesla V100-SXM2-16GB": GpuBandwidth(900 * GB, "V100 SXM2", _V100),
    "Tesla V100-SXM2-32GB": GpuBandwidth(900 * GB, "V100 SXM2", _V100),
    "NVIDIA RTX 6000 Ada Generation": GpuBandwidth(
        960 * GB, "RTX 6000 Ada", "https://www.nvidia.com/en-us/design-visualization/rtx-6000/"),
    "NVIDIA RTX A6000": GpuBandwidth(
        768 * GB, "RTX A6000", "https://www.nvidia.com/en-us/design-visualization/rtx-a6000/"),
    "NVIDIA GeForce RTX 4090": GpuBandwidth(
        1008 * GB, "RTX 4090", "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/"),
    "NVIDIA GeForce RTX 3090": GpuBandwidth(
        936 * GB, "RTX 3090", "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/rtx-3090-3090ti/"),
}


def _key(name: str) -> str:
    return " ".join(name.lower().replace("nvidia", "").replace("geforce", "").replace("tesla", "").split())


def gpu_bandwidth(name: str) -> GpuBandwidth | None:
    """The datasheet bandwidth of a GPU by the name NVML reports ("NVIDIA H100 80GB HBM3"), or by the table's own
    label ("H100 SXM"), case and the NVIDIA/GeForce/Tesla words aside; None for a GPU the table does not have."""
    if name in GPU_BANDWIDTH:
        return GPU_BANDWIDTH[name]
    key = _key(name)
    for nvml_name, bw in GPU_BANDWIDTH.items():
        if key and key in (_key(nvml_name), _key(bw.label)):
            return bw
    return None


def decode_tokens_per_s_estimate(bandwidth_bytes_per_s: float | None, active_weights_bytes: int, kv_bytes: int = 0,
                                 *, tensor_parallel: int = 1) -> float | None:
    """Decode tokens/s for one sequence, estimated: bandwidth ÷ bytes read per token (the active weights, i.e. all
    weights of a dense model and the routed experts' share of a mixture of experts, plus the KV cache at the
    context). Tensor parallelism splits both over `tensor_parallel` GPUs reading at once; pipeline stages run one
    after another, so they do not speed one sequence up. None when the bandwidth or the bytes are unknown."""
    per_token = max(0, active_weights_bytes) + max(0, kv_bytes)
    if not bandwidth_bytes_per_s or bandwidth_bytes_per_s <= 0 or per_token <= 0:
        return None
    return bandwidth_bytes_per_s * max(1, tensor_parallel) / per_token


# --- the CPU's bandwidth, measured ------------------------------------------------------------------------------

CACHE_FILE = "bandwidth.json"
_COPY_BYTES = 64 * 2**20  # well past any CPU cache, so the copy runs from DRAM
_MEASURE_BUDGET_S = 0.5
_lock = threading.Lock()


@dataclass(frozen=True)
class CpuBandwidth:
    bytes_per_s: float
    measured_at: str
    method: str


def _machine() -> str:
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs"


def measure_cpu_bandwidth(budget_s: float = _MEASURE_BUDGET_S) -> float:
    """Bytes/s one process moves between DRAM and the CPU: a 64 MiB numpy copy (read + write counted), on one
    thread and on one per core, best of the rounds that fit in `budget_s`."""
    import numpy as np  # lazy: the fit package imports nothing heavy

    src = np.ones(_COPY_BYTES, dtype=np.uint8)
    dst = np.empty_like(src)
    threads = max(1, min(os.cpu_count() or 1, 8))
    step = _COPY_BYTES // threads
    parts = [(dst[i * step:(i + 1) * step], src[i * step:(i + 1) * step]) for i in range(threads)]
    best = 0.0
    deadline = time.perf_counter() + budget_s
    rounds = 0
    while rounds < 2 or (time.perf_counter() < deadline and rounds < 12):
        t0 = time.perf_counter()
        if rounds % 2 == 0 or threads == 1:
            np.copyto(dst, src)
            moved = 2 * _COPY_BYTES
        else:  # numpy's copy releases the GIL: one slice per core at once
            workers = [threading.Thread(target=np.copyto, args=pair) for pair in parts]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            moved = 2 * step * threads
        best = max(best, moved / max(time.perf_counter() - t0, 1e-9))
        rounds += 1
    return best


# Other work on the cores only ever lowers a bandwidth measurement (a copy never runs faster than DRAM): the cache
# keeps the best figure so far, and is settled only by a measurement taken while the machine was quiet (load
# average under half the cores), or after SETTLE_AFTER tries. A figure taken under load (0.56 GB/s at load 9 on this
# 2-core machine, ~5-12 GB/s quiet) is used but measured again the next time it is asked for.
SETTLE_AFTER = 5


def _quiet() -> bool:
    try:
        return os.getloadavg()[0] < 0.5 * (os.cpu_count() or 1)
    except OSError:  # no load average on this platform: trust the measurement
        return True


def cpu_bandwidth(home: Path | None) -> CpuBandwidth:
    """This machine's CPU memory bandwidth: from `home`'s cache when a settled figure for this machine is there,
    else measured now (about half a second), the best of this and earlier tries kept there. Never raises: an
    unwritable home only means measuring again next time."""
    path = home / CACHE_FILE if home is not None else None
    machine = _machine()
    method = "numpy copy of 64 MiB, best round"
    with _lock:
        before: dict[str, Any] = {}
        if path is not None:
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError, AttributeError):
                cached = json.loads(path.read_text(encoding="utf-8"))["cpu"]
                if cached["machine"] == machine and float(cached["bytes_per_s"]) > 0:
                    if cached.get("settled", True):  # a cache written before settling existed was final
                        return CpuBandwidth(float(cached["bytes_per_s"]), str(cached["measured_at"]),
                                            str(cached["method"]))
                    before = cached
        now = measure_cpu_bandwidth()
        tries = int(before.get("tries") or 0) + 1
        best = max(now, float(before.get("bytes_per_s") or 0.0))
        at = (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if best == now or not before
              else str(before["measured_at"]))
        measured = CpuBandwidth(best, at, method)
        if path is not None:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({"cpu": {"machine": machine, "bytes_per_s": best, "measured_at": at,
                                                    "method": method, "tries": tries,
                                                    "settled": _quiet() or tries >= SETTLE_AFTER}}),
                                encoding="utf-8")
        return measured


def format_rate(bytes_per_s: float) -> str:
    """"3.35 TB/s", "864 GB/s": decimal units, as datasheets print them."""
    return f"{bytes_per_s / TB:.3g} TB/s" if bytes_per_s >= TB else f"{bytes_per_s / GB:.3g} GB/s"


def speed_basis(bandwidth_bytes_per_s: float | None, source: str) -> str:
    """One line saying what the speed estimate rests on, or why there is none."""
    if not bandwidth_bytes_per_s:
        return ("decode speed not estimated: this GPU's bandwidth is not in the table "
                "(MODELPICK_MEMORY=…@GPU names one, e.g. 80GB@H100 SXM)")
    where = source.split(":", 1)[0] if source else "bandwidth"
    return (f"decode tokens/s is an estimate: {format_rate(bandwidth_bytes_per_s)} ({where}) ÷ bytes read per token "
            "(active weights + KV cache), a ceiling for one sequence")

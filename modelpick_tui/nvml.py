"""NVIDIA's management library (nvidia-ml-py, optional): one place that imports, initialises and shuts it down,
for the fit estimate (GPU memory of this machine) and the supervisor (GPU memory of each server)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def gpus() -> Iterator[tuple[Any, int] | None]:
    """(the pynvml module, how many GPUs) while NVML is initialised; None where there is nothing to ask:
    nvidia-ml-py not installed, no driver (NVMLError at init), no GPU. NVML is shut down afterwards."""
    try:
        import pynvml  # optional: nvidia-ml-py
    except Exception:
        yield None
        return
    try:
        pynvml.nvmlInit()
    except Exception:  # pynvml.NVMLError_DriverNotLoaded / LibraryNotFound on machines without a driver
        yield None
        return
    try:
        try:
            count = int(pynvml.nvmlDeviceGetCount())
        except Exception:
            count = 0
        yield (pynvml, count) if count > 0 else None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()

"""Weights: bits per weight of a dtype or GGUF quant, the bytes a parameter count takes, quant names."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import Any

# Effective bits per weight for a whole model. GGUF "mixes" (Q4_K_M...) keep some tensors at higher
# precision, so they sit above their base block size (Q4_K blocks are 4.5 bpw, Q4_K_M files ~4.85). The
# figures are llama.cpp's published ones for 7-8B models; small models with big vocabularies run a little
# higher. When a local file exists, its size on disk is the better number.
_GGUF_BPW: dict[str, float] = {
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "Q8_0": 8.5,
    "Q8_K_XL": 9.0,
    "Q6_K": 6.56,
    "Q6_K_L": 6.8,
    "Q6_K_XL": 7.0,
    "Q5_1": 6.0,
    "Q5_K_L": 5.9,
    "Q5_K_XL": 5.9,
    "Q5_K_M": 5.69,
    "Q5_K_S": 5.54,
    "Q5_0": 5.5,
    "Q4_1": 5.0,
    "Q4_K_L": 5.1,
    "Q4_K_XL": 5.0,
    "Q4_K_M": 4.85,
    "Q4_K_S": 4.58,
    "Q4_0": 4.55,
    "Q4_0_4_4": 4.55,
    "Q4_0_4_8": 4.55,
    "Q4_0_8_8": 4.55,
    "MXFP4": 4.25,
    "IQ4_NL": 4.5,
    "IQ4_XS": 4.25,
    "Q3_K_XL": 4.4,
    "Q3_K_L": 4.27,
    "Q3_K_M": 3.91,
    "Q3_K_S": 3.5,
    "IQ3_M": 3.66,
    "IQ3_S": 3.44,
    "IQ3_XS": 3.3,
    "IQ3_XXS": 3.06,
    "Q2_K_XL": 3.2,
    "Q2_K_L": 3.0,
    "Q2_K": 2.63,
    "Q2_K_S": 2.56,
    "IQ2_M": 2.7,
    "IQ2_S": 2.5,
    "IQ2_XS": 2.31,
    "IQ2_XXS": 2.06,
    "TQ2_0": 2.06,
    "IQ1_M": 1.75,
    "TQ1_0": 1.69,
    "IQ1_S": 1.56,
}

# Checkpoint dtypes and GPU quantisation formats (safetensors dtype names included). 4-bit GPU formats
# store a 16-bit scale (+ zero point) per group of 128 and usually keep embeddings/lm_head unquantised,
# hence ~4.25 rather than 4.
_DTYPE_BPW: dict[str, float] = {
    "F64": 64.0,
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "F8": 8.0,
    "FP8": 8.0,
    "F8_E4M3": 8.0,
    "F8_E5M2": 8.0,
    "INT8": 8.0,
    "I8": 8.0,
    "U8": 8.0,
    "INT4": 4.25,
    "AWQ": 4.25,
    "GPTQ": 4.25,
    "NF4": 4.13,
    "BNB4": 4.13,
    "NVFP4": 4.5,
}

_ALIASES: dict[str, str] = {
    "FP32": "F32",
    "FLOAT32": "F32",
    "FP16": "F16",
    "FLOAT16": "F16",
    "HALF": "F16",
    "BFLOAT16": "BF16",
    "FLOAT8": "FP8",
    "E4M3": "F8_E4M3",
    "E5M2": "F8_E5M2",
    "MXFP4_MOE": "MXFP4",
    "W8A8": "INT8",
    "W4A16": "INT4",
}


def _canonical(name: str) -> str:
    key = name.strip().upper().replace("-", "_").removeprefix("TORCH.")
    key = key.removeprefix("UD_")  # unsloth "dynamic" files: UD-Q4_K_XL
    return _ALIASES.get(key, key)


def bits_per_weight(dtype_or_quant: str) -> float | None:
    """Effective bits per weight for a dtype ("BF16", "fp8", "awq") or GGUF quant ("Q4_K_M"), or None."""
    key = _canonical(dtype_or_quant)
    return _GGUF_BPW.get(key) or _DTYPE_BPW.get(key)


def weights_bytes(params: int, dtype_or_quant: str) -> int:
    """Bytes taken by ``params`` weights stored as ``dtype_or_quant``; ValueError for an unknown label."""
    bpw = bits_per_weight(dtype_or_quant)
    if bpw is None:
        raise ValueError(f"unknown dtype or quant: {dtype_or_quant!r}")
    return int(math.ceil(max(0, params) * bpw / 8))


# Longest names first so "Q4_K_M" wins over "Q4_K" and "Q4_0_4_4" over "Q4_0"; "FP16" spelled out too.
_QUANT_NAMES = sorted([*_GGUF_BPW, "FP16", "FP32", "MXFP4_MOE"], key=len, reverse=True)
_QUANT_RE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(re.escape(n) for n in _QUANT_NAMES) + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def quant_from_filename(name: str) -> str | None:
    """The GGUF quant named in a file name ("...-Q4_K_M.gguf" -> "Q4_K_M"), case-insensitive, or None.

    Works on split files ("-Q8_0-00001-of-00002.gguf") and unsloth's "UD-" prefix ("UD-Q4_K_XL" ->
    "Q4_K_XL"). The last match wins: the quant comes after the model name.
    """
    base = os.path.basename(name)
    matches = [m.group(1) for m in _QUANT_RE.finditer(base)]
    if not matches:
        return None
    return _canonical(matches[-1])


def quant_from_gguf(meta: Mapping[str, Any]) -> str | None:
    """The quant recorded in a GGUF's ``general.file_type`` ("Q4_K_M", "BF16"...), or None."""
    ftype = meta.get("general.file_type") if isinstance(meta, Mapping) else None
    if isinstance(ftype, bool) or not isinstance(ftype, int):
        return None
    from gguf import LlamaFileType  # lazy: pulls in numpy

    try:
        name = LlamaFileType(ftype).name
    except ValueError:
        return None
    if name == "GUESSED":
        return None
    return _canonical(name.removeprefix("MOSTLY_").removeprefix("ALL_"))

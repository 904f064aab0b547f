"""Weights: bits per weight of a dtype or GGUF quant, the bytes a parameter count takes, quant names, and the true
parameter count of a natively quantised checkpoint (``native_params``)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
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


# --- natively quantised checkpoints: the parameters behind the Hub's count of stored elements ----------------

_HALF = ("F16", "BF16")


@dataclass(frozen=True)
class NativeCount:
    """The true parameter count of a natively quantised checkpoint and its format ("MXFP4", "AWQ", "FP8"...)."""

    params: int
    format: str


def native_format(config: Mapping[str, Any] | None) -> str | None:
    """The weight format a checkpoint's config declares (quantization_config, or MLX's quantization), or None."""
    if not isinstance(config, Mapping):
        return None
    quant = config.get("quantization_config")
    if isinstance(quant, Mapping):
        method = str(quant.get("quant_method") or "").lower()
        bits = _bits(quant)
        if method == "mxfp4":
            return "MXFP4"
        if method in ("awq", "gptq"):
            return method.upper() if bits == 4 else f"{method.upper()} INT{bits}"
        if method in ("fp8", "fbgemm_fp8"):
            return "FP8"
        if method == "bitsandbytes":
            if quant.get("load_in_8bit"):
                return "INT8"
            return "FP4" if str(quant.get("bnb_4bit_quant_type") or "nf4").lower() == "fp4" else "NF4"
        if method == "compressed-tensors":
            return _compressed_format(quant)
        if method == "modelopt":
            algo = str(quant.get("quant_algo") or "").upper()
            return algo if algo in ("FP8", "NVFP4") else None
        return None
    mlx = config.get("quantization")
    if isinstance(mlx, Mapping) and isinstance(mlx.get("bits"), int):
        return f"MLX {mlx['bits']}-bit"
    return None


def _bits(quant: Mapping[str, Any]) -> int:
    bits = quant.get("bits", quant.get("w_bit", 4))
    return bits if isinstance(bits, int) and not isinstance(bits, bool) and 1 <= bits <= 16 else 4


def _group(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _compressed_weights(quant: Mapping[str, Any]) -> Mapping[str, Any]:
    groups = quant.get("config_groups")
    if isinstance(groups, Mapping):
        for group in groups.values():
            if isinstance(group, Mapping) and isinstance(group.get("weights"), Mapping):
                return group["weights"]
    return {}


def _compressed_format(quant: Mapping[str, Any]) -> str | None:
    fmt = str(quant.get("format") or "").lower()
    weights = _compressed_weights(quant)
    bits = _bits({"bits": weights.get("num_bits", 8 if fmt != "pack-quantized" else 4)})
    if fmt == "nvfp4-pack-quantized":
        return "NVFP4"
    if fmt == "pack-quantized":
        return f"INT{bits}"
    if fmt == "float-quantized" or (fmt == "naive-quantized" and weights.get("type") == "float"):
        return "FP8"
    if fmt in ("int-quantized", "naive-quantized"):
        return f"INT{bits}"
    return None


def native_params(dtypes: Mapping[str, int], config: Mapping[str, Any] | None) -> NativeCount | None:
    """Parameters from the Hub's stored-element counts per dtype (``safetensors.parameters``) and the config's
    quantisation, or None when the format is unknown or the counts do not fit it.

    Why: MXFP4 stores two 4-bit values per U8 plus one U8 scale per 32 (gpt-oss-20b: 12.0B elements for 20.9B
    parameters); AWQ/GPTQ pack 32/bits values per I32 beside an F16 scale (and packed zero point) per group;
    bitsandbytes 4-bit packs two per U8 with an F32 absmax per 64; FP8 stores one per byte with F32 block scales.
    The scales are not parameters and are taken out."""
    fmt = native_format(config)
    if fmt is None or not dtypes:
        return None
    counts = {str(k).upper(): int(v) for k, v in dtypes.items() if isinstance(v, int) and v >= 0}
    quant = config.get("quantization_config") if config else None
    quant = quant if isinstance(quant, Mapping) else {}

    def rest(*packed: str) -> int:
        return sum(v for k, v in counts.items() if k not in packed and k != "I64")  # I64: compressed shapes

    def less_half(n: int) -> int:  # scales stored in F16/BF16 come out of those counts (a negative change)
        return -min(n, sum(counts.get(k, 0) for k in _HALF))

    i32, u8, u32 = counts.get("I32", 0), counts.get("U8", 0), counts.get("U32", 0)
    f8 = counts.get("F8_E4M3", 0) + counts.get("F8_E5M2", 0)
    if fmt == "MXFP4" and u8:
        q = u8 * 32 // 17  # per 32 values: 16 bytes of nibbles + 1 byte of shared exponent
        return NativeCount(q + rest("U8"), fmt)
    if fmt.startswith(("AWQ", "GPTQ")) and i32:
        # The Hub's listing keeps only quant_method and bits of the config: group 128 is what nearly all use.
        pack, group = 32 // _bits(quant), _group(quant.get("group_size", quant.get("q_group_size", 128)))
        # qweight holds P/pack I32 and qzeros P/(pack x group): P = I32 x pack x group / (group + 1).
        q = i32 * pack * group // (group + 1) if group else i32 * pack
        return NativeCount(q + rest("I32") + less_half(q // group if group else 0), fmt)
    if fmt.startswith("MLX") and u32:
        mlx = config.get("quantization") if config else None
        bits = _bits(mlx) if isinstance(mlx, Mapping) else 4
        group = _group(mlx.get("group_size")) if isinstance(mlx, Mapping) else None
        q = u32 * (32 // bits)
        return NativeCount(q + rest("U32") + less_half(2 * q // group if group else 0), fmt)  # scales, biases
    if fmt in ("NF4", "FP4") and u8:
        double = bool(quant.get("bnb_4bit_use_double_quant"))
        q = u8 * 64 // 33 if double else u8 * 2  # double quantisation keeps one U8 absmax per 64 values
        absmax = 0 if double else q // 64
        return NativeCount(q + rest("U8", "F32") + max(0, counts.get("F32", 0) - absmax), fmt)
    if fmt == "NVFP4" and u8:
        q = u8 * 2
        return NativeCount(q + rest("U8", "F8_E4M3") + max(0, counts.get("F8_E4M3", 0) - q // 16), fmt)
    if fmt.startswith("INT") and quant.get("quant_method") == "compressed-tensors" and i32:
        weights = _compressed_weights(quant)
        q = i32 * (32 // _bits({"bits": weights.get("num_bits", 4)}))
        group = _group(weights.get("group_size")) if weights.get("strategy") == "group" else None
        return NativeCount(q + rest("I32") + less_half(q // group if group else 0), fmt)
    if fmt == "FP8" and f8:
        block = quant.get("weight_block_size")
        scales = 0
        if isinstance(block, list) and len(block) == 2 and all(_group(b) for b in block):
            scales = f8 // (block[0] * block[1])  # DeepSeek-V3 / Kimi-K2: one F32 scale per 128 x 128 block
        return NativeCount(rest("F32") + max(0, counts.get("F32", 0) - scales), fmt)
    if fmt.startswith("INT") and (counts.get("I8", 0) or i32 == 0):
        return NativeCount(rest(), fmt)  # int8: one value per element
    return None

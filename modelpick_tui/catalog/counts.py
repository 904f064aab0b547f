"""A Hub model's parameter count: the true count behind a quantised checkpoint's stored elements, a mixture of
experts' active count, and where each figure comes from (pure functions, no IO)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([bBmM])(?![a-zA-Z])")


def params_from_name(model_id: str) -> int | None:
    """'Qwen2.5-7B-Instruct-AWQ' → 7e9. Only used when the Hub gives no usable count."""
    name = model_id.split("/")[-1].replace("_", "-")
    for part in re.split(r"-", name):
        m = _NAME_SIZE.fullmatch(part)
        if m:
            scale = 1e9 if m.group(2).lower() == "b" else 1e6
            return int(float(m.group(1)) * scale)
    return None


# Where a catalogue row's parameter count comes from, in the words the card shows.
PARAMS_SOURCES = {
    "hub": "the Hub's safetensors count",
    "dtypes": "the stored dtypes and the quantisation config",
    "config": "the config's shapes",
    "hub-raw": "the Hub's raw figure: stored elements of a quantised checkpoint, not parameters",
    "gguf": "the GGUF header",
    "name": "the model's name",
    "local scan": "the GGUF file's header",
}


@dataclass(frozen=True)
class ParamsFacts:
    params: int | None
    active: int | None = None
    source: str = ""
    native_format: str = ""


# Stored dtypes that hold packed sub-byte values or quantisation metadata: a count with them is not a parameter count.
_PACKED_DTYPES = ("I32", "U32", "U8", "I8")


def count_params(info: Any, config_json: dict[str, Any] | None, formats: list[str]) -> ParamsFacts:
    """The true parameter count of a Hub model and, for a mixture of experts, the active count.

    Natively quantised checkpoints (MXFP4, AWQ, GPTQ, FP8, bitsandbytes, compressed-tensors, MLX) are decoded from
    the stored dtypes and the quantisation config (fit/weights.native_params); a mixture of experts' active count
    comes from its config.json (fit/params.py), which a listing lacks until the model's details are fetched."""
    from .fit.arch import arch_from_config  # the browse screen's first frame needs none of the fit maths
    from .fit.weights import native_params

    listed = info.config if isinstance(info.config, dict) else {}
    config = config_json or listed
    arch = arch_from_config(config_json) if config_json else None
    shapes = arch.params if arch is not None else None
    active = shapes.active if shapes is not None and arch is not None and arch.moe is not None else None
    gguf = info.gguf if isinstance(info.gguf, dict) else {}
    raw = int(info.safetensors.total) if info.safetensors is not None and info.safetensors.total else None
    if raw is not None:
        dtypes = dict(getattr(info.safetensors, "parameters", None) or {})
        native = native_params(dtypes, config)
        if native is not None:
            return ParamsFacts(native.params, active, "dtypes", native.format)
        if config.get("quantization_config") or config.get("quantization") or _packed(dtypes):
            if shapes is not None:
                return ParamsFacts(shapes.total, active, "config")
            by_name = params_from_name(info.id) if ("awq" in formats or "gptq" in formats) else None
            return ParamsFacts(by_name, active, "name") if by_name else ParamsFacts(raw, active, "hub-raw")
        return ParamsFacts(raw, active, "hub")
    if gguf.get("total"):
        total = int(gguf["total"])  # a parameter count, not bytes
        if active is None and isinstance(config.get("gguf"), dict):
            active = gguf_active(total, config["gguf"])
        return ParamsFacts(total, active, "gguf")
    if shapes is not None:
        return ParamsFacts(shapes.total, active, "config")
    by_name = params_from_name(info.id)
    return ParamsFacts(by_name, active, "name" if by_name else "")


def _packed(dtypes: dict[str, int]) -> bool:
    total = sum(v for v in dtypes.values() if isinstance(v, int))
    packed = sum(v for k, v in dtypes.items() if str(k).upper() in _PACKED_DTYPES and isinstance(v, int))
    return total > 0 and packed > total // 4


_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmbt]?)\s*$", re.IGNORECASE)
_COUNT_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12, "": 1e9}


def parse_param_count(text: str) -> int:
    """A parameter count a user typed: "7B", "500M", "1.5T", "3.6b"; a bare number is in billions ("8" = 8B).
    Raises ValueError with the line to show."""
    match = _COUNT.match(text or "")
    if not match:
        raise ValueError(f"not a parameter count: {text!r} (use e.g. 7B, 500M, 1.5T)")
    return int(float(match.group(1)) * _COUNT_SCALE[match.group(2).lower()])



def active_from_base(params: int | None, base_params: int | None, base_active: int | None) -> int | None:
    """A repack's active count from the model it was converted from (a GGUF of a mixture of experts has no
    config.json): the base's, when the two totals agree to 2% (the same weights, another file format)."""
    if not params or not base_params or not base_active:
        return None
    return base_active if abs(params - base_params) <= 0.02 * base_params else None


def gguf_active(params: int | None, meta: dict[str, Any]) -> int | None:
    """A GGUF mixture of experts' active count from its header: the total less the routed experts a token is not
    sent to (llama.cpp's expert_* keys) and the input embedding row it does not read. None for a dense model."""
    from .fit.arch import arch_from_gguf  # the fit maths load only for a GGUF's facts

    arch = arch_from_gguf(meta)
    if not params or arch is None or arch.moe is None or not arch.moe.routed_params:
        return None
    unused = arch.moe.routed_params - arch.moe.active_routed_params
    active = params - unused - (arch.vocab_size or 0) * arch.hidden_size
    return active if 0 < active < params else None


# How many mixtures of experts' config.json a sync fetches (one request each), beyond the listing's pages.
MOE_CONFIGS_PER_SYNC = 50
# Architecture class names of mixtures of experts, as the Hub's listing gives them (config.architectures).
_MOE_ARCH = re.compile(r"moe|mixtral|gptoss|deepseekv[23]|qwen3next|qwen3_5moe|jamba|kimi|dbrx|llama4|arctic",
                       re.IGNORECASE)


def moe_architecture(listing_config: Any) -> bool:
    """Whether a listing's config names a mixture-of-experts architecture (MixtralForCausalLM, GptOssForCausalLM,
    Qwen3MoeForCausalLM, DeepseekV3ForCausalLM, Glm4MoeForCausalLM...)."""
    if not isinstance(listing_config, dict):
        return False
    archs = listing_config.get("architectures")
    names = [str(a) for a in archs] if isinstance(archs, list) else []
    return any(_MOE_ARCH.search(name) for name in [*names, str(listing_config.get("model_type") or "")])

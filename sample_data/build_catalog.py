#!/usr/bin/env python3
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


def qwen2(L, H, nh, kv, inter, vocab=152064, ctx=32768, tie=False, sw=131072, arch="Qwen2ForCausalLM", **kw):
    return C("qwen2", arch, L, H, nh, kv, inter, vocab, ctx, rope_theta=1000000.0, sliding_window=sw,
             use_sliding_window=False, max_window_layers=L if L < 70 else 70, tie_word_embeddings=tie, **kw)


def qwen3(L, H, nh, kv, inter, ctx=40960, tie=False, vocab=151936, **kw):
    return C("qwen3", "Qwen3ForCausalLM", L, H, nh, kv, inter, vocab, ctx, head_dim=128, rope_theta=1000000.0,
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

"""A small built-in catalogue for the fake Hub: fourteen model records in the sample_data shape, with their cards,
built the way the real Hub lists such repositories (tags, cardData, siblings with LFS entries, safetensors or
gguf totals, config). Most of its length is the data of those records."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .hub_records import config_bytes, fake_hex, git_blob_oid

__all__ = ["builtin_catalog"]


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    plain = (
        text
        and text == text.strip()
        and not any(c in text for c in ":#{}[],&*!|>'\"%@`")
        and text.lower() not in {"true", "false", "yes", "no", "on", "off", "null", "~"}
        and not re.fullmatch(r"[-+]?[0-9._]+(e[-+]?[0-9]+)?", text, re.IGNORECASE)
    )
    return text if plain else json.dumps(text)


def _card_text(repo_id: str, card_data: Mapping[str, Any], body: str) -> str:
    lines = ["---"]
    for key, value in card_data.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"- {_yaml_scalar(item)}" for item in value)
        else:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    lines.append("---")
    lines.append("")
    lines.append(f"# {repo_id.split('/')[-1]}")
    lines.append("")
    lines.append(body)
    return "\n".join(lines) + "\n"


def _sibling(repo_id: str, name: str, size: int, lfs: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"rfilename": name, "size": size, "blobId": fake_hex("blob", repo_id, name)}
    if lfs:
        entry["lfs"] = {"size": size, "sha256": fake_hex("lfs", repo_id, name, n=64), "pointerSize": 135}
    return entry


def _model(
    repo_id: str,
    *,
    params: int,
    license: str | None,
    downloads: int,
    likes: int,
    trending: int,
    created: str,
    modified: str,
    files: list[tuple[str, int, bool]],
    arch: str | None = None,
    model_type: str | None = None,
    config_extra: Mapping[str, Any] | None = None,
    gated: bool | str = False,
    private: bool = False,
    library: str | None = "transformers",
    task: str | None = "text-generation",
    dtype: str = "BF16",
    gguf: Mapping[str, Any] | None = None,
    base_model: str | None = None,
    extra_tags: Iterable[str] = (),
    languages: Iterable[str] = ("en",),
) -> dict[str, Any]:
    languages = list(languages)
    tags: list[str] = []
    if library:
        tags.append(library)
    if gguf is not None:
        tags.append("gguf")
    elif any(name.endswith(".safetensors") for name, _, _ in files):
        tags.append("safetensors")
    if model_type:
        tags.append(model_type)
    if task:
        tags.append(task)
    tags += list(extra_tags) + languages
    if base_model:
        tags += [f"base_model:{base_model}", f"base_model:{'quantized' if gguf else 'finetune'}:{base_model}"]
    if license:
        tags.append(f"license:{license}")
    tags += ["endpoints_compatible", "region:us"]

    card_data: dict[str, Any] = {}
    if languages:
        card_data["language"] = languages
    if license:
        card_data["license"] = license
    if library:
        card_data["library_name"] = library
    if task:
        card_data["pipeline_tag"] = task
    if base_model:
        card_data["base_model"] = base_model
    card_data["tags"] = [t for t in extra_tags]

    config_json: dict[str, Any] | None = None
    if arch and model_type:
        config_json = {"architectures": [arch], "model_type": model_type, "torch_dtype": "bfloat16"}
        config_json.update(config_extra or {})
    siblings = [_sibling(repo_id, name, size, lfs) for name, size, lfs in files]
    record: dict[str, Any] = {
        "_id": fake_hex("_id", repo_id, n=24),
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "sha": fake_hex("sha", repo_id),
        "createdAt": created,
        "lastModified": modified,
        "private": private,
        "disabled": False,
        "gated": gated,
        "downloads": downloads,
        "likes": likes,
        "trendingScore": trending,
        "tags": tags,
        "cardData": card_data,
        "siblings": siblings,
        "usedStorage": sum(size for _, size, _ in files),
        "config_json": config_json,
    }
    if library:
        record["library_name"] = library
    if task:
        record["pipeline_tag"] = task
    if config_json is not None:
        record["config"] = {"architectures": [arch], "model_type": model_type}
    if library == "transformers" and task == "text-generation":
        record["transformersInfo"] = {
            "auto_model": "AutoModelForCausalLM",
            "pipeline_tag": "text-generation",
            "processor": "AutoTokenizer",
        }
    if gguf is not None:
        record["gguf"] = dict(gguf)
    else:
        record["safetensors"] = {"parameters": {dtype: params}, "total": params}
    return record


def _hf_files(
    shards: list[int], *, tokenizer_size: int = 7031645, extra: Iterable[tuple[str, int, bool]] = ()
):
    files: list[tuple[str, int, bool]] = [(".gitattributes", 1519, False), ("README.md", 0, False)]
    files += [("config.json", 0, False), ("generation_config.json", 242, False)]
    if len(shards) == 1:
        files.append(("model.safetensors", shards[0], True))
    else:
        n = len(shards)
        files += [(f"model-{i:05d}-of-{n:05d}.safetensors", size, True) for i, size in enumerate(shards, 1)]
        files.append(("model.safetensors.index.json", 27752, False))
    files += [
        ("tokenizer.json", tokenizer_size, tokenizer_size > 10_000_000),
        ("tokenizer_config.json", 7305, False),
    ]
    files += list(extra)
    return files


def builtin_catalog() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Fourteen models in the sample_data shape (records + cards): a gated Llama, a GGUF repo with several
    quants, a model without a licence, one without a card, a private one and a tiny one whose weights are
    small enough to download. Deterministic: every call returns equal data."""
    gguf_files = [(".gitattributes", 2410, False), ("README.md", 0, False)]
    gguf_files += [
        (f"Qwen2.5-7B-Instruct-{quant}.gguf", size, True)
        for quant, size in (
            ("IQ2_M", 2781712288), ("Q2_K", 3015940128), ("Q4_K_M", 4683073952),
            ("Q5_K_M", 5444831136), ("Q6_K", 6254199200), ("Q8_0", 8098525600),
        )
    ]  # fmt: skip
    gguf_files.append(("Qwen2.5-7B-Instruct.imatrix", 4536640, True))
    qwen_cfg = {"hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
                "num_key_value_heads": 4, "max_position_embeddings": 32768, "vocab_size": 152064,
                "rope_theta": 1000000.0, "sliding_window": 131072}  # fmt: skip
    models = [
        _model(
            "meta-llama/Llama-3.1-8B-Instruct",
            params=8030261248,
            license="llama3.1",
            gated="manual",
            downloads=5120931,
            likes=4321,
            trending=61,
            created="2024-07-18T08:56:00.000Z",
            modified="2024-09-25T17:00:57.000Z",
            arch="LlamaForCausalLM",
            model_type="llama",
            config_extra={
                "hidden_size": 4096,
                "num_hidden_layers": 32,
                "num_attention_heads": 32,
                "num_key_value_heads": 8,
                "max_position_embeddings": 131072,
                "vocab_size": 128256,
            },
            files=_hf_files(
                [4976698672, 4999802720, 4915916176, 1168138808],
                tokenizer_size=9085657,
                extra=[
                    ("LICENSE", 7627, False),
                    ("USE_POLICY.md", 4691, False),
                    ("original/consolidated.00.pth", 16060617592, True),
                    ("original/params.json", 199, False),
                    ("original/tokenizer.model", 2183982, True),
                ],
            ),
            extra_tags=["facebook", "meta", "llama-3", "conversational"],
            languages=["en", "de", "fr"],
            base_model="meta-llama/Llama-3.1-8B",
        ),
        _model(
            "Qwen/Qwen2.5-7B-Instruct",
            params=7615616512,
            license="apache-2.0",
            downloads=2460011,
            likes=812,
            trending=33,
            created="2024-09-16T11:55:40.000Z",
            modified="2025-01-12T02:10:10.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra=qwen_cfg,
            files=_hf_files([3945441440, 3864726320, 3864726424, 3556377672]),
            extra_tags=["chat", "conversational"],
            base_model="Qwen/Qwen2.5-7B",
        ),
        _model(
            "Qwen/Qwen2.5-0.5B-Instruct",
            params=494032768,
            license="apache-2.0",
            downloads=1830422,
            likes=301,
            trending=12,
            created="2024-09-16T11:52:37.000Z",
            modified="2024-09-25T12:32:56.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra={**qwen_cfg, "hidden_size": 896},
            files=_hf_files([988097824]),
            extra_tags=["chat", "conversational"],
            base_model="Qwen/Qwen2.5-0.5B",
        ),
        _model(
            "mistralai/Mistral-7B-Instruct-v0.3",
            params=7248023552,
            license="apache-2.0",
            gated="auto",
            downloads=1012345,
            likes=1620,
            trending=9,
            created="2024-05-22T09:57:04.000Z",
            modified="2024-08-21T12:18:25.000Z",
            arch="MistralForCausalLM",
            model_type="mistral",
            config_extra={"hidden_size": 4096, "num_hidden_layers": 32, "max_position_embeddings": 32768},
            files=_hf_files([4949453792, 5000005920, 4546807800], tokenizer_size=3672017),
            extra_tags=["conversational"],
            base_model="mistralai/Mistral-7B-v0.3",
        ),
        _model(
            "google/gemma-2-9b-it",
            params=9241705984,
            license="gemma",
            gated="manual",
            downloads=402222,
            likes=688,
            trending=5,
            created="2024-06-24T08:05:41.000Z",
            modified="2024-08-27T19:41:49.000Z",
            arch="Gemma2ForCausalLM",
            model_type="gemma2",
            config_extra={"hidden_size": 3584, "num_hidden_layers": 42, "max_position_embeddings": 8192},
            files=_hf_files([4903351912, 4947570872, 4962221464, 3670322200], tokenizer_size=17525357),
            extra_tags=["conversational"],
            base_model="google/gemma-2-9b",
        ),
        _model(
            "microsoft/Phi-3.5-mini-instruct",
            params=3821079552,
            license="mit",
            downloads=330104,
            likes=845,
            trending=4,
            created="2024-08-16T20:48:26.000Z",
            modified="2025-03-02T22:27:58.000Z",
            arch="Phi3ForCausalLM",
            model_type="phi3",
            config_extra={"hidden_size": 3072, "num_hidden_layers": 32, "max_position_embeddings": 131072},
            files=_hf_files([4972489328, 2669692552], tokenizer_size=1844409),
            extra_tags=["nlp", "code", "conversational"],
            languages=["multilingual"],
        ),
        _model(
            "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
            params=14770033664,
            license="mit",
            downloads=620700,
            likes=540,
            trending=27,
            created="2025-01-20T09:18:27.000Z",
            modified="2025-02-24T03:31:45.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra={**qwen_cfg, "hidden_size": 5120},
            files=_hf_files([8707358136, 8684561184, 8749587720, 3397453960]),
            extra_tags=["conversational"],
            languages=[],
            base_model="deepseek-ai/DeepSeek-R1",
        ),
        _model(
            "allenai/OLMo-2-1124-13B-Instruct",
            params=13716198400,
            license="apache-2.0",
            downloads=15020,
            likes=41,
            trending=2,
            created="2024-11-25T20:53:05.000Z",
            modified="2025-01-06T19:54:17.000Z",
            arch="Olmo2ForCausalLM",
            model_type="olmo2",
            config_extra={"hidden_size": 5120, "num_hidden_layers": 40, "max_position_embeddings": 4096},
            files=_hf_files([4991617640, 4966470080, 4966470136, 4966470136, 4966470136, 3581321688]),
            extra_tags=["conversational"],
            base_model="allenai/OLMo-2-1124-13B-DPO",
        ),
        _model(
            "bartowski/Qwen2.5-7B-Instruct-GGUF",
            params=7615616512,
            license="apache-2.0",
            library=None,
            downloads=88210,
            likes=63,
            trending=3,
            created="2024-09-18T18:45:13.000Z",
            modified="2024-09-19T12:05:21.000Z",
            files=gguf_files,
            gguf={
                "total": 7615616512,
                "architecture": "qwen2",
                "context_length": 32768,
                "chat_template": "{% for message in messages %}{{ message['content'] }}{% endfor %}",
                "bos_token": "<|endoftext|>",
                "eos_token": "<|im_end|>",
            },
            extra_tags=["chat", "imatrix", "conversational"],
            base_model="Qwen/Qwen2.5-7B-Instruct",
        ),
        _model(
            "mlx-community/Qwen2.5-7B-Instruct-4bit",
            params=1190603264,
            license="apache-2.0",
            library="mlx",
            downloads=20188,
            likes=14,
            trending=1,
            created="2024-09-18T19:06:42.000Z",
            modified="2024-09-18T19:13:12.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra={**qwen_cfg, "quantization": {"group_size": 64, "bits": 4}},
            files=_hf_files([4284470592], tokenizer_size=7031645),
            dtype="U32",
            extra_tags=["chat", "conversational"],
            base_model="Qwen/Qwen2.5-7B-Instruct",
        ),
        _model(
            "mergekit-fan/untitled-7b-merge",
            params=7241732096,
            license=None,
            downloads=310,
            likes=2,
            trending=0,
            created="2024-03-02T10:00:00.000Z",
            modified="2024-03-03T10:00:00.000Z",
            arch="MistralForCausalLM",
            model_type="mistral",
            files=_hf_files([9942981696, 4540516344]),
            extra_tags=["mergekit", "merge"],
        ),
        _model(
            "plain-org/no-card-2b",
            params=2506172416,
            license=None,
            downloads=55,
            likes=0,
            trending=0,
            created="2024-02-01T00:00:00.000Z",
            modified="2024-02-01T00:00:00.000Z",
            arch="GemmaForCausalLM",
            model_type="gemma",
            files=[f for f in _hf_files([5012345678]) if f[0] != "README.md"],
            languages=[],
        ),
        _model(
            "fakehub-org/tiny-random-llama",
            params=16448,
            license="apache-2.0",
            downloads=7,
            likes=1,
            trending=0,
            created="2024-01-10T00:00:00.000Z",
            modified="2024-01-11T00:00:00.000Z",
            arch="LlamaForCausalLM",
            model_type="llama",
            dtype="F32",
            config_extra={"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 512},
            files=_hf_files([65792], tokenizer_size=3420),
        ),
        _model(
            "acme-corp/private-llm",
            params=1100048384,
            license="apache-2.0",
            private=True,
            downloads=0,
            likes=0,
            trending=0,
            created="2024-06-01T00:00:00.000Z",
            modified="2024-06-02T00:00:00.000Z",
            arch="LlamaForCausalLM",
            model_type="llama",
            files=_hf_files([2200119864]),
        ),
    ]
    cards: dict[str, str] = {}
    for record in models:
        if record["id"] == "plain-org/no-card-2b":
            continue
        body = "A model in the fakehub catalogue, for tests.\n\n## Usage\n\nSee the original model card."
        cards[record["id"]] = _card_text(record["id"], record["cardData"], body)
    # Make the listed README.md / config.json sizes and oids those of the content the hub serves.
    for record in models:
        contents = {"README.md": cards.get(record["id"], "").encode("utf-8")}
        if record["config_json"] is not None:
            contents["config.json"] = config_bytes(record["config_json"])
        for sibling in record["siblings"]:
            content = contents.get(sibling["rfilename"])
            if content is not None:
                sibling["size"], sibling["blobId"] = len(content), git_blob_oid(content)
        record["usedStorage"] = sum(s["size"] for s in record["siblings"])
    return models, cards

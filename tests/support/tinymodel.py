"""A tiny Llama built offline, for serving tests and benches that need a real model vLLM can load.

Random weights (590k parameters, 2.4 MB of safetensors) and a byte-level BPE tokenizer trained on generated
words: nothing is downloaded, and it builds in seconds. Its shape follows what vLLM's CPU build accepts
(SERVING.md): head size 32 (4 heads × 32 = hidden 128; head size 16 kills the engine at the first request),
a fast tokenizer, and a chat template (without one vLLM answers chat requests with HTTP 400). Greedy output
is deterministic gibberish; some streamed pieces are "" or "\\ufffd" (byte tokens): count tokens from `usage`.

    python tests/support/tinymodel.py DIR     # build it into DIR (for bench scripts)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

VOCAB = 1024
HIDDEN = 128
LAYERS = 2
HEADS = 4  # head size HIDDEN / HEADS = 32
INTERMEDIATE = 256
MAX_POSITIONS = 512
SERVED_NAME = "tiny"

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)

_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "va", "ch", "an", "el", "or", "is", "um",
              "th", "ing", "er", "st", "qu", "ow", "ay", "ex"]


def _corpus(lines: int = 2000, seed: int = 0) -> list[str]:
    """Generated sentences of made-up words (and some digits and punctuation), enough for 1024 BPE merges."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        words = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(3, 12))]
        if rng.random() < 0.3:
            words.append(str(rng.randint(0, 999)))
        out.append(" ".join(words) + rng.choice([".", "?", "!", ","]))
    return out


def build(target: str | Path) -> Path:
    """Write the tiny model (config, safetensors, tokenizer, chat template) into `target` and return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "</s>", "<unk>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(_corpus(), trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                        pad_token="</s>")
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(target)

    config = LlamaConfig(
        vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
        num_key_value_heads=HEADS, intermediate_size=INTERMEDIATE, max_position_embeddings=MAX_POSITIONS,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False,
    )
    torch.manual_seed(0)  # the same weights every time: greedy answers are reproducible
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(target, safe_serialization=True)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/support/tinymodel.py DIR", file=sys.stderr)
        return 2
    path = build(argv[0])
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

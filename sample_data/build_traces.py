"""Build sample_data/traces/demo.jsonl: a deterministic demo review (150 traces, ~100 labelled).

Three models from the sample catalogue (a 270M, a 1.7B and a 7B) answer 50 prompts of the sample prompt
sets (support, extraction, code). Outputs are written by rules here, not by the models: good answers
follow the reference; failures are of the kinds reviewers meet — a refusal of a harmless request,
invalid JSON, a wrong fact, a truncated answer, ignoring the system prompt — more often for smaller
models. About 100 traces carry a human-style label with a short note, in varied words.

    python sample_data/build_traces.py          # rewrites sample_data/traces/demo.jsonl
    modelpick import sample_data/traces/demo.jsonl
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "traces" / "demo.jsonl"
RUN = "demo-0001"
START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

# (model, endpoint, model_ref, failure rate, decode tok/s, ttft ms)
MODELS = [
    ("google/gemma-3-270m-it", "gemma-270m", "ggml-org/gemma-3-270m-it-GGUF:gemma-3-270m-it-Q4_K_M.gguf",
     0.55, 140.0, 35.0),
    ("HuggingFaceTB/SmolLM2-1.7B-Instruct", "smollm2-1.7b", "HuggingFaceTB/SmolLM2-1.7B-Instruct@main", 0.3, 48.0,
     90.0),
    ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b", "Qwen/Qwen2.5-7B-Instruct@main", 0.1, 19.0, 240.0),
]
KINDS = ("refusal", "invalid_json", "wrong_fact", "truncated", "ignores_system")

NOTES = {
    "refusal": ["refused a harmless request", "model declined to answer", "won't help with a normal question",
                "says it can't assist — nothing unsafe here", "over-cautious refusal", "declined, no reason"],
    "invalid_json": ["invalid JSON", "wrapped the JSON in code fences", "JSON has a trailing comma",
                     "prose before the JSON object", "not parseable as JSON", "missing closing brace"],
    "wrong_fact": ["wrong fact", "made up a setting that doesn't exist", "invented a price",
                   "wrong number (30 min, not 24 h)", "hallucinated menu path", "answer contradicts the docs"],
    "truncated": ["cut off mid-sentence", "truncated, hit max tokens", "answer stops halfway",
                  "incomplete code, function never returns", "ran out of tokens"],
    "ignores_system": ["ignored the system prompt", "way more than four sentences", "answered outside Larkspur",
                       "rambles, ignores the format rules", "didn't follow instructions (no JSON only)"],
}
PASS_NOTES = ["", "", "", "good", "correct and concise", "fine", "matches the reference", "ok, a bit terse"]
TAGS = {"refusal": ["refusal"], "invalid_json": ["format"], "wrong_fact": ["hallucination"],
        "truncated": ["length"], "ignores_system": ["instructions"]}


def _prompts() -> list[dict[str, object]]:
    prompts: list[dict[str, object]] = []
    for name in ("support.jsonl", "extraction.jsonl"):
        rows = [json.loads(line) for line in (HERE / "prompts" / name).read_text().splitlines() if line.strip()]
        rows = [r for r in rows if "prompt" in r]  # not the set's default_checks record
        prompts += rows[:20]
    with (HERE / "prompts" / "code.csv").open(newline="") as fh:
        for row in list(csv.DictReader(fh))[:10]:
            prompts.append({**row, "tags": [t for t in row["tags"].split(";") if t]})
    for p in prompts:
        if not isinstance(p["reference"], str):
            p["reference"] = json.dumps(p["reference"], ensure_ascii=False)
    return prompts


def _good(p: dict[str, object], rng: random.Random) -> str:
    ref = str(p["reference"])
    pid = str(p["id"])
    if pid.startswith("code"):
        return f"```python\n{ref}\n```" if "def " in ref else ref
    if pid.startswith("ext"):
        return ref
    lead = rng.choice(["", "Sure. ", "Happy to help! ", "Good question. "])
    return lead + ref


def _bad(kind: str, p: dict[str, object], rng: random.Random) -> tuple[str, str]:
    """(output, finish_reason) for a failure of this kind."""
    ref = str(p["reference"])
    pid = str(p["id"])
    if kind == "refusal":
        return rng.choice([
            "I'm sorry, but I can't help with that request.",
            "I'm not able to assist with that. Is there anything else I can help you with?",
            "As an AI language model, I cannot provide that information.",
        ]), "stop"
    if kind == "truncated":
        cut = max(12, int(len(ref) * rng.uniform(0.35, 0.6)))
        return _good(p, rng)[:cut].rstrip(), "length"
    if kind == "invalid_json" or (pid.startswith("ext") and kind == "ignores_system"):
        style = rng.randrange(3)
        if style == 0:
            return f"```json\n{ref}\n```", "stop"
        if style == 1:
            return "Here is the extracted information:\n" + ref, "stop"
        return ref.rstrip("}") + ",}" if ref.endswith("}") else ref + ",", "stop"
    if kind == "wrong_fact":
        if pid.startswith("code"):
            return _good(p, rng).replace("[::-1]", "[1:]").replace("a + b", "a + b + 1").replace("DESC", "ASC"), "stop"
        swaps = [("30 minutes", "24 hours"), ("100 MB", "25 MB"), ("Admin >", "Settings > Account >"),
                 ("Settings >", "Preferences > Advanced >")]
        out = _good(p, rng)
        for old, new in swaps:
            if old in out:
                return out.replace(old, new, 1), "stop"
        return out + " The Pro plan costs $4 per user per month and includes unlimited storage.", "stop"
    # ignores_system: long, off-brand prose
    return ("Great question! There are many note-taking apps, such as Notion, Evernote and OneNote, and each "
            "handles this differently. In general you should look in the settings menu, check the documentation, "
            "search online forums, ask a colleague, and contact support if nothing else works. "
            + _good(p, rng) + " Let me know if you want a step-by-step guide for other apps too!"), "stop"


def _kind_for(p: dict[str, object], rng: random.Random) -> str:
    pid = str(p["id"])
    if pid.startswith("ext"):
        return rng.choice(["invalid_json", "invalid_json", "wrong_fact", "refusal", "truncated"])
    if pid.startswith("code"):
        return rng.choice(["truncated", "truncated", "wrong_fact", "refusal"])
    return rng.choice(["refusal", "wrong_fact", "wrong_fact", "truncated", "ignores_system", "ignores_system"])


def build() -> list[dict[str, object]]:
    rng = random.Random(20261102)
    prompts = _prompts()
    records: list[dict[str, object]] = []
    clock = START
    for p in prompts:
        for model, endpoint, ref, fail_rate, tps, ttft in MODELS:
            fails = rng.random() < fail_rate
            kind = _kind_for(p, rng) if fails else ""
            output, finish = _bad(kind, p, rng) if fails else (_good(p, rng), "stop")
            tokens_out = max(3, len(output) // 4)
            decode = tps * rng.uniform(0.85, 1.1)
            ttft_ms = round(ttft * rng.uniform(0.7, 1.6), 1)
            latency = round(ttft_ms + tokens_out / decode * 1000, 1)
            clock += timedelta(milliseconds=rng.randint(150, 2500))
            tid = hashlib.sha256(f"{RUN}/{p['id']}/{endpoint}".encode()).hexdigest()[:32]
            records.append({
                "id": tid, "run": RUN, "prompt_id": p["id"], "prompt": p["prompt"], "system": p.get("system"),
                "reference": p["reference"], "model": model, "endpoint": endpoint, "model_ref": ref,
                "output": output, "verdict": "", "note": "", "tags": [], "labeler": "", "labelled_at": "",
                "prompt_tags": list(p.get("tags") or []), "finish_reason": finish, "error": None,
                "metrics": {"ttft_ms": ttft_ms, "latency_ms": latency, "tokens_in": len(str(p["prompt"])) // 4 + 20,
                            "tokens_out": tokens_out, "tokens_per_s": round(decode, 1)},
                "params": {"temperature": 0.2, "max_tokens": 512, "seed": 7},
                "created_at": clock.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "_kind": kind,
            })
    # A reviewer went through ~100 of them, in queue order with a few jumps.
    labelled = sorted(rng.sample(range(len(records)), 102))
    when = clock + timedelta(hours=2)
    for i in labelled:
        rec = records[i]
        kind = str(rec.pop("_kind"))
        when += timedelta(seconds=rng.randint(6, 45))
        if rng.random() < 0.04:
            rec.update(verdict="skip", note=rng.choice(["not sure, check later", "need the docs to judge"]))
        elif kind:
            rec.update(verdict="fail", note=rng.choice(NOTES[kind]), tags=TAGS[kind])
        else:
            rec.update(verdict="pass", note=rng.choice(PASS_NOTES))
        rec.update(labeler="dana", labelled_at=when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
    for rec in records:
        rec.pop("_kind", None)
    return records


def main() -> None:
    records = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    labelled = sum(1 for r in records if r["verdict"])
    print(f"wrote {len(records)} traces ({labelled} labelled) to {OUT}")


if __name__ == "__main__":
    main()

"""A labelled synthetic set of failed traces: five failure modes whose reviewers' notes are written in
varied words (as real notes are), with outputs that fit them. Shared by the clustering tests and the bench."""

from __future__ import annotations

import random

MODES: dict[str, dict[str, list[str]]] = {
    "refusal": {
        "notes": [
            "refused a harmless request", "model declined to answer", "won't help with a benign question",
            "said it cannot assist, but the ask was fine", "unnecessary refusal",
            "declined, citing policy, for no reason",
            "refuses to do a simple task", "over-cautious: would not answer", "turned down a safe prompt",
            "claims it is not able to help with this", "refused again", "won't answer a normal question",
        ],
        "outputs": [
            "I'm sorry, but I can't help with that request.", "I cannot assist with this.",
            "As an AI, I am not able to provide that information.", "Sorry, I won't be able to help here.",
        ],
    },
    "math": {
        "notes": [
            "arithmetic is wrong", "wrong answer to the sum", "miscalculated the total", "math error in step 2",
            "the multiplication is off", "computed 17*3 as 41", "incorrect calculation", "got the number wrong",
            "bad arithmetic, final result incorrect", "added the figures up wrong", "the percentage is miscomputed",
            "numerical mistake in the result",
        ],
        "outputs": [
            "The total is 41.", "So 12 + 15 = 28.", "Therefore the answer is 350 apples.",
            "The result is 0.45, or 54%.",
        ],
    },
    "format": {
        "notes": [
            "not valid JSON", "broke the requested JSON format", "output is not parseable json",
            "ignored the schema, extra keys", "missing closing brace in the json", "returned markdown instead of json",
            "json has trailing comma", "format wrong: asked for JSON only", "wrapped the JSON in prose",
            "invalid json object", "did not follow the output format", "keys do not match the schema",
        ],
        "outputs": [
            "Sure! Here is the JSON: {\"name\": \"x\",}", "```json\n{\"a\": 1\n```", "name: x, age: 3",
            "{\"result\": [1, 2, 3]", "Here you go: {'key': 'value'}",
        ],
    },
    "hallucination": {
        "notes": [
            "made up a citation", "invented a paper that does not exist", "hallucinated the source",
            "fabricated facts about the author", "cites a nonexistent study", "fake reference",
            "the quoted URL is invented", "claims a false historical date", "made-up statistics",
            "hallucination: wrong author for the book", "invents an API that does not exist",
            "confidently states fabricated details",
        ],
        "outputs": [
            "According to Smith et al. (2019), Journal of Imaginary Studies...", "See https://example.org/paper123",
            "The book was written by John Miller in 1852.", "Use the function numpy.superfast_sort().",
        ],
    },
    "verbosity": {
        "notes": [
            "far too long", "rambles, way too verbose", "answer is padded with filler",
            "asked for one line, got five paragraphs",
            "too wordy", "overly long explanation", "repeats itself a lot", "verbose and repetitive",
            "should have been brief", "ignored the length limit", "long-winded answer", "way more text than needed",
        ],
        "outputs": [
            "Great question! Let me explain in detail. First, it is important to understand the background...",
            "There are many aspects to consider here. To begin with, ... In conclusion, ... To summarise, ...",
        ],
    },
}

MODELS = ("qwen2.5-7b", "llama-3.1-8b", "gemma-3-4b")


def synthetic_failures(n: int, seed: int = 0) -> list[tuple[str, str, str, str]]:
    """n failed traces as (true mode, model, note, output); notes drawn from each mode's phrasings, some with a
    short prefix or suffix so that not every note is a verbatim repeat."""
    rng = random.Random(seed)
    prefixes = ("", "", "", "again: ", "hmm, ", "bad - ")
    suffixes = ("", "", "", ".", " (prompt 3)", "!")
    out = []
    names = sorted(MODES)
    for i in range(n):
        mode = names[i % len(names)]
        note = rng.choice(prefixes) + rng.choice(MODES[mode]["notes"]) + rng.choice(suffixes)
        out.append((mode, rng.choice(MODELS), note, rng.choice(MODES[mode]["outputs"])))
    return out

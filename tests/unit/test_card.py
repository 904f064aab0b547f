"""Model card parsing: metadata via huggingface_hub, a checklist from the body, never an exception."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modelpick_tui.catalog.card import parse_card
from modelpick_tui.catalog.card_checklist import CHECKLIST_ITEMS
from modelpick_tui.catalog.facts import CardFacts, EvalRow

FULL_CARD = """---
license: apache-2.0
language:
- en
- fr
base_model: northwind/nw-base-7b
datasets:
- northwind/clean-web-2024
- northwind/code-mix
pipeline_tag: text-generation
library_name: transformers
tags:
- chat
- instruct
model-index:
- name: nw-chat-7b
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      name: MMLU (5-shot)
      type: cais/mmlu
      split: test
    metrics:
    - type: acc
      name: accuracy
      value: 63.2
    source:
      name: Open LLM Leaderboard
      url: https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard
  - task:
      type: text-generation
    dataset:
      name: GSM8K (5-shot)
      type: gsm8k
    metrics:
    - type: acc
      value: 41
      verified: false
    - type: pass@1
      value: "40.1 ± 0.3"
---

# NW Chat 7B

A chat model fine-tuned from NW Base 7B.

## Model Details

- **Developed by:** Northwind Labs
- **Model date:** 2024-06-12

## Intended Uses

Assistant-style chat in English and French, summarisation and light coding help.

## How to use

```python
# Evaluation
from transformers import pipeline
```

## Training Data

About 2T tokens of filtered web text plus a code mixture, deduplicated at document level.

## Evaluation

| Benchmark | Score |
|-----------|-------|
| MMLU      | 63.2  |
| GSM8K     | 41.0  |

## Limitations

It makes things up, and its French is weaker than its English.

## Bias, Risks and Safety

Trained on web text, it repeats stereotypes found there. Use a moderation layer in front of users.

## Changelog

- v1.1: fixed the chat template.
"""

POOR_CARD = """---
license: mit
---

# my-finetune

## How to use

```python
# Evaluation
model.generate("hello")
```

## Results

Coming soon.

## Training and evaluation data

More information needed
"""


def test_full_card_metadata() -> None:
    facts = parse_card(FULL_CARD)
    assert facts.license == "apache-2.0"
    assert facts.license_name is None
    assert facts.base_models == ["northwind/nw-base-7b"]  # a str becomes a one-item list
    assert facts.datasets == ["northwind/clean-web-2024", "northwind/code-mix"]
    assert facts.languages == ["en", "fr"]
    assert facts.pipeline_tag == "text-generation"
    assert facts.library_name == "transformers"
    assert facts.tags == ["chat", "instruct"]
    assert facts.warnings == []
    assert facts.body.startswith("\n# NW Chat 7B")
    assert "license: apache-2.0" not in facts.body
    assert facts.sections == [
        "NW Chat 7B",
        "Model Details",
        "Intended Uses",
        "How to use",
        "Training Data",
        "Evaluation",
        "Limitations",
        "Bias, Risks and Safety",
        "Changelog",
    ]  # "# Evaluation" inside the code fence is not a heading


def test_full_card_checklist_is_complete() -> None:
    facts = parse_card(FULL_CARD)
    assert list(facts.checklist) == list(CHECKLIST_ITEMS)
    assert all(facts.checklist.values()), facts.checklist
    assert facts.quality() == (6, 6)


def test_model_index_with_two_datasets_and_several_metrics() -> None:
    rows = parse_card(FULL_CARD).eval_results
    assert rows == [
        EvalRow(
            task="Text Generation",
            dataset="MMLU (5-shot)",
            metric="accuracy",
            value=63.2,
            verified=None,
            source="Open LLM Leaderboard",
        ),
        EvalRow(task="text-generation", dataset="GSM8K (5-shot)", metric="acc", value=41.0, verified=False),
        EvalRow(task="text-generation", dataset="GSM8K (5-shot)", metric="pass@1", value="40.1 ± 0.3"),
    ]
    assert isinstance(rows[1].value, float)


def test_poor_card_misses_most_items() -> None:
    facts = parse_card(POOR_CARD)
    assert facts.license == "mit"
    assert facts.checklist == {
        "intended use": False,  # "How to use" is a how-to, not intended use
        "training data": False,  # a heading with the template placeholder only
        "benchmarks": False,  # "Results" with no numbers; the fenced "# Evaluation" is code
        "limitations": False,
        "bias/safety": False,
        "date/version": False,
    }
    assert facts.quality() == (0, 6)


def test_invalid_yaml_front_matter_keeps_the_body() -> None:
    text = "---\nlicense: mit\ntags: [chat, unclosed\n---\n# Title\n\n## Limitations\n\nShort context only.\n"
    facts = parse_card(text)
    assert "front matter is not valid YAML" in facts.warnings
    assert facts.license is None
    assert facts.body == "# Title\n\n## Limitations\n\nShort context only.\n"
    assert facts.checklist["limitations"] is True


def test_no_front_matter() -> None:
    text = "# Plain card\n\n## Intended use\n\nResearch on summarisation.\n\nVersion 2 of the model.\n"
    facts = parse_card(text)
    assert facts.body == text
    assert facts.license is None and facts.base_models == [] and facts.eval_results == []
    assert any("no front matter" in w for w in facts.warnings)
    assert facts.checklist["intended use"] and facts.checklist["date/version"]
    assert facts.quality() == (2, 6)


def test_base_model_list_and_language_str() -> None:
    text = (
        "---\nbase_model:\n- org/model-a\n- org/model-b\nlanguage: de\ndatasets: org/one-set\n"
        "license: other\nlicense_name: nw-community-license\n---\nbody\n"
    )
    facts = parse_card(text)
    assert facts.base_models == ["org/model-a", "org/model-b"]
    assert facts.languages == ["de"]
    assert facts.datasets == ["org/one-set"]
    assert (facts.license, facts.license_name) == ("other", "nw-community-license")


def test_malformed_model_index_is_reported_not_raised() -> None:
    missing_metrics = (
        "---\nlicense: mit\nmodel-index:\n- name: x\n  results:\n  - task: {type: t}\n"
        "    dataset: {type: d, name: D}\n---\nbody\n"
    )
    facts = parse_card(missing_metrics)
    assert facts.license == "mit" and facts.eval_results == []
    assert any("model-index" in w for w in facts.warnings)

    # A string where a mapping belongs makes huggingface_hub raise AttributeError, which it does not catch.
    bad_source = (
        "---\nlicense: mit\nmodel-index:\n- name: x\n  results:\n  - task: {type: t}\n"
        "    dataset: {type: d, name: D}\n    source: a blog\n"
        "    metrics: [{type: acc, value: 1}]\n---\nbody\n"
    )
    facts = parse_card(bad_source)
    assert facts.license == "mit"  # salvaged from the raw YAML
    assert facts.body == "body\n"
    assert facts.warnings


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---\n---\n",
        "---\n- just\n- a list\n---\nbody",
        "---\n1: numeric key\nlicense: mit\n---\nbody",
        "---\ntags: 5\n---\nbody",
        "---\n\x00\x01 binary\n---\nbody",
        "\x00\xff\xfe\x1b[2J garbage \ud800 ---",
        "---\nlicense: mit\n",  # unterminated front matter
        "#" * 10_000,
    ],
)
def test_bad_input_never_raises(text: str) -> None:
    facts = parse_card(text)
    assert isinstance(facts, CardFacts)
    assert len(facts.checklist) == 6


def test_salvaged_fields_when_huggingface_hub_refuses() -> None:
    facts = parse_card("---\n1: numeric key\nlicense: mit\nlanguage: [en]\n---\nbody")
    assert facts.license == "mit" and facts.languages == ["en"]
    assert facts.warnings
    assert parse_card("---\n- a list\n---\nbody").warnings == ["front matter is not a YAML mapping"]


def test_markup_and_escapes_pass_through_unchanged() -> None:
    body = (
        "# Card\n\n[bold red]not markup to us[/bold red] \x1b[31mred\x1b[0m \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n"
        "[link=https://example.com]click[/link] <script>alert(1)</script>\n"
    )
    facts = parse_card("---\nlicense: mit\n---\n" + body)
    assert facts.body == body
    assert parse_card(body).body == body


def test_huggingface_hub_logs_do_not_reach_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    parse_card("# no front matter here")
    parse_card("---\nmodel-index:\n- name: x\n  results: [{task: {type: t}}]\n---\n")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_heading_styles_and_placeholders() -> None:
    text = (
        "Uses\n====\n\nBatch translation of support tickets.\n\n"
        "Known Issues\n------------\n\nLong inputs get truncated.\n\n"
        "### Ethical Considerations ###\n\n[More Information Needed]\n\n"
        "## 📊 Benchmarks\n\nScores 71.3% on our internal suite.\n\n"
        "## Dataset\n\n<!-- fill me in -->\n"
    )
    facts = parse_card(text)
    assert facts.sections[:2] == ["Uses", "Known Issues"]
    assert facts.checklist["intended use"] is True
    assert facts.checklist["limitations"] is True
    assert facts.checklist["bias/safety"] is False  # placeholder only
    assert facts.checklist["benchmarks"] is True
    assert facts.checklist["training data"] is False  # only an HTML comment


def test_benchmarks_from_model_index_alone_and_use_with_is_not_intended_use() -> None:
    text = (
        "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-generation}\n"
        "    dataset: {type: hellaswag, name: HellaSwag}\n    metrics: [{type: acc_norm, value: 0.81}]\n---\n"
        "## Use with llama.cpp\n\nRun it locally.\n\n## Out-of-scope use\n\nMedical advice.\n"
    )
    facts = parse_card(text)
    assert facts.checklist["benchmarks"] is True
    assert facts.checklist["intended use"] is False
    assert facts.checklist["limitations"] is True
    assert facts.eval_results[0].value == 0.81


def test_date_in_body_counts() -> None:
    assert parse_card("Trained in 2025-03.\n").checklist["date/version"] is True
    assert parse_card("Released in March 2025.\n").checklist["date/version"] is True
    assert parse_card("Built with 7 billion parameters.\n").checklist["date/version"] is False


def test_import_is_headless() -> None:
    code = (
        "import sys, modelpick_tui.catalog.card\n"
        "bad = [m for m in ('textual', 'huggingface_hub') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])

"""One range per sampling param wherever a user sets it: a temperature the compare form refuses, `modelpick run`
refuses too, in words naming the range (they used to differ: run took up to 5, compare up to 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelpick_tui.evals.compare_params import CompareError, parse_params
from tests.support.cli import run
from tests.support.files import write_set


@pytest.mark.parametrize(("field", "flag", "bad", "edge"), [("temperature", "--temperature", "2.5", "2"),
                                                             ("top_p", "--top-p", "1.5", "1")])
def test_compare_and_run_take_the_same_range(tmp_path: Path, field: str, flag: str, bad: str, edge: str) -> None:
    with pytest.raises(CompareError, match=rf"{field}: {bad} is out of range \(0 to {edge}\)"):
        parse_params({field: bad})
    assert parse_params({field: edge}).sampling.to_dict()[field] == float(edge)

    prompts = write_set(tmp_path / "set.jsonl", 1)
    refused = run(tmp_path / "m.db", "run", str(prompts), "-e", "http://127.0.0.1:9/v1", "--model", "m", flag, bad)
    assert refused.exit_code == 2
    assert f"Invalid value for '{flag}': {bad} is not in the range 0.0<=x<={edge}.0" in refused.output

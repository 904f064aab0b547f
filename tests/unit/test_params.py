"""The one sampling-params type: what a request sends, what a compare session and a run store, what a resume
reads back."""

from __future__ import annotations

from modelpick_tui.evals.compare_params import CompareParams
from modelpick_tui.evals.traces import RunParams
from modelpick_tui.serving.client import ChatRequest
from modelpick_tui.serving.params import SamplingParams


def test_only_the_params_that_are_set_are_sent_and_stored() -> None:
    sampling = SamplingParams(temperature=0.0, max_tokens=64)
    assert sampling.to_dict() == {"temperature": 0.0, "max_tokens": 64}
    request = ChatRequest.from_prompt("m", "hi", sampling=sampling)
    assert request.params() == {"temperature": 0.0, "max_tokens": 64}
    assert {k: request.payload()[k] for k in ("temperature", "max_tokens")} == {"temperature": 0.0, "max_tokens": 64}
    assert "top_p" not in request.payload() and "seed" not in request.payload()
    assert ChatRequest.from_prompt("m", "hi").params() == {}


def test_run_params_are_stored_flat_and_read_back() -> None:
    params = RunParams("", SamplingParams(temperature=0.2, top_p=0.9, max_tokens=8, seed=1))
    stored = {**params.to_dict(), "concurrency": 8, "per_endpoint": 4}  # as the runner stores them
    assert stored == {"system": "", "temperature": 0.2, "top_p": 0.9, "max_tokens": 8, "seed": 1,
                      "concurrency": 8, "per_endpoint": 4}
    assert RunParams.from_dict(stored) == params
    assert RunParams.from_dict({"concurrency": 8}) == RunParams()
    assert RunParams(sampling=SamplingParams(max_tokens=3)).to_dict() == {"max_tokens": 3}


def test_compare_params_store_a_system_prompt_only_when_there_is_one() -> None:
    assert CompareParams("Be brief.", SamplingParams(seed=3)).to_dict() == {"system": "Be brief.", "seed": 3}
    assert CompareParams(None, SamplingParams(top_p=0.5)).to_dict() == {"top_p": 0.5}

"""The start form on several GPUs: the tensor and pipeline parallel sizes come from the fit's plan, are edited by
keys, and a plan larger than this host asks for vLLM's Ray executor before it starts anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Static, Switch

from modelpick_tui.catalog.fit.memory import memory_from_spec
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, settle, wait_for


def _services(settings: Settings, spec: str) -> Services:
    svc = build_services(settings, memory=memory_from_spec(spec))
    svc.catalog.ensure_loaded()
    return svc


@pytest.fixture
def four_gpus(settings: Settings) -> Iterator[Services]:
    svc = _services(settings, "4x80GB@H100 SXM")
    yield svc
    svc.close()


async def test_the_form_takes_the_fits_tp_and_refuses_more_gpus_than_here_without_ray(four_gpus: Services) -> None:
    from modelpick_tui.ui.screens.start_server import StartServerModal

    app = make_app(four_gpus.settings, four_gpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_card("meta-llama/Llama-3.3-70B-Instruct")
        await settle(pilot)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
        modal = app.screen
        assert isinstance(modal, StartServerModal) and modal.backend == "vllm"
        # 70B in BF16 at 32k on 4 × 80 GiB: TP=2 needs ~75 GiB a GPU (tight), TP=4 ~37.5 GiB (fits).
        assert modal.query_one("#start-ctx", Input).value == "32768"
        assert modal.query_one("#start-tp", Input).value == "4"
        assert modal.query_one("#start-pp", Input).value == "1"
        assert modal.query_one("#start-ray", Switch).value is False
        assert modal.query_one("#start-tp").parent.display  # a vLLM field, shown
        # The fraction is of one GPU: 37.5 GiB of 80 plus headroom, rounded up to 0.05.
        assert modal.query_one("#start-fraction", Input).value == "0.55"
        spec = modal.spec()
        assert (spec.tensor_parallel_size, spec.pipeline_parallel_size, spec.distributed_executor_backend) == (
            4, None, None)

        modal.query_one("#start-tp", Input).focus()
        await pilot.press("ctrl+u", *"8", "tab", "ctrl+u", *"2")  # TP 8 × PP 2 = 16 GPUs, 4 here
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal  # nothing started
        notice = str(modal.query_one("#start-notice", Static).content)
        assert notice == "TP × PP = 16 GPUs, 4 here: switch Ray on (vLLM across the nodes of your Ray cluster) or " \
                         "lower them"
        modal.query_one("#start-ray", Switch).focus()
        await pilot.press("space")
        await pilot.pause()
        assert "--distributed-executor-backend ray" in str(modal.query_one("#start-ray-state", Static).content)
        spec = modal.spec()
        assert (spec.tensor_parallel_size, spec.pipeline_parallel_size, spec.distributed_executor_backend) == (
            8, 2, "ray")
        modal.query_one("#start-tp", Input).value = "zero"
        with pytest.raises(ValueError, match="tensor parallel size must be a whole number"):
            modal.spec()
        assert four_gpus.supervisor.servers() == []


def test_a_plan_across_nodes_defaults_to_ray(settings: Settings, tmp_path: Path) -> None:
    from modelpick_tui.serving.plan import plan_for

    svc = _services(settings, "2x8x80GB")
    try:
        details = svc.catalog.details("meta-llama/Llama-3.1-405B-Instruct")
        assert details is not None
        plan = plan_for(details, {}, set(), device_count=16)
        # 405B in BF16 (811 GB) does not fit one node of 8 × 80 GiB; two nodes, TP=8 × PP=2, do.
        assert (plan.backend, plan.tensor_parallel, plan.pipeline_parallel, plan.ray) == ("vllm", 8, 2, True)
        assert plan.gpus_per_node == 8  # the form asks for Ray past one host's 8 GPUs, not past all 16
    finally:
        svc.close()

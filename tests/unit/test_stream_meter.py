"""StreamMeter: the one place TTFT, latency and decode rate are worked out, live and final."""

from __future__ import annotations

import pytest

from modelpick_tui.serving import client
from modelpick_tui.serving.client import StreamMeter
from modelpick_tui.serving.events import StreamMetrics


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(client.time, "perf_counter", fake)
    return fake


def test_figures_as_the_stream_goes(clock: _Clock) -> None:
    meter = StreamMeter()
    meter.begin()
    clock.now += 0.25
    assert meter.metrics() == StreamMetrics(ttft_ms=None, latency_ms=250.0, output_tokens=0)
    meter.chunk()  # the first token, 0.3 s after the request
    clock.now += 0.05
    meter.chunk()
    first = meter.metrics()
    assert first.ttft_ms == pytest.approx(250.0) and first.output_tokens == 2
    for _ in range(8):  # 10 tokens over 0.45 s after the first: 9 gaps
        clock.now += 0.05
        meter.chunk()
    live = meter.metrics()
    assert live.output_tokens == 10 and live.decode_tokens_per_s == pytest.approx(9 / 0.45)
    # The server's own token count (usage) replaces the chunks; the end is when [DONE] came.
    final = meter.metrics(tokens=19, end=clock.now + 1.0)
    assert final.decode_tokens_per_s == pytest.approx(18 / 0.45) and final.latency_ms == pytest.approx(1700.0)


def test_no_rate_from_one_token_or_one_burst(clock: _Clock) -> None:
    meter = StreamMeter()
    meter.begin()
    meter.chunk()
    assert meter.metrics().decode_tokens_per_s is None
    meter.chunk()  # same instant: a burst, no time to divide by
    assert meter.metrics().decode_tokens_per_s is None


def test_begin_starts_over(clock: _Clock) -> None:
    meter = StreamMeter()
    meter.chunk()
    clock.now += 5
    meter.begin()
    assert (meter.chunks, meter.first_at, meter.metrics().latency_ms) == (0, None, 0.0)

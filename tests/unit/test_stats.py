"""Wilson intervals, Cohen's kappa, win rates and percentiles against hand-computed values."""

from __future__ import annotations

import pytest

from modelpick_tui.evals.stats import cohen_kappa, percentile, wilson, win_rates


def test_wilson_matches_the_textbook_values() -> None:
    # 8 of 10: Wilson 95 % = [0.4902, 0.9433] (Newcombe 1998, table I style check).
    i = wilson(8, 10)
    assert i.estimate == 0.8
    assert i.low == pytest.approx(0.4902, abs=1e-4) and i.high == pytest.approx(0.9433, abs=1e-4)
    # 47 of 100
    i = wilson(47, 100)
    assert (round(i.low, 4), round(i.high, 4)) == (0.3751, 0.5671)  # computed by hand from the formula


def test_wilson_at_the_edges_is_not_degenerate() -> None:
    zero, full, empty = wilson(0, 20), wilson(20, 20), wilson(0, 0)
    assert zero.low == 0.0 and zero.high == pytest.approx(0.1611, abs=1e-4)
    assert full.high == 1.0 and full.low == pytest.approx(0.8389, abs=1e-4)
    assert (empty.low, empty.high) == (0.0, 1.0)
    assert str(wilson(8, 10)) == "80% [49%–94%]"
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_kappa_known_values() -> None:
    # Classic 2x2: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → po 0.7, pe 0.5, kappa 0.4.
    a = ["pass"] * 25 + ["fail"] * 25
    b = ["pass"] * 20 + ["fail"] * 5 + ["pass"] * 10 + ["fail"] * 15
    agreement = cohen_kappa(a, b)
    assert agreement.n == 50
    assert agreement.percent == pytest.approx(0.7)
    assert agreement.kappa == pytest.approx(0.4)
    assert cohen_kappa(a, a).kappa == pytest.approx(1.0)
    assert cohen_kappa(["pass"] * 5, ["pass"] * 5).kappa is None  # undefined, not a fake 1.0
    assert cohen_kappa([], []).n == 0
    with pytest.raises(ValueError):
        cohen_kappa(["pass"], [])


def test_win_rates_count_ties_as_half_and_ignore_both_bad() -> None:
    prefs = [("a", "b", "left")] * 6 + [("a", "b", "right")] * 2 + [("b", "a", "tie")] * 2 + \
            [("a", "b", "both_bad")] * 3
    rates = win_rates(prefs)
    a, b = rates["a"], rates["b"]
    assert (a.wins, a.losses, a.ties, a.both_bad) == (6, 2, 2, 3)
    assert (b.wins, b.losses, b.ties, b.both_bad) == (2, 6, 2, 3)
    assert a.rate.estimate == pytest.approx(0.7) and b.rate.estimate == pytest.approx(0.3)
    assert a.rate.low < 0.7 < a.rate.high
    with pytest.raises(ValueError):
        win_rates([("a", "b", "maybe")])


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) is None

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


def test_corrected_pass_rate_against_a_hand_computed_case() -> None:
    from modelpick_tui.evals.stats import corrected_pass_rate

    # The judge passes 60 of 100 traces. On 20 labelled by a human: of 10 human passes it passed 9 (TPR 0.9), of
    # 10 human fails it failed 8 (TNR 0.8). θ = (0.6 + 0.8 − 1) / (0.9 + 0.8 − 1) = 0.4 / 0.7 = 0.5714…
    judged = [True] * 60 + [False] * 40
    labelled = [(True, True)] * 9 + [(True, False)] + [(False, False)] * 8 + [(False, True)] * 2
    found = corrected_pass_rate(judged, labelled)
    assert (found.n, found.raw, found.tpr, found.tnr) == (100, 0.6, 0.9, 0.8)
    assert found.theta == pytest.approx(0.4 / 0.7)
    assert found.low is not None and found.high is not None
    assert 0.15 < found.low < found.theta < found.high < 0.95  # 10 labels a class: a wide interval, honestly
    more = corrected_pass_rate(judged, labelled * 10)  # ten times the labels, the same rates: narrower
    assert more.theta == pytest.approx(found.theta) and more.high - more.low < (found.high - found.low) * 0.75
    assert corrected_pass_rate(judged, labelled) == found  # seeded: the same interval every time
    assert found.line().startswith("raw 60% of 100 → corrected 57% [95% CI ")
    # a perfect judge needs no correction
    perfect = corrected_pass_rate([True, False, True], [(True, True), (False, False)])
    assert perfect.theta == pytest.approx(2 / 3) and perfect.tpr == perfect.tnr == 1.0


def test_corrected_pass_rate_says_when_it_means_nothing() -> None:
    from modelpick_tui.evals.stats import corrected_pass_rate

    chance = corrected_pass_rate([True, False] * 5, [(True, True), (True, False), (False, True), (False, False)])
    assert chance.theta is None and chance.why_not == ("TPR + TNR − 1 = 0.00 is under 0.2: the judge is too near "
                                                       "chance")
    one_class = corrected_pass_rate([True] * 4, [(True, True), (True, True)])
    assert one_class.theta is None and "TPR and TNR need both" in (one_class.why_not or "")
    assert "no correction" in one_class.line()
    # θ outside [0, 1] (the judge passes fewer than its false-positive rate predicts) is clipped
    assert corrected_pass_rate([False] * 10, [(True, True)] * 5 + [(False, True)] + [(False, False)] * 4).theta == 0.0

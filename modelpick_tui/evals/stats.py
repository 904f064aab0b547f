"""The statistics a decision rests on: pass rates with Wilson intervals, agreement (Cohen's kappa) between
a judge and the human labels, pairwise win rates, latency percentiles. Pure functions, no IO."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # two-sided 95 %


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.0%} [{self.low:.0%}–{self.high:.0%}]"


def wilson(successes: float, n: int, z: float = Z_95) -> Interval:
    """Wilson score interval for a proportion: honest at small n and at 0 % or 100 %, where the normal
    approximation collapses to a zero-width interval. n = 0 gives the vacuous [0, 1]. `successes` may be
    fractional (a tie counted as half a win)."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return Interval(0.0, 0.0, 1.0)
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At 0/n and n/n the bound is exactly 0 or 1; clamp the rounding noise there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high)


@dataclass(frozen=True)
class Agreement:
    n: int
    percent: float  # observed agreement
    kappa: float | None  # None when undefined (both raters used one and the same category)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> Agreement:
    """Agreement between two raters over the same items (e.g. judge vs human pass/fail)."""
    if len(a) != len(b):
        raise ValueError(f"rater sequences differ in length: {len(a)} and {len(b)}")
    n = len(a)
    if n == 0:
        return Agreement(0, 0.0, None)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    if expected >= 1.0:
        return Agreement(n, observed, None)
    return Agreement(n, observed, (observed - expected) / (1 - expected))


def pass_fail_confusion(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """The confusion table of (human, grader) pass/fail pairs: "human/grader" -> count, every cell present."""
    counts = Counter(f"{h}/{g}" for h, g in pairs)
    return {k: counts.get(k, 0) for k in ("pass/pass", "pass/fail", "fail/pass", "fail/fail")}


@dataclass(frozen=True)
class WinRate:
    model: str
    wins: int
    losses: int
    ties: int
    both_bad: int

    @property
    def decided(self) -> int:
        return self.wins + self.losses + self.ties

    @property
    def rate(self) -> Interval:
        """Wins over decided comparisons, a tie counting half (both-bad votes are not decided)."""
        return wilson(self.wins + 0.5 * self.ties, self.decided)


def win_rates(preferences: Iterable[tuple[str, str, str]]) -> dict[str, WinRate]:
    """Per model, from (left_model, right_model, verdict) with verdict left | right | tie | both_bad."""
    tally: dict[str, list[int]] = {}
    for left, right, verdict in preferences:
        for model in (left, right):
            tally.setdefault(model, [0, 0, 0, 0])
        if verdict == "left":
            tally[left][0] += 1
            tally[right][1] += 1
        elif verdict == "right":
            tally[right][0] += 1
            tally[left][1] += 1
        elif verdict == "tie":
            tally[left][2] += 1
            tally[right][2] += 1
        elif verdict == "both_bad":
            tally[left][3] += 1
            tally[right][3] += 1
        else:
            raise ValueError(f"unknown preference verdict: {verdict!r}")
    return {m: WinRate(m, *counts) for m, counts in sorted(tally.items())}


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (as numpy's default); None for no values."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def mcnemar_exact(fixed: int, regressed: int) -> float:
    """McNemar's exact two-sided p-value for paired pass/fail outcomes: only the discordant pairs count (fail→pass
    `fixed`, pass→fail `regressed`); under "no change" each is a fair coin. 1.0 when there are none."""
    n = fixed + regressed
    if n == 0:
        return 1.0
    low = min(fixed, regressed)
    tail = sum(math.comb(n, k) for k in range(low + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_difference(both_pass: int, fixed: int, regressed: int, both_fail: int, z: float = Z_95) -> Interval:
    """The change in pass rate between two runs over the same items (after − before) with Agresti and Min's
    interval for a paired difference of proportions: a Wald interval after adding ½ to each of the four cells,
    which keeps its coverage at small n and at 0 or all discordant pairs (plain Wald collapses there)."""
    n = both_pass + fixed + regressed + both_fail
    if n == 0:
        return Interval(0.0, -1.0, 1.0)
    estimate = (fixed - regressed) / n
    b, c, m = fixed + 0.5, regressed + 0.5, n + 2.0
    centre = (b - c) / m
    half = z * math.sqrt(max(0.0, (b + c) - (b - c) ** 2 / m)) / m
    return Interval(estimate, max(-1.0, centre - half), min(1.0, centre + half))


MIN_YOUDEN = 0.2  # TPR + TNR − 1 below this: the judge is too near chance for its correction to mean anything


@dataclass(frozen=True)
class Corrected:
    """A judge's pass rate corrected for its errors (Rogan and Gladen): θ = (p_obs + TNR − 1) / (TPR + TNR − 1),
    TPR and TNR measured on traces a human labelled too, with a bootstrap 95 % interval."""

    n: int  # traces the judge graded (pass/fail): p_obs is over these
    raw: float  # p_obs, the judge's own pass rate
    tpr: float | None  # judge pass among human pass
    tnr: float | None  # judge fail among human fail
    theta: float | None  # None when the correction means nothing (see `why_not`)
    low: float | None
    high: float | None
    why_not: str | None = None

    def line(self) -> str:
        if self.theta is None or self.low is None or self.high is None:
            return f"raw {self.raw:.0%} of {self.n}; no correction: {self.why_not}"
        return f"raw {self.raw:.0%} of {self.n} → corrected {self.theta:.0%} [95% CI {self.low:.0%}–{self.high:.0%}]"

    def to_json(self) -> dict[str, object]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"n": self.n, "raw": r(self.raw), "tpr": r(self.tpr), "tnr": r(self.tnr), "theta": r(self.theta),
                "low": r(self.low), "high": r(self.high), "why_not": self.why_not}


def corrected_pass_rate(judged: Sequence[bool], labelled: Sequence[tuple[bool, bool]], *, resamples: int = 2000,
                        seed: int = 0) -> Corrected:
    """θ from the judge's verdicts `judged` (True = pass) and the (human pass, judge pass) pairs `labelled`, with a
    percentile bootstrap interval: both samples resampled, θ clipped to [0, 1], resamples where TPR + TNR − 1 ≤ 0
    dropped. No θ when either human class is missing or TPR + TNR − 1 < MIN_YOUDEN."""
    import numpy as np

    n = len(judged)
    raw = sum(judged) / n if n else 0.0
    positives = [j for h, j in labelled if h]
    negatives = [j for h, j in labelled if not h]
    tpr = sum(positives) / len(positives) if positives else None
    tnr = sum(1 for j in negatives if not j) / len(negatives) if negatives else None
    if not n:
        return Corrected(0, 0.0, tpr, tnr, None, None, None, "the judge graded nothing here")
    if tpr is None or tnr is None:
        missing = "pass" if tpr is None else "fail"
        return Corrected(n, raw, tpr, tnr, None, None, None,
                         f"no trace the human labelled {missing} was judged: TPR and TNR need both")
    youden = tpr + tnr - 1
    if youden < MIN_YOUDEN:
        return Corrected(n, raw, tpr, tnr, None, None, None,
                         f"TPR + TNR − 1 = {youden:.2f} is under {MIN_YOUDEN}: the judge is too near chance")
    theta = min(1.0, max(0.0, (raw + tnr - 1) / youden))
    rng = np.random.default_rng(seed)
    j = np.asarray(judged, dtype=float)
    pos, neg = np.asarray(positives, dtype=float), 1.0 - np.asarray(negatives, dtype=float)
    p_star = j[rng.integers(0, n, (resamples, n))].mean(axis=1)
    tpr_star = pos[rng.integers(0, len(pos), (resamples, len(pos)))].mean(axis=1)
    tnr_star = neg[rng.integers(0, len(neg), (resamples, len(neg)))].mean(axis=1)
    denominator = tpr_star + tnr_star - 1
    keep = denominator > 0
    thetas = np.clip((p_star[keep] + tnr_star[keep] - 1) / denominator[keep], 0.0, 1.0)
    low, high = (float(x) for x in np.percentile(thetas, [2.5, 97.5])) if thetas.size else (0.0, 1.0)
    return Corrected(n, raw, tpr, tnr, theta, low, high)

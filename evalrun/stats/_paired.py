"""McNemar's exact test, a sign-flip permutation test, the Wilcoxon signed-rank test and
a paired bootstrap interval for a difference of means.

All of them take the per-pair differences (B - A of each sample both runs scored), or for
McNemar the two discordant counts. Work is bounded whatever the number of pairs: values are
grouped (scores take few distinct values: 0/1, partial credit, epoch means), and a resample
of grouped data is a multinomial draw of the group counts, which costs the number of groups,
not the number of pairs.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from statistics import NormalDist

#: at most this many distinct values are resampled by their counts (exact, O(groups))
MAX_GROUPS = 64
#: a sign-flip test enumerates all 2**m sign vectors up to this many non-zero differences
EXACT_FLIPS = 12
#: resampling values one by one (many distinct values) draws at most this many in all
ELEMENT_BUDGET = 1_000_000
#: fewer resamples than this would make a poor percentile interval
MIN_RESAMPLES = 200


def mcnemar_exact(b: int, c: int) -> float:
    """McNemar's exact test: the two-sided p-value that the discordant pairs split evenly.

    `b` pairs are correct in A only, `c` in B only (pairs that agree say nothing of a
    difference). Under the null hypothesis each of the n = b + c discordant pairs is
    equally likely to go either way, so min(b, c) ~ Binomial(n, 1/2) and

        p = min(1, 2 * sum_{i=0}^{min(b,c)} C(n, i) / 2**n)

    (McNemar 1947; the exact form as in Fagerland, Lydersen & Laake 2013). Computed with
    exact integers up to n = 1,000, in log space (lgamma, log-sum-exp) beyond.
    """
    if b < 0 or c < 0:
        raise ValueError("counts must not be negative")
    n, k = b + c, min(b, c)
    if n == 0 or b == c:
        return 1.0
    if n <= 1000:
        tail = sum(math.comb(n, i) for i in range(k + 1))
        return min(1.0, 2 * tail / 2**n)
    log_terms = [_log_comb(n, i) for i in range(k + 1)]
    top = max(log_terms)
    log_tail = top + math.log(math.fsum(math.exp(t - top) for t in log_terms))
    return min(1.0, math.exp(math.log(2) + log_tail - n * math.log(2)))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def sign_flip_test(
    differences: Sequence[float], *, resamples: int = 10_000, seed: int = 0
) -> float | None:
    """A paired permutation test of mean difference 0: the two-sided p-value.

    Under the null hypothesis the labels A and B of each pair are exchangeable, so each
    difference d_i is as likely as -d_i. The statistic is T = sum d_i; the p-value is the
    share of sign assignments s with |sum s_i d_i| >= |T| (Fisher 1935; Good,
    *Permutation Tests*, 2000, ch. 3). Zero differences do not change T and are left out.

    Exact (all 2**m assignments) for m <= 12 non-zero differences. Beyond, a Monte Carlo
    estimate over `resamples` seeded draws, p = (1 + hits) / (1 + resamples) (Phipson &
    Smyth 2010), drawn by groups: k equal magnitudes |d| flip as 2 * Binomial(k, 1/2) - k.
    None when the differences take more than `MAX_GROUPS` distinct magnitudes and more
    than fit `ELEMENT_BUDGET`: use `wilcoxon_signed_rank` then.
    """
    nonzero = [d for d in differences if d != 0]
    m = len(nonzero)
    if m == 0:
        return 1.0
    observed = abs(math.fsum(nonzero))
    bar = observed - 1e-9 * max(1.0, observed)  # equal sums, up to rounding, count as hits
    if m <= EXACT_FLIPS:
        hits = sum(
            1
            for signs in product((1.0, -1.0), repeat=m)
            if abs(math.fsum(s * d for s, d in zip(signs, nonzero, strict=True))) >= bar
        )
        return hits / 2**m
    groups = sorted(Counter(abs(d) for d in nonzero).items())
    rng = random.Random(seed)
    hits = 0
    if len(groups) <= MAX_GROUPS:
        for _ in range(resamples):
            total = math.fsum(size * (2 * _binomial(rng, k, 0.5) - k) for size, k in groups)
            if abs(total) >= bar:
                hits += 1
    elif m * resamples <= ELEMENT_BUDGET:
        magnitudes = [abs(d) for d in nonzero]
        for _ in range(resamples):
            bits = rng.getrandbits(m)
            total = math.fsum(x if bits >> i & 1 else -x for i, x in enumerate(magnitudes))
            if abs(total) >= bar:
                hits += 1
    else:
        return None
    return (1 + hits) / (1 + resamples)


def wilcoxon_signed_rank(differences: Sequence[float]) -> float:
    """The Wilcoxon signed-rank test of a zero median difference: the two-sided p-value
    by the normal approximation, with ties corrected.

    Zero differences are dropped (Wilcoxon's method); the m others are ranked by |d|,
    tied values sharing their mean rank. W+ is the sum of the ranks of positive
    differences; under the null hypothesis E[W+] = m(m+1)/4 and

        Var[W+] = m(m+1)(2m+1)/24 - sum_t (t^3 - t)/48

    over the groups of t tied magnitudes. z = (|W+ - E| - 1/2) / sqrt(Var) (continuity
    corrected) and p = erfc(|z| / sqrt 2) (Wilcoxon 1945; Lehmann, *Nonparametrics*, 1975).
    """
    magnitudes = sorted(abs(d) for d in differences if d != 0)
    m = len(magnitudes)
    if m == 0:
        return 1.0
    rank_of: dict[float, float] = {}
    ties = 0.0
    i = 0
    while i < m:
        j = i
        while j + 1 < m and magnitudes[j + 1] == magnitudes[i]:
            j += 1
        t = j - i + 1
        rank_of[magnitudes[i]] = (i + j) / 2 + 1  # ranks from 1
        ties += t**3 - t
        i = j + 1
    w_plus = math.fsum(rank_of[d] for d in differences if d > 0)
    mean = m * (m + 1) / 4
    var = m * (m + 1) * (2 * m + 1) / 24 - ties / 48
    if var <= 0:
        return 1.0
    z = max(0.0, abs(w_plus - mean) - 0.5) / math.sqrt(var)
    return min(1.0, math.erfc(z / math.sqrt(2)))


def paired_test(
    differences: Sequence[float], *, resamples: int = 10_000, seed: int = 0
) -> tuple[str, float]:
    """The test for numeric scores: ("permutation", p) by `sign_flip_test`, or
    ("wilcoxon", p) when a permutation test would cost too much (many distinct values)."""
    p = sign_flip_test(differences, resamples=resamples, seed=seed)
    if p is not None:
        return "permutation", p
    return "wilcoxon", wilcoxon_signed_rank(differences)


@dataclass(frozen=True)
class Interval:
    """A confidence interval, and the resamples it was computed from."""

    low: float
    high: float
    resamples: int


def bootstrap_mean_ci(
    differences: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 2_000,
    seed: int = 0,
) -> Interval:
    """The paired bootstrap percentile interval for the mean difference (B - A).

    The pairs are resampled with replacement, n of n, `resamples` times (seeded); each
    resample's mean of d_i = b_i - a_i is a draw of the mean difference, and the interval
    is their (1 - confidence)/2 and (1 + confidence)/2 quantiles (Efron & Tibshirani,
    *An Introduction to the Bootstrap*, 1993, ch. 13; quantiles interpolated linearly).
    Resampling pairs, not each run apart, keeps what the two runs share per sample.

    With at most `MAX_GROUPS` distinct differences (0/1 scores give three: -1, 0, 1,
    the cells "A only", "both the same", "B only"), a resample is the multinomial draw of
    the group counts, drawn as successive binomials: the same distribution as drawing the
    pairs one by one, in O(groups). With more distinct values the pairs are drawn one by
    one, at most `ELEMENT_BUDGET` pairs in all, so fewer resamples for large n; when that
    leaves fewer than `MIN_RESAMPLES`, the interval is the normal one the bootstrap
    distribution of a mean tends to, mean +- z * sd / sqrt(n) (sd with divisor n, the
    bootstrap's own), and `Interval.resamples` is 0.
    """
    n = len(differences)
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if n == 0:
        return Interval(math.nan, math.nan, 0)
    rng = random.Random(seed)
    groups = Counter(differences)
    means: list[float]
    if len(groups) <= MAX_GROUPS:
        # the largest group last: it is never drawn (it takes what the others leave)
        ordered = sorted(groups.items(), key=lambda item: item[1])
        means = []
        for _ in range(resamples):
            left, rest, total = n, n, 0.0
            for value, count in ordered[:-1]:
                drawn = _binomial(rng, left, count / rest) if left else 0
                total += value * drawn
                left -= drawn
                rest -= count
            total += ordered[-1][0] * left
            means.append(total / n)
    else:
        resamples = min(resamples, ELEMENT_BUDGET // n)
        if resamples < MIN_RESAMPLES:
            mean = math.fsum(differences) / n
            sd = math.sqrt(math.fsum((d - mean) ** 2 for d in differences) / n)
            half = NormalDist().inv_cdf((1 + confidence) / 2) * sd / math.sqrt(n)
            return Interval(mean - half, mean + half, 0)
        values = list(differences)
        means = [math.fsum(rng.choices(values, k=n)) / n for _ in range(resamples)]
    means.sort()
    tail = (1 - confidence) / 2
    return Interval(_quantile(means, tail), _quantile(means, 1 - tail), resamples)


def _quantile(ordered: list[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _binomial(rng: random.Random, n: int, p: float) -> int:
    """An exact Binomial(n, p) draw by inversion (Python 3.11 has no `binomialvariate`).

    Outcomes are visited in a fixed order and their probabilities summed until they pass
    a uniform draw: from 0 when the mean is small, else outward from the mode (m, m+1,
    m-1, m+2, ...), which takes about a standard deviation's worth of steps.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - _binomial(rng, n, 1.0 - p)
    q = 1.0 - p
    ratio = p / q
    u = rng.random()
    if n * p < 30:
        pmf = q**n
        k, cdf = 0, pmf
        while u > cdf and k < n:
            pmf *= (n - k) / (k + 1) * ratio
            k += 1
            cdf += pmf
        return k
    mode = min(n, int((n + 1) * p))
    pmf_mode = math.exp(_log_comb(n, mode) + mode * math.log(p) + (n - mode) * math.log(q))
    cdf = pmf_mode
    if u <= cdf:
        return mode
    up, up_pmf, down, down_pmf = mode, pmf_mode, mode, pmf_mode
    while up < n or down > 0:
        if up < n:
            up_pmf *= (n - up) / (up + 1) * ratio
            up += 1
            cdf += up_pmf
            if u <= cdf:
                return up
        if down > 0:
            down_pmf *= down / ((n - down + 1) * ratio)
            down -= 1
            cdf += down_pmf
            if u <= cdf:
                return down
    return mode  # u beyond the sum by rounding

"""Metrics over per-sample values (after epochs are reduced)."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Sequence

from evalrun.registry import BuildContext, register

Metric = Callable[[Sequence[float]], float]


@register("metric", "accuracy")
def accuracy() -> Metric:
    """The mean of correct (1) / incorrect (0) / partial values."""
    return mean_of


@register("metric", "mean")
def mean() -> Metric:
    return mean_of


@register("metric", "std")
def std() -> Metric:
    """Sample standard deviation (n - 1)."""
    return lambda values: statistics.stdev(values) if len(values) > 1 else 0.0


@register("metric", "stderr")
def stderr() -> Metric:
    """Standard error of the mean: sample std / sqrt(n)."""
    return lambda values: (
        statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    )


@register("metric", "bootstrap_stderr")
def bootstrap_stderr(ctx: BuildContext, num_samples: int = 1000, seed: int | None = None) -> Metric:
    """Standard deviation of the mean over `num_samples` resamples, seeded so runs agree."""
    fixed = seed if seed is not None else (ctx.seed if ctx.seed is not None else 0)

    def metric(values: Sequence[float]) -> float:
        n = len(values)
        if n < 2:
            return 0.0
        rng = random.Random(fixed)
        means = [sum(rng.choices(values, k=n)) / n for _ in range(num_samples)]
        return statistics.pstdev(means)

    return metric


def mean_of(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0

"""Metrics over per-sample values (after epochs are reduced)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Annotated

from pydantic import Field

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
    return lambda values: math.sqrt(variance(values, ddof=1)) if len(values) > 1 else 0.0


@register("metric", "stderr")
def stderr() -> Metric:
    """Standard error of the mean: sample std / sqrt(n)."""
    return lambda values: (
        math.sqrt(variance(values, ddof=1) / len(values)) if len(values) > 1 else 0.0
    )


@register("metric", "bootstrap_stderr")
def bootstrap_stderr(
    ctx: BuildContext,
    num_samples: Annotated[int, Field(ge=1, le=1_000_000)] = 1000,
    seed: int | None = None,
) -> Metric:
    """Standard deviation of the mean over `num_samples` resamples, seeded so runs agree."""
    fixed = seed if seed is not None else (ctx.seed if ctx.seed is not None else 0)

    def metric(values: Sequence[float]) -> float:
        n = len(values)
        if n < 2:
            return 0.0
        rng = random.Random(fixed)
        means = [math.fsum(rng.choices(values, k=n)) / n for _ in range(num_samples)]
        return math.sqrt(variance(means, ddof=0))

    return metric


def mean_of(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def variance(values: Sequence[float], *, ddof: int) -> float:
    """Two-pass float variance (the statistics module's exact fractions are 3-8x slower: tests/bench/micro.py)."""
    n = len(values)
    mean = math.fsum(values) / n
    return math.fsum((x - mean) ** 2 for x in values) / (n - ddof)

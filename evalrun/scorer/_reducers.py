"""Epoch reducers: one score per sample from its scores across epochs."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable
from math import comb

from evalrun.errors import InputError
from evalrun.registry import Entry, make_entry, register, register_pattern
from evalrun.scorer._score import Score, to_float

Reducer = Callable[[list[Score]], Score]


def _numeric(function: Callable[[list[float]], float]) -> Reducer:
    def reduce(scores: list[Score]) -> Score:
        if len(scores) == 1:
            return scores[0]
        return Score(function([to_float(s.value) for s in scores]))

    return reduce


@register("reducer", "mean")
def mean() -> Reducer:
    return _numeric(statistics.fmean)


@register("reducer", "median")
def median() -> Reducer:
    return _numeric(statistics.median)


@register("reducer", "max")
def max_() -> Reducer:
    return _numeric(max)


@register("reducer", "min")
def min_() -> Reducer:
    return _numeric(min)


@register("reducer", "mode")
def mode() -> Reducer:
    """The most frequent value (the earliest epoch's among ties)."""

    def reduce(scores: list[Score]) -> Score:
        counts = Counter(s.value for s in scores)
        best = max(counts.values())
        return Score(next(s.value for s in scores if counts[s.value] == best))

    return reduce


def pass_at(k: int) -> Reducer:
    """Unbiased pass@k: the chance that at least one of k draws from n epochs is correct."""

    def reduce(scores: list[Score]) -> Score:
        n = len(scores)
        c = sum(1 for s in scores if to_float(s.value) == 1.0)
        if c == 0:
            return Score(0.0)
        if n - c < k:
            return Score(1.0)
        return Score(1.0 - comb(n - c, k) / comb(n, k))

    return reduce


def at_least(k: int) -> Reducer:
    """1 when at least k epochs are correct, else 0."""

    def reduce(scores: list[Score]) -> Score:
        return Score(1.0 if sum(1 for s in scores if to_float(s.value) == 1.0) >= k else 0.0)

    return reduce


def _pattern_entry(
    prefix: str, build: Callable[[int], Reducer]
) -> Callable[[re.Match[str]], Entry]:
    """`pass_at_<k>` and `at_least_<k>`: k from 1, and (checked when the task is built) no
    more than the task's epochs; `epochs` in the entry's info says how many it needs."""

    def resolve(found: re.Match[str]) -> Entry:
        k = int(found.group(1))
        if k < 1:
            raise InputError(f"reducer `{found.group(0)}`: k must be at least 1")
        return make_entry("reducer", f"{prefix}_{k}", lambda: build(k), epochs=k)

    return resolve


register_pattern("reducer", r"pass_at_(\d+)", _pattern_entry("pass_at", pass_at))
register_pattern("reducer", r"at_least_(\d+)", _pattern_entry("at_least", at_least))

"""`evalrun diff`: a paired comparison of two runs of the same task.

Samples are paired by id once each run's epochs are reduced by that run's own reducer
(the first of its `epochs.reducer`). For each scorer both runs have: each run's metric
over the paired samples (accuracy for correct/incorrect scores, else the mean), the
difference B - A with a seeded paired bootstrap interval, and a paired test: McNemar's
exact test when every paired value is 0 or 1, else a sign-flip permutation test (or the
Wilcoxon signed-rank test when a permutation test would cost too much). Samples present
in one run only are listed, as are scorers present in one run only.

Logs are read streaming, one sample record at a time, through the log package's readers;
only (id, scorer, epoch, value) is kept of each record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalrun.errors import InputError, Location

SampleId = str | int

#: reducers that return a single epoch's value as it is
_IDENTITY_ON_ONE = frozenset({"mean", "median", "max", "min", "mode"})


@dataclass
class ScorerComparison:
    """One scorer's comparison over the samples both runs scored with it."""

    scorer: str
    #: `accuracy` (every paired value is 0 or 1) or `mean`
    metric: str
    paired: int
    a: float | None
    b: float | None
    #: b - a
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    #: `mcnemar`, `permutation` or `wilcoxon` (None without paired samples)
    test: str | None
    p_value: float | None
    #: samples lower in B than in A (for 0/1 scores: correct in A, incorrect in B)
    regressions: list[SampleId] = field(default_factory=list)
    #: samples higher in B than in A
    improvements: list[SampleId] = field(default_factory=list)
    #: for 0/1 scores: both correct, A only, B only, both incorrect
    cells: dict[str, int] | None = None
    #: samples in both runs that this scorer scored in only one of them (an errored sample)
    scored_only_a: list[SampleId] = field(default_factory=list)
    scored_only_b: list[SampleId] = field(default_factory=list)
    #: resamples behind the interval (0: the normal interval, see `stats.bootstrap_mean_ci`)
    resamples: int = 0
    significant: bool = False

    @property
    def worse(self) -> bool:
        """B is significantly worse: p below alpha and a negative difference."""
        return self.significant and self.difference is not None and self.difference < 0

    @property
    def better(self) -> bool:
        return self.significant and self.difference is not None and self.difference > 0


@dataclass
class RunInfo:
    """What a comparison says of each run."""

    log: str
    task: str
    model: str
    status: str
    reducer: str
    epochs: int
    #: distinct sample ids with at least one record
    samples: int
    #: sample records that could not be read (damaged lines)
    unreadable: int


@dataclass
class Comparison:
    """`diff(log_a, log_b)`: run A, run B, and each scorer's paired comparison."""

    a: RunInfo
    b: RunInfo
    alpha: float
    confidence: float
    seed: int
    paired: int
    only_a: list[SampleId]
    only_b: list[SampleId]
    scorers: list[ScorerComparison]
    scorers_only_a: list[str] = field(default_factory=list)
    scorers_only_b: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        """B is significantly worse on some scorer (what `--fail-on-regression` gates)."""
        return any(s.worse for s in self.scorers)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["regressed"] = self.regressed
        for entry, scorer in zip(out["scorers"], self.scorers, strict=True):
            entry["worse"], entry["better"] = scorer.worse, scorer.better
        return _finite(out)


def _finite(value: Any) -> Any:
    """NaN and infinities as None: JSON has neither."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@dataclass
class _Run:
    info: RunInfo
    #: scorer -> sample id -> reduced value
    values: dict[str, dict[SampleId, float]]
    ids: dict[SampleId, None]


def diff(
    log_a: Path | str,
    log_b: Path | str,
    *,
    alpha: float = 0.05,
    seed: int = 0,
    resamples: int = 2_000,
    permutations: int = 10_000,
    parallel: bool | None = None,
) -> Comparison:
    """Compare run B (`log_b`) with run A (`log_a`) of the same task, paired by sample id.

    The interval is at confidence 1 - alpha; a scorer's difference is significant when its
    test's p-value is below alpha. An `InputError` when a log cannot be read or the two
    are of different tasks. `parallel`: read B in a forked process while A is read (by
    default for logs over `PARALLEL_BYTES` in all).
    """
    if not 0 < alpha < 1:
        raise InputError(f"--alpha: {alpha} is not between 0 and 1")
    if resamples < 1 or permutations < 1:
        raise InputError("resamples and permutations must be at least 1")
    run_a, run_b = _read_both(Path(log_a), Path(log_b), parallel)
    if run_a.info.task != run_b.info.task:
        raise InputError(
            f"not runs of the same task: {log_a} is `{run_a.info.task}`, "
            f"{log_b} is `{run_b.info.task}`"
        )
    only_a = _sorted(i for i in run_a.ids if i not in run_b.ids)
    only_b = _sorted(i for i in run_b.ids if i not in run_a.ids)
    both = {i: None for i in run_a.ids if i in run_b.ids}
    names = [*run_a.values, *(s for s in run_b.values if s not in run_a.values)]
    scorers = [
        _compare(
            name, run_a.values[name], run_b.values[name], both, alpha, seed, resamples, permutations
        )
        for name in names
        if name in run_a.values and name in run_b.values
    ]
    return Comparison(
        run_a.info,
        run_b.info,
        alpha,
        1 - alpha,
        seed,
        len(both),
        only_a,
        only_b,
        scorers,
        [s for s in run_a.values if s not in run_b.values],
        [s for s in run_b.values if s not in run_a.values],
    )


def _compare(
    name: str,
    values_a: dict[SampleId, float],
    values_b: dict[SampleId, float],
    both: dict[SampleId, None],
    alpha: float,
    seed: int,
    resamples: int,
    permutations: int,
) -> ScorerComparison:
    from evalrun.stats import bootstrap_mean_ci, mcnemar_exact, paired_test

    ids = [i for i in both if i in values_a and i in values_b]
    xs = [values_a[i] for i in ids]
    ys = [values_b[i] for i in ids]
    scored_only_a = _sorted(i for i in both if i in values_a and i not in values_b)
    scored_only_b = _sorted(i for i in both if i in values_b and i not in values_a)
    binary = all(v == 0.0 or v == 1.0 for v in xs) and all(v == 0.0 or v == 1.0 for v in ys)
    result = ScorerComparison(
        name, "accuracy" if binary else "mean", len(ids), None, None, None, None, None, None,
        None, scored_only_a=scored_only_a, scored_only_b=scored_only_b,
    )  # fmt: skip
    if not ids:
        return result
    n = len(ids)
    differences = [y - x for x, y in zip(xs, ys, strict=True)]
    result.a, result.b = math.fsum(xs) / n, math.fsum(ys) / n
    result.difference = math.fsum(differences) / n
    result.regressions = _sorted(i for i, d in zip(ids, differences, strict=True) if d < 0)
    result.improvements = _sorted(i for i, d in zip(ids, differences, strict=True) if d > 0)
    if binary:
        a_only, b_only = len(result.regressions), len(result.improvements)
        both_correct = sum(1 for x, y in zip(xs, ys, strict=True) if x == 1.0 and y == 1.0)
        result.cells = {
            "both_correct": both_correct,
            "a_only": a_only,
            "b_only": b_only,
            "both_incorrect": n - both_correct - a_only - b_only,
        }
        result.test, result.p_value = "mcnemar", mcnemar_exact(a_only, b_only)
    else:
        result.test, result.p_value = paired_test(differences, resamples=permutations, seed=seed)
    interval = bootstrap_mean_ci(differences, confidence=1 - alpha, resamples=resamples, seed=seed)
    result.ci_low, result.ci_high, result.resamples = (
        interval.low,
        interval.high,
        interval.resamples,
    )
    result.significant = result.p_value < alpha
    return result


#: logs this big in all are read side by side, B in a forked process (parsing the records
#: is most of a diff's time: two 100,000-sample logs take ~1 s each)
PARALLEL_BYTES = 4_000_000


def _read_both(path_a: Path, path_b: Path, parallel: bool | None) -> tuple[_Run, _Run]:
    """Both runs, read one after the other, or for big logs (where `os.fork` exists) side
    by side: B in a child process that sends back its reduced values."""
    import os

    if parallel is None:
        try:
            parallel = path_a.stat().st_size + path_b.stat().st_size >= PARALLEL_BYTES
        except OSError:
            parallel = False
    if not parallel or not hasattr(os, "fork"):
        return _read(path_a), _read(path_b)
    import pickle

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read B, send it (or its error), and leave without cleanup
        try:
            os.close(read_fd)
            payload: tuple[str, Any]
            try:
                payload = ("ok", _read(path_b))
            except InputError as exc:
                payload = ("input", (exc.message, exc.location))
            except BaseException as exc:
                payload = ("error", f"{type(exc).__name__}: {exc}")
            with os.fdopen(write_fd, "wb") as out:
                out.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        run_a = _read(path_a)
    finally:
        with os.fdopen(read_fd, "rb") as incoming:
            data = incoming.read()
        os.waitpid(pid, 0)
    kind, value = (
        pickle.loads(data) if data else ("error", "the reading process ended with nothing")
    )
    if kind == "input":
        raise InputError(*value)
    if kind == "error":
        raise RuntimeError(f"reading {path_b} failed: {value}")
    assert isinstance(value, _Run)
    return run_a, value


def _read(path: Path) -> _Run:
    """One run's reduced values: each sample record's scores (the first readable record of
    each id x epoch), then each sample's epochs reduced by the run's reducer."""
    import orjson

    from evalrun.log import EvalHeader, open_log
    from evalrun.log._open import validate_part

    reader = open_log(path)
    try:
        header = validate_part(EvalHeader, reader.header(), path)
        summary = reader.summary()
        epochs_spec = header.task_spec.get("epochs") or {}
        reducers = epochs_spec.get("reducer") if isinstance(epochs_spec, dict) else None
        if isinstance(reducers, str):
            reducers = [reducers]
        reducer = reducers[0] if reducers else "mean"
        raw: dict[str, dict[SampleId, list[tuple[int, Any]]]] = {}
        ids: dict[SampleId, None] = {}
        seen: set[tuple[SampleId, int]] = set()
        unreadable = 0
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        for line in reader.sample_lines():
            try:
                record = loads(line)
                sample_id, epoch, scores = record["id"], record["epoch"], record["scores"]
            except (decode_error, KeyError, TypeError):
                unreadable += 1
                continue
            if (
                sample_id.__class__ not in (str, int)
                or epoch.__class__ is not int
                or scores.__class__ is not dict
            ):
                unreadable += 1
                continue
            key = (sample_id, epoch)
            if key in seen:
                continue
            seen.add(key)
            ids[sample_id] = None
            for scorer, score in scores.items():
                value = score.get("value") if score.__class__ is dict else None
                if value is None:
                    continue
                by_id = raw.get(scorer)
                if by_id is None:
                    by_id = raw[scorer] = {}
                entry = by_id.get(sample_id)
                if entry is None:
                    by_id[sample_id] = [(epoch, value)]
                else:
                    entry.append((epoch, value))
    finally:
        reader.close()
    reduce = _reducer(reducer, path)
    values = {scorer: _reduce(by_id, reducer, reduce, path) for scorer, by_id in raw.items()}
    info = RunInfo(
        str(path),
        header.task,
        header.model,
        summary["status"] if summary else "started",
        reducer,
        header.epochs,
        len(ids),
        unreadable,
    )
    return _Run(info, values, ids)


def _reducer(name: str, path: Path) -> Callable[[list[Any]], Any]:
    from evalrun.registry import lookup

    try:
        entry = lookup("reducer", name)
    except InputError as exc:
        raise InputError(f"the log's epochs reducer: {exc.message}", Location(path)) from None
    reduce: Callable[[list[Any]], Any] = entry.factory()
    return reduce


def _reduce(
    by_id: dict[SampleId, list[tuple[int, Any]]],
    name: str,
    reduce: Callable[[list[Any]], Any],
    path: Path,
) -> dict[SampleId, float]:
    from evalrun.scorer import Score, to_float

    out: dict[SampleId, float] = {}
    try:
        for sample_id, epochs in by_id.items():
            if len(epochs) == 1 and name in _IDENTITY_ON_ONE:
                out[sample_id] = to_float(epochs[0][1])
                continue
            epochs.sort(key=_first)
            out[sample_id] = to_float(reduce([Score(value) for _, value in epochs]).value)
    except ValueError as exc:
        raise InputError(f"sample {sample_id!r}: {exc}", Location(path)) from None
    return out


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _sorted(ids: Iterable[SampleId]) -> list[SampleId]:
    """Numbers first, in order, then text."""
    return sorted(ids, key=lambda i: (1, i, 0) if isinstance(i, str) else (0, "", i))


# --- output ------------------------------------------------------------------------------

_TESTS = {"mcnemar": "McNemar", "permutation": "permut.", "wilcoxon": "Wilcoxon"}
#: ids listed per line of the table and markdown output (JSON lists all)
LISTED_IDS = 20


def format_table(comparison: Comparison, width: int = 80) -> str:
    """The comparison as plain text that fits `width` columns (80: a terminal, a CI log)."""
    c = comparison
    lines = [f"task {c.a.task}"]
    for label, run in (("A", c.a), ("B", c.b)):
        lines.append(
            f"  {label}  {run.model}  {run.status}, {run.samples:,} samples, reducer {run.reducer}"
        )
        lines.append(f"     {Path(run.log).name}")
    lines.append(
        f"paired {c.paired:,} samples; only in A: {len(c.only_a):,}; only in B: {len(c.only_b):,}"
    )
    lines.append("")
    names = [s.scorer for s in c.scorers]
    name_width = min(max([6, *map(len, names)]), 14)
    level = f"{c.confidence:.0%} interval"
    lines.append(
        f"{'scorer':<{name_width}} {'A':>6} {'B':>6} {'B - A':>7} {level:^17} {'p':>8} "
        f"{'test':<8} verdict"
    )
    for s in c.scorers:
        name = s.scorer if len(s.scorer) <= name_width else s.scorer[: name_width - 1] + "…"
        if s.paired == 0:
            lines.append(f"{name:<{name_width}} {'-':>6} {'-':>6} {'-':>7} no paired samples")
            continue
        interval = f"[{_signed(s.ci_low)},{_signed(s.ci_high)}]"
        lines.append(
            f"{name:<{name_width}} {_num(s.a):>6} {_num(s.b):>6} {_signed(s.difference):>7} "
            f"{interval:^17} {_p(s.p_value):>8} {_TESTS.get(s.test or '', '-'):<8} "
            f"{_verdict(s)}"
        )
    for s in c.scorers:
        lines.append("")
        lines.extend(_wrap(_changes_line(s), width, "  "))
        lines.extend(_id_lines("  regressions", s.regressions, width))
        lines.extend(_id_lines("  improvements", s.improvements, width))
        if s.scored_only_a or s.scored_only_b:
            lines.append(
                f"  scored in A only: {len(s.scored_only_a):,}; in B only: "
                f"{len(s.scored_only_b):,} (errored in the other run)"
            )
    if c.only_a or c.only_b:
        lines.append("")
        lines.extend(_id_lines("only in A", c.only_a, width))
        lines.extend(_id_lines("only in B", c.only_b, width))
    for label, names_only in (("A", c.scorers_only_a), ("B", c.scorers_only_b)):
        if names_only:
            lines.append(f"scorers only in {label}: {', '.join(names_only)}")
    lines.append("")
    lines.extend(_wrap(_conclusion(c), width, ""))
    return "\n".join(line.rstrip() for line in lines)


def format_markdown(comparison: Comparison) -> str:
    """The comparison as GitHub-flavoured markdown (a pull request comment, a CI summary)."""
    c = comparison
    out = [f"### evalrun diff: `{c.a.task}`", ""]
    out += ["| run | log | model | status | samples | reducer |", "|---|---|---|---|---:|---|"]
    for label, run in (("A", c.a), ("B", c.b)):
        out.append(
            f"| {label} | `{Path(run.log).name}` | {run.model} | {run.status} | "
            f"{run.samples:,} | {run.reducer} |"
        )
    out += [
        "",
        f"Paired samples: {c.paired:,}; only in A: {len(c.only_a):,}; only in B: "
        f"{len(c.only_b):,}.",
        "",
        f"| scorer | metric | A | B | B − A | {c.confidence:.0%} interval | test | p | |",
        "|---|---|---:|---:|---:|---|---|---:|---|",
    ]
    for s in c.scorers:
        if s.paired == 0:
            out.append(f"| {s.scorer} | {s.metric} | | | | no paired samples | | | |")
            continue
        verdict = _verdict(s)
        out.append(
            f"| {s.scorer} | {s.metric} | {_num(s.a)} | {_num(s.b)} | {_signed(s.difference)} | "
            f"[{_signed(s.ci_low)}, {_signed(s.ci_high)}] | {_TESTS.get(s.test or '', '')} | "
            f"{_p(s.p_value)} | {f'**{verdict}**' if verdict else ''} |"
        )
    out.append("")
    for s in c.scorers:
        out.append(f"- {_changes_line(s)}")
        for label, ids in (("regressions", s.regressions), ("improvements", s.improvements)):
            if ids:
                out.append(f"  - {label}: {_id_list(ids, code=True)}")
    for label, ids in (("A", c.only_a), ("B", c.only_b)):
        if ids:
            out.append(f"- only in {label} ({len(ids):,}): {_id_list(ids, code=True)}")
    for label, names in (("A", c.scorers_only_a), ("B", c.scorers_only_b)):
        if names:
            out.append(f"- scorers only in {label}: {', '.join(names)}")
    out += ["", _conclusion(c)]
    return "\n".join(out) + "\n"


def _changes_line(s: ScorerComparison) -> str:
    lower, higher = ("wrong in B", "right in B") if s.cells else ("lower in B", "higher in B")
    line = (
        f"{s.scorer}: {len(s.regressions):,} regressions ({lower}), "
        f"{len(s.improvements):,} improvements ({higher})"
    )
    if s.cells:
        line += (
            f"; both right {s.cells['both_correct']:,}, both wrong {s.cells['both_incorrect']:,}"
        )
    return line


def _id_lines(label: str, ids: list[SampleId], width: int) -> list[str]:
    """`label (n): a, b, c` wrapped to `width`, at most `LISTED_IDS` ids."""
    if not ids:
        return []
    text = f"{label} ({len(ids):,}): {_id_list(ids)}"
    return _wrap(text, width, " " * (len(label) - len(label.lstrip()) + 2))


def _wrap(text: str, width: int, indent: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False)


def _id_list(ids: list[SampleId], *, code: bool = False) -> str:
    shown = [f"`{i}`" if code else str(i) for i in ids[:LISTED_IDS]]
    more = len(ids) - LISTED_IDS
    return ", ".join(shown) + (f" and {more:,} more (--format json lists all)" if more > 0 else "")


def _conclusion(c: Comparison) -> str:
    worse = [s for s in c.scorers if s.worse]
    better = [s for s in c.scorers if s.better]
    parts = []
    if worse:
        parts.append("B is significantly worse on " + _names(worse))
    if better:
        parts.append("B is significantly better on " + _names(better))
    if not parts:
        return f"no significant difference at alpha {c.alpha:g}"
    return "; ".join(parts) + f" (alpha {c.alpha:g})"


def _names(scorers: list[ScorerComparison]) -> str:
    return ", ".join(f"{s.scorer} (p {_p(s.p_value)})" for s in scorers)


def _verdict(s: ScorerComparison) -> str:
    return "worse" if s.worse else "better" if s.better else ""


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.4g}"


def _signed(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:+.3f}" if abs(value) < 100 else f"{value:+.4g}"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if value >= 0.001 else f"{value:.1e}"

"""From per-sample scores to results: reduce epochs, apply metrics, check thresholds."""

from __future__ import annotations

from typing import Any

from evalrun.scorer import Score, to_float
from evalrun.spec import Task


class ScoreBook:
    """Scores of finished samples, by scorer and sample id (epochs in any order).

    Results do not depend on the order samples finished in: values are taken in
    dataset order and epochs in epoch order, so a resumed run equals an uninterrupted one.
    """

    def __init__(self, task: Task) -> None:
        self._task = task
        self._scores: dict[str, dict[str | int, list[tuple[int, Score]]]] = {
            s.name: {} for s in task.scorers
        }

    def add(self, sample_id: str | int, epoch: int, scores: dict[str, Score]) -> None:
        for name, score in scores.items():
            by_sample = self._scores[name]
            entry = by_sample.get(sample_id)
            if entry is None:
                by_sample[sample_id] = [(epoch, score)]
            else:
                entry.append((epoch, score))

    def results(self) -> list[dict[str, Any]]:
        """One entry per scorer x reducer: samples scored, metrics, and `unparsed`, the
        sample-epochs whose score is marked `metadata.unparsed` (a grader's reply with no
        grade, scored as incorrect)."""
        out = []
        samples = self._task.samples
        for scorer in self._task.scorers:
            by_sample = self._scores[scorer.name]
            unparsed = _unparsed(by_sample)
            for reducer_name, reduce in self._task.reducers:
                values = []
                for sample in samples:  # dataset order
                    epochs = by_sample.get(sample.id)
                    if epochs is None:
                        continue
                    if len(epochs) > 1:
                        epochs = sorted(epochs, key=_epoch)
                    values.append(to_float(reduce([score for _, score in epochs]).value))
                metrics = {
                    name: round(metric(values), 10) if values else None
                    for name, metric in scorer.metrics
                }
                out.append(
                    {
                        "scorer": scorer.name,
                        "reducer": reducer_name,
                        "samples": len(values),
                        "metrics": metrics,
                        "unparsed": unparsed,
                    }
                )
        return out


def _unparsed(by_sample: dict[str | int, list[tuple[int, Score]]]) -> int:
    """Sample-epochs whose score says it could not be read (`metadata.unparsed`)."""
    count = 0
    for epochs in by_sample.values():
        for _, score in epochs:
            metadata = score.metadata
            if metadata and metadata.get("unparsed") is True:
                count += 1
    return count


def _epoch(pair: tuple[int, Score]) -> int:
    return pair[0]


def thresholds_of(task: Task, fail_under: dict[str, float]) -> dict[str, float]:
    """The task's thresholds, with the command line's (`--fail-under`) over them: those
    that name one of its metrics (`accuracy`, `match.accuracy`)."""
    known = {m for s in task.scorers for m, _ in s.metrics} | {
        f"{s.name}.{m}" for s in task.scorers for m, _ in s.metrics
    }
    return {**task.spec.thresholds, **{k: v for k, v in fail_under.items() if k in known}}


def check_thresholds(
    task: Task, scores: list[dict[str, Any]], fail_under: dict[str, float], checked: bool
) -> list[dict[str, Any]]:
    """Each threshold's check: `pass` or `fail`, or `not checked` when the run is not
    complete and successful (a partial run's metrics say nothing about the whole: a
    threshold is never passed by a run that did not finish)."""
    out = []
    for key, threshold in thresholds_of(task, fail_under).items():
        if not checked:
            out.append({"metric": key, "threshold": threshold, "value": None, "passed": False,
                        "status": "not checked"})  # fmt: skip
            continue
        scorer_name, _, metric_name = key.rpartition(".")
        value = None
        for entry in scores:
            if (not scorer_name or entry["scorer"] == scorer_name) and entry["metrics"].get(
                metric_name
            ) is not None:
                value = entry["metrics"][metric_name]
                break
        passed = value is not None and value >= threshold
        out.append({"metric": key, "threshold": threshold, "value": value, "passed": passed,
                    "status": "pass" if passed else "fail"})  # fmt: skip
    return out

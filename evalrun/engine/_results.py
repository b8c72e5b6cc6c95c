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
        self._order = {str(s.id): i for i, s in enumerate(task.samples)}
        self._scores: dict[str, dict[str, list[tuple[int, Score]]]] = {
            s.name: {} for s in task.scorers
        }

    def add(self, sample_id: str | int, epoch: int, scores: dict[str, Score]) -> None:
        key = str(sample_id)
        for name, score in scores.items():
            self._scores[name].setdefault(key, []).append((epoch, score))

    def results(self) -> list[dict[str, Any]]:
        out = []
        for scorer in self._task.scorers:
            by_sample = self._scores[scorer.name]
            for reducer_name, reduce in self._task.reducers:
                values = []
                for key in sorted(by_sample, key=lambda k: self._order.get(k, len(self._order))):
                    epochs = by_sample[key]
                    ordered = [score for _, score in sorted(epochs, key=lambda pair: pair[0])]
                    values.append(to_float(reduce(ordered).value))
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
                    }
                )
        return out


def check_thresholds(task: Task, scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for key, threshold in task.spec.thresholds.items():
        scorer_name, _, metric_name = key.rpartition(".")
        value = None
        for entry in scores:
            if (not scorer_name or entry["scorer"] == scorer_name) and entry["metrics"].get(
                metric_name
            ) is not None:
                value = entry["metrics"][metric_name]
                break
        passed = value is not None and value >= threshold
        out.append({"metric": key, "threshold": threshold, "value": value, "passed": passed})
    return out

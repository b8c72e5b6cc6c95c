"""Scorers, metrics (with stderr and a seeded bootstrap) and epoch reducers."""

from evalrun.scorer import _graded, _metrics, _reducers, _scorers  # noqa: F401  (register built-ins)
from evalrun.scorer._metrics import Metric
from evalrun.scorer._reducers import Reducer
from evalrun.scorer._score import CORRECT, INCORRECT, NOANSWER, PARTIAL, Score, to_float, to_score
from evalrun.scorer._scorers import Scorer

__all__ = [
    "CORRECT",
    "INCORRECT",
    "NOANSWER",
    "PARTIAL",
    "Metric",
    "Reducer",
    "Score",
    "Scorer",
    "to_float",
    "to_score",
]

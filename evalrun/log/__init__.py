"""Logs: the schema (source of truth), the streaming writer and the reader."""

from evalrun.log._json import JsonLogWriter
from evalrun.log._read import iter_samples, read_log
from evalrun.log._schema import (
    LOG_VERSION,
    EvalHeader,
    EvalLog,
    EvalResults,
    EvalSample,
    EvalScore,
    EvalStats,
    SampleError,
    ScoreRecord,
    ThresholdResult,
)

__all__ = [
    "LOG_VERSION",
    "EvalHeader",
    "EvalLog",
    "EvalResults",
    "EvalSample",
    "EvalScore",
    "EvalStats",
    "JsonLogWriter",
    "SampleError",
    "ScoreRecord",
    "ThresholdResult",
    "iter_samples",
    "read_log",
]

"""Logs: the schema (the source of truth), streaming writers and readers for the
`.eval` (zip) and `.json` formats, and the reading API the commands use."""

from evalrun.log._base import LogReader, LogWriter
from evalrun.log._open import (
    FORMATS,
    LogSummary,
    find_logs,
    iter_samples,
    open_log,
    open_writer,
    read_log,
    read_summary,
)
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
    "FORMATS",
    "LOG_VERSION",
    "EvalHeader",
    "EvalLog",
    "EvalResults",
    "EvalSample",
    "EvalScore",
    "EvalStats",
    "LogReader",
    "LogSummary",
    "LogWriter",
    "SampleError",
    "ScoreRecord",
    "ThresholdResult",
    "find_logs",
    "iter_samples",
    "open_log",
    "open_writer",
    "read_log",
    "read_summary",
]

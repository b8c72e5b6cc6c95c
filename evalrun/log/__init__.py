"""Logs: the schema (the source of truth), streaming writers and readers for the
`.eval` (zip) and `.json` formats, and the reading API the commands use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: the package's names, imported when first used: `evalrun.log` stays cheap to import
#: (the schema's pydantic models cost ~0.2 s) for what needs only a part of it, such as
#: `evalrun jobs list` reading the job index (`evalrun.log._index`)
_EXPORTS = {
    "Damage": "evalrun.log._base",
    "LogReader": "evalrun.log._base",
    "LogWriter": "evalrun.log._base",
    "dataset_digest": "evalrun.log._base",
    "dumps": "evalrun.log._base",
    "COUNT_NAMES": "evalrun.log._counts",
    "SampleCounts": "evalrun.log._counts",
    "FORMATS": "evalrun.log._open",
    "LogSummary": "evalrun.log._open",
    "check_dataset": "evalrun.log._open",
    "find_logs": "evalrun.log._open",
    "iter_samples": "evalrun.log._open",
    "open_log": "evalrun.log._open",
    "open_writer": "evalrun.log._open",
    "prepare_log_dir": "evalrun.log._open",
    "read_log": "evalrun.log._open",
    "read_summary": "evalrun.log._open",
    "resume_chain": "evalrun.log._open",
    "LOG_VERSION": "evalrun.log._schema",
    "EvalHeader": "evalrun.log._schema",
    "EvalLog": "evalrun.log._schema",
    "EvalResults": "evalrun.log._schema",
    "EvalSample": "evalrun.log._schema",
    "EvalScore": "evalrun.log._schema",
    "EvalStats": "evalrun.log._schema",
    "LimitRecord": "evalrun.log._schema",
    "SampleError": "evalrun.log._schema",
    "ScoreRecord": "evalrun.log._schema",
    "ThresholdResult": "evalrun.log._schema",
    "TrajectoryRecord": "evalrun.log._schema",
    "TrajectoryStepRecord": "evalrun.log._schema",
    "unknown_keys": "evalrun.log._schema",
}

if TYPE_CHECKING:
    from evalrun.log._base import Damage, LogReader, LogWriter, dataset_digest, dumps
    from evalrun.log._counts import COUNT_NAMES, SampleCounts
    from evalrun.log._open import (
        FORMATS,
        LogSummary,
        check_dataset,
        find_logs,
        iter_samples,
        open_log,
        open_writer,
        prepare_log_dir,
        read_log,
        read_summary,
        resume_chain,
    )
    from evalrun.log._schema import (
        LOG_VERSION,
        EvalHeader,
        EvalLog,
        EvalResults,
        EvalSample,
        EvalScore,
        EvalStats,
        LimitRecord,
        SampleError,
        ScoreRecord,
        ThresholdResult,
        TrajectoryRecord,
        TrajectoryStepRecord,
        unknown_keys,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalrun.log' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "COUNT_NAMES",
    "FORMATS",
    "LOG_VERSION",
    "Damage",
    "EvalHeader",
    "EvalLog",
    "EvalResults",
    "EvalSample",
    "EvalScore",
    "EvalStats",
    "LimitRecord",
    "LogReader",
    "LogSummary",
    "LogWriter",
    "SampleCounts",
    "SampleError",
    "ScoreRecord",
    "ThresholdResult",
    "TrajectoryRecord",
    "TrajectoryStepRecord",
    "check_dataset",
    "dataset_digest",
    "dumps",
    "find_logs",
    "iter_samples",
    "open_log",
    "open_writer",
    "prepare_log_dir",
    "read_log",
    "read_summary",
    "resume_chain",
    "unknown_keys",
]

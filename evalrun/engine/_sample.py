"""Run one sample in one epoch: solver steps, then scorers, under the sample's limits.

This is the hot path. It returns the log record (a plain dict shaped like
`evalrun.log.EvalSample`) and the scores; errors become data in the record.
"""

from __future__ import annotations

import time
import traceback
from contextlib import nullcontext
from typing import Any

import anyio

from evalrun.dataset import Sample
from evalrun.errors import InputError, LimitExceededError, ModelError
from evalrun.model import Model, ModelPool, SampleScope
from evalrun.scorer import Score, to_score
from evalrun.secrets import scrub
from evalrun.solver import TaskState
from evalrun.spec import Task


async def run_sample(
    task: Task,
    model: Model,
    models: ModelPool,
    sample: Sample,
    epoch: int,
    attempt: int,
    scope: SampleScope,
) -> tuple[dict[str, Any], dict[str, Score] | None]:
    """Run `sample` once; `scope` is the calling worker's (see `evalrun.model.enter_scope`)."""
    spec = task.spec
    limits = spec.limits
    state = TaskState(
        sample, epoch, model, models, spec.config, spec.args,
        message_limit=limits.messages, token_limit=limits.tokens,
    )  # fmt: skip
    started_at = time.time()
    started = time.monotonic()
    scores: dict[str, Score] | None = None
    error: dict[str, Any] | None = None
    scope.epoch = epoch
    scope.attempt = attempt
    try:
        with anyio.fail_after(limits.time) if limits.time else _NO_LIMIT:
            for step in task.steps:
                await step(state)
            scores = {}
            for scorer in task.scorers:
                result = scorer.score(state)
                if not isinstance(result, Score):
                    result = to_score(await result)
                scores[scorer.name] = result
    except TimeoutError:
        error = _error(LimitExceededError("time", limits.time or 0, time.monotonic() - started))
    except Exception as exc:
        error = _error(exc)
    output = state.output
    record = {
        "id": sample.id,
        "epoch": epoch,
        "attempt": attempt,
        "input": sample.input,
        "target": sample.target,
        "choices": sample.choices,
        "metadata": sample.metadata,
        "messages": [{"role": m.role, "content": m.content} for m in state.messages],
        "output": output.to_dict() if output is not None else None,
        "answer": state.answer,
        "scores": {name: s.to_dict() for name, s in scores.items()} if scores is not None else {},
        "error": error,
        "usage": state.usage.to_dict(),
        "retries": state.retries,
        "started_at": started_at,
        "total_time": time.monotonic() - started,
    }
    return record, scores


_NO_LIMIT = nullcontext()


def _error(exc: BaseException) -> dict[str, Any]:
    """An error as the log records it; messages pass `scrub` (no API key is ever written)."""
    error: dict[str, Any] = {
        "message": scrub(str(exc)),
        "kind": "error",
        "limit": None,
        "traceback": None,
    }
    if isinstance(exc, LimitExceededError):
        error.update(kind="limit", limit=exc.kind)
    elif isinstance(exc, ModelError):
        error["kind"] = "model"
        if exc.fatal:
            error["fatal"] = True
        if exc.retry_log:
            error["retry_log"] = exc.retry_log
    elif not isinstance(exc, InputError):
        error["message"] = scrub(f"{type(exc).__name__}: {exc}")
        error["traceback"] = scrub("".join(traceback.format_exception(exc)))
    return error

"""Run one sample in one epoch: solver steps under the sample's limits, then scorers.

This is the hot path. It returns the log record (a plain dict shaped like
`evalrun.log.EvalSample`) and the scores; errors become data in the record.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import anyio

from evalrun.dataset import Sample
from evalrun.errors import InputError, LimitExceededError, ModelError
from evalrun.log import dumps
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
    limit: dict[str, Any] | None = None
    scope.epoch = epoch
    scope.attempt = attempt
    try:
        try:
            if limits.time:
                with anyio.move_on_after(limits.time) as deadline:
                    for step in task.steps:
                        await step(state)
                if deadline.cancelled_caught:
                    raise LimitExceededError("time", limits.time, time.monotonic() - started)
            else:
                for step in task.steps:
                    await step(state)
        except LimitExceededError as hit:
            # the limit ends the trajectory, not the sample: it is scored on what it has
            # (excluding it would let a model that rambles past its budget score higher)
            limit = limit_record(hit)
            if state.trajectory is not None:  # (a time limit cancels the agent mid-turn)
                state.trajectory.finish("limit")
        state.token_limit = state.message_limit = None  # limits bound the solver, not scoring
        scores = {}
        for scorer in task.scorers:
            result = scorer.score(state)
            if not isinstance(result, Score):
                result = to_score(await result)
            scores[scorer.name] = result
    except (Exception, SystemExit) as exc:  # user code calling sys.exit() fails its sample only
        scores = None  # (a scorer may have failed after others scored)
        error = error_record(exc)
        if isinstance(exc, ModelError) and exc.retry_log:
            state.retries.extend(exc.retry_log)  # every failed attempt, the last one included
    output = state.output
    record = {
        "id": sample.id,
        "epoch": epoch,
        "attempt": attempt,
        "input": sample.input,
        "target": sample.target,
        "choices": sample.choices,
        "metadata": sample.metadata,
        "messages": [
            {"role": m.role, "content": m.content}
            if m.tool_calls is None and m.tool_call_id is None
            else m.to_dict()
            for m in state.messages
        ],
        "output": output.to_dict() if output is not None else None,
        "answer": state.answer,
        "store": state.store,
        "scores": {name: s.to_dict() for name, s in scores.items()} if scores is not None else {},
        "error": error,
        "limit": limit,
        "usage": state.usage.to_dict(),
        "retries": state.retries,
        "started_at": started_at,
        "total_time": time.monotonic() - started,
    }
    if state.trajectory is not None:
        record["trajectory"] = state.trajectory.to_dict()
    return record, scores


#: a sample record with more text than this is not logged whole: one oversized sample
#: (a template or user step gone wild) must not take the log down
MAX_RECORD_CHARS = 100_000_000


def encode_record(record: dict[str, Any]) -> tuple[bytes, bool]:
    """The record as a log line, and True; or, when it is too large or cannot be encoded,
    an error record in its place (False): the sample then counts as errored."""
    size = len(record["input"])
    for message in record["messages"]:  # (the answer is among them; a loop: per sample)
        size += len(message["content"])
    trajectory = record.get("trajectory")
    if trajectory is not None:  # an agent's steps repeat its turns' and tools' text
        for step in trajectory["steps"]:
            size += len(step.get("completion") or step.get("output") or "")
    if size > MAX_RECORD_CHARS:
        problem = f"the sample's text is too large to log ({size:,} characters)"
    else:
        try:
            return dumps(record), True
        except (TypeError, ValueError) as exc:
            problem = f"the sample's record cannot be written to the log: {exc}"
    record.update(
        input=record["input"][:10_000],
        metadata={},
        messages=[],
        output=None,
        answer=None,
        scores={},
        error={"message": problem, "kind": "error", "limit": None, "traceback": None},
    )
    record.pop("trajectory", None)
    return dumps(record), False


def limit_record(hit: LimitExceededError) -> dict[str, Any]:
    """The limit a sample hit, as its log record keeps it."""
    return {"kind": hit.kind, "limit": hit.limit, "used": hit.used, "message": str(hit)}


def error_record(exc: BaseException) -> dict[str, Any]:
    """An error as the log records it (for a sample, or for the whole run); messages pass
    `scrub`, so no API key is ever written or returned."""
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
    elif not isinstance(exc, InputError):
        error["message"] = scrub(f"{type(exc).__name__}: {exc}")
        error["traceback"] = scrub("".join(traceback.format_exception(exc)))
    return error

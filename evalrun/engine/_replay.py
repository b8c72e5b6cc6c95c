"""Rescoring: a unit whose samples replay what a finished log recorded instead of calling
the model under test, so the new log's counts, scores, metrics, thresholds and summary
come from the same engine code as a run's (`evalrun score`).

Each sample's recorded state (messages, output, answer, store, usage, retries, an agent's
trajectory, the limit it hit) is put back on a fresh `TaskState` by the task's only solver
step, then the task's scorers run as in any run. The state's model is one that fails every
call: a scorer that tries to generate with the model under test fails its sample, visibly.
Graders (other models) are called as in a run. Samples that errored in the log are
copied as they are (they stay errored); samples the log does not hold are not run (the
new log is as incomplete as the old one).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from evalrun.errors import LimitExceededError, ModelError
from evalrun.log import open_log
from evalrun.model import ChatMessage, Model, ModelOutput, ToolCall, Usage
from evalrun.model._limit import ConnectionLimit
from evalrun.model._provider import Provider
from evalrun.model._request import ModelRequest
from evalrun.solver import TaskState, Trajectory

if TYPE_CHECKING:
    from evalrun.dataset import Sample
    from evalrun.engine._run import _UnitRun


class _NoCalls(Provider):
    """The model under test while rescoring: every call fails (and is never retried)."""

    default_max_retries = 0

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        self.name = name

    def endpoint(self) -> str:
        return f"rescoring:{self.name}"

    def cache_identity(self) -> dict[str, Any]:
        return {"provider": "rescoring", "model": self.name, "base_url": None}

    async def generate(self, request: ModelRequest) -> ModelOutput:
        raise ModelError(
            f"rescoring calls no model under test, but a scorer called `{self.name}`: "
            "give it another grader (`grader: provider/name`), or run the task again",
            transient=False,
        )


def no_calls_model(name: str, connections: int = 100) -> Model:
    """A real `Model` over a provider that fails every call; `connections` bounds the
    samples rescored at once (as the model's connections bound a run's)."""
    return Model(_NoCalls(name, {}), ConnectionLimit(connections), max_retries=0)


class Replay:
    """What a rescoring unit replays: the sample records of the log at `source`."""

    def __init__(self, source: Path, model: Model) -> None:
        self.source = source
        #: the model the replayed states hold (it fails every call)
        self.model = model
        #: (str(id), epoch) -> the record's bytes, for samples still to replay
        self._records: dict[tuple[str, int], bytes] = {}

    def carry(
        self, samples: list[Sample], epochs: int, state: _UnitRun
    ) -> dict[tuple[str, int], int]:
        """Copy the log's errored records as they are; keep the others to replay. Returns
        the queue's attempts: 0 (nothing to run) for the copied and for what the log
        does not hold."""
        attempts: dict[tuple[str, int], int] = {}
        reader = open_log(self.source)
        try:
            for raw, sample in reader.iter_samples():
                key = (str(sample.id), sample.epoch)
                if sample.error is None:
                    self._records[key] = raw
                    continue
                state.writer.write_raw(raw)
                state.record(sample.id, sample.epoch, sample.usage.model_dump(), None)
                state.result.counts.add(errored=True, reused=True)
                attempts[key] = 0
        finally:
            reader.close()
        for epoch in range(1, epochs + 1):
            for item in samples:
                key = (str(item.id), epoch)
                if key not in self._records:
                    attempts.setdefault(key, 0)  # not in the log: not run here either
        state.writer.flush()
        return attempts

    async def step(self, state: TaskState) -> None:
        """The solver of a rescoring unit: the recorded state, put back."""
        raw = self._records.pop((str(state.sample.id), state.epoch))
        record = orjson.loads(raw)
        state.model = self.model
        state.messages = [
            ChatMessage(m["role"], m["content"]) if len(m) == 2 else ChatMessage.from_dict(m)
            for m in record["messages"]
        ]
        output = record.get("output")
        if output is not None:
            usage = Usage()
            usage.add_dict(output["usage"])
            state.output = ModelOutput(
                output["model"],
                output["completion"],
                output.get("stop_reason", "stop"),
                usage,
                output.get("time", 0.0),
                output.get("retries", 0),
                output.get("cached", False),
                list(output.get("retry_log") or []),
                tuple(ToolCall.from_dict(call) for call in output.get("tool_calls") or ()),
            )
        state.answer = record.get("answer")
        state.store = dict(record.get("store") or {})
        state.usage.add_dict(record["usage"])
        state.retries.extend(record.get("retries") or [])
        if record.get("trajectory") is not None:  # a python scorer may read it
            state.trajectory = Trajectory.from_dict(record["trajectory"])
        limit = record.get("limit")
        if limit is not None:  # scored where it stopped, as in the run
            raise LimitExceededError(limit["kind"], limit["limit"], limit["used"])

"""The log schema: the source of truth for what a log holds (version 2).

The engine writes plain dicts shaped like these models (cheaper on the hot path);
readers validate with them. Both formats hold the same four parts: a header (what
ran, enough to run it again), the dataset as loaded, the samples as they finished,
and a summary written on close (status, results, stats, error). See `_eval.py` and
`_json.py` for how each lays them out. A log without a summary never finished: its
status reads as `started`.

Bump LOG_VERSION when a change would make older readers misread a log. Version 2:
`completed_samples` counts every finished sample (scored or errored; version 1 counted
only the scored ones, and is read as such), with `scored_samples`, `limited_samples`
and `cached_samples` beside it; a sample stopped at a limit is scored, with `limit`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

LOG_VERSION = 2
Status = Literal["started", "success", "error", "cancelled"]


class _Record(BaseModel):
    """Readers accept keys they do not know (a newer evalrun may add some); the tests hold
    the engine to the schema with `unknown_keys`. Fields without a default are written
    on every record, so a missing one is an error, not a silent default."""

    model_config = ConfigDict(extra="allow")


class UsageRecord(_Record):
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    total_tokens: int
    calls: int
    #: US dollars over the calls whose price is known; `unpriced` counts the others
    cost: float
    unpriced: int


class ToolCallRecord(_Record):
    """A tool call a model made: `raw_arguments` holds arguments that were not a JSON
    object, as the model wrote them (`arguments` is then empty)."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str | None = None

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_none(handler(self), ("raw_arguments",))


class MessageRecord(_Record):
    """The tool fields are written only when set: on an assistant message that called
    tools (`tool_calls`), and on a `tool` message (`tool_call_id` and the tool's `name`)."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: list[ToolCallRecord] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dumped as the log holds it (the viewer's JSON): tool fields only when set."""
        return _without_none(handler(self), _TOOL_FIELDS)


_TOOL_FIELDS = ("tool_calls", "tool_call_id", "name")


def _without_none(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    for key in keys:
        if key in data and data[key] is None:
            del data[key]
    return data


class RetryRecord(_Record):
    """One failed attempt of a model call: its error, and the wait before the next attempt
    (None for the attempt after which the call gave up)."""

    error: str
    wait: float | None


class OutputRecord(_Record):
    """What the last model call of a sample returned."""

    model: str
    completion: str
    stop_reason: str
    usage: UsageRecord
    time: float
    retries: int
    #: served from the response cache (no request was made)
    cached: bool = False
    #: the failed attempts before this answer
    retry_log: list[RetryRecord] = Field(default_factory=list)
    #: the tools the model asked to call (written only when it called some)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if "tool_calls" in data and not data["tool_calls"]:
            del data["tool_calls"]
        return data


class ScoreRecord(_Record):
    value: str | int | float | bool
    answer: str | None = None
    explanation: str | None = None
    metadata: dict[str, Any] | None = None


class SampleError(_Record):
    """Why a sample failed. `kind` is `error`, `model` or `limit` (then `limit` names which)."""

    message: str
    kind: Literal["error", "model", "limit"]
    limit: str | None
    traceback: str | None
    #: the error could not have been avoided by any sample (bad key, unknown model)
    fatal: bool = False
    #: (logs before the attempts moved to the sample's `retries`)
    retry_log: list[RetryRecord] = Field(default_factory=list)


class LimitRecord(_Record):
    """The limit a sample hit: it was stopped there and scored on what it had."""

    kind: Literal["tokens", "messages", "time"]
    limit: float
    used: float
    message: str


#: why an agent's loop ended (see `TrajectoryRecord.end`)
TrajectoryEnd = Literal["submit", "no_tool_calls", "max_turns", "limit", "tool_error", "error"]


class TrajectoryStepRecord(_Record):
    """One step of an agent's loop: a model turn (`type: model`) or a tool call's outcome
    (`type: tool`). `step` counts from 1 in the order the steps happened."""

    step: int
    type: Literal["model", "tool"]
    turn: int
    time: float
    #: a model turn: what it said, the calls it asked for (only when it asked for some)
    completion: str | None = None
    tool_calls: list[ToolCallRecord] | None = None
    stop_reason: str | None = None
    usage: UsageRecord | None = None
    cached: bool | None = None
    #: a tool call: which, with what, and what came back (`error` set when it failed,
    #: `submitted` when it ended the trajectory with an answer)
    id: str | None = None
    name: str | None = None
    arguments: dict[str, Any] | None = None
    raw_arguments: str | None = None
    output: str | None = None
    error: str | None = None
    submitted: str | None = None

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        kept = ("error",) if data["type"] == "tool" else ()
        return {k: v for k, v in data.items() if v is not None or k in kept}


class TrajectoryRecord(_Record):
    """Every step an `agent` step took for a sample x epoch, and why its loop ended."""

    steps: list[TrajectoryStepRecord]
    #: model turns taken
    turns: int
    tool_calls: int
    tool_errors: int
    #: `submit`, `no_tool_calls`, `max_turns`, `limit` (the sample's `limit` says which),
    #: `tool_error` (`tool_errors: fail`) or `error` (the sample's `error` says what)
    end: TrajectoryEnd | None
    #: what the model submitted, if it did
    answer: str | None
    time: float


class EvalSample(_Record):
    """One sample x epoch, as run."""

    id: str | int
    epoch: int
    attempt: int
    input: str
    target: str | list[str]
    choices: list[str] | None
    metadata: dict[str, Any]
    messages: list[MessageRecord]
    output: OutputRecord | None
    answer: str | None
    scores: dict[str, ScoreRecord]
    error: SampleError | None
    #: the limit the sample hit (it is scored on its state there; None when it hit none)
    limit: LimitRecord | None = None
    #: errors of earlier attempts of this sample x epoch (`--retry-on-error`)
    errors: list[SampleError] = Field(default_factory=list)
    #: what solver steps kept (`TaskState.store`): a survey interview's answers
    #: (`store.survey`), a shuffled multiple choice's order
    store: dict[str, Any] = Field(default_factory=dict)
    #: every failed attempt of this sample's model calls, whether a retry then
    #: overcame it or the call gave up
    retries: list[RetryRecord]
    usage: UsageRecord
    started_at: float
    total_time: float
    #: an agent's steps (written only for samples an `agent` step ran)
    trajectory: TrajectoryRecord | None = None

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_none(handler(self), ("trajectory",))


class EvalHeader(_Record):
    """What ran: enough to run it again from the log alone."""

    run_id: str
    #: the identity of the evaluation: kept by every eval-retry of it
    eval_id: str
    created: str
    evalrun_version: str
    task: str
    task_file: str | None
    base_dir: str
    task_spec: dict[str, Any]
    model: str
    #: the provider model the alias `model` stood for (same as `model` without an alias)
    provider_model: str
    model_args: dict[str, Any]
    run_config: dict[str, Any]
    #: dataset rows (the dataset section holds exactly these) and epochs
    samples: int
    epochs: int
    #: sha256 of the dataset section's lines (see `log._base.DatasetDigest`): a reader
    #: tells a whole dataset from a cut or damaged one, and a retry can check a dataset
    #: it has to load again (absent in logs written before it was added)
    dataset_digest: str | None = None
    #: when the run started (seconds since the epoch): sample records that started before
    #: it were copied from the log it resumed
    started_at: float | None = None
    retry_of: str | None
    retries: int
    #: the log this one rescored (`evalrun score`): its outputs, scored again
    rescored_from: str | None = None
    job: str | None
    tags: list[str]
    metadata: dict[str, Any]


class EvalScore(_Record):
    scorer: str
    reducer: str
    samples: int
    metrics: dict[str, float | None]
    #: sample-epochs whose score could not be read (a grader's reply with no grade),
    #: scored as incorrect; 0 in logs written before it was counted
    unparsed: int = 0


class ThresholdResult(_Record):
    metric: str
    threshold: float
    value: float | None
    passed: bool
    #: `pass`, `fail`, or `not checked` (the run was not complete and successful); logs
    #: before it have only `passed`
    status: Literal["pass", "fail", "not checked"] | None = None


class EvalResults(_Record):
    """The run's outcome. The counts are samples x epochs, as `log._counts` defines them."""

    total_samples: int
    #: finished: scored + errored
    completed_samples: int
    scored_samples: int
    errored_samples: int
    #: scored at a limit they hit (part of `scored_samples`)
    limited_samples: int
    #: samples copied from the log this run resumed (eval-retry)
    reused_samples: int
    #: samples whose last model call came from the response cache
    cached_samples: int
    scores: list[EvalScore]
    thresholds: list[ThresholdResult]

    @model_validator(mode="before")
    @classmethod
    def _from_version_1(cls, data: Any) -> Any:
        """Version 1 logs counted only scored samples as `completed_samples`."""
        if isinstance(data, dict) and "scored_samples" not in data:
            data = dict(data)
            scored = data.get("completed_samples", 0)
            data.update(
                scored_samples=scored,
                completed_samples=scored + data.get("errored_samples", 0),
                limited_samples=0,
                cached_samples=0,
            )
        return data


class EvalStats(_Record):
    started_at: str
    completed_at: str
    duration: float
    usage: UsageRecord
    #: the run's cost in US dollars, or None when some call's price is unknown
    cost: float | None


class RunError(_Record):
    message: str
    traceback: str | None


class EvalLog(_Record):
    version: int = LOG_VERSION
    header: EvalHeader
    dataset: list[dict[str, Any]] = Field(default_factory=list)
    samples: list[EvalSample] = Field(default_factory=list)
    status: Status = "started"
    results: EvalResults | None = None
    stats: EvalStats | None = None
    error: RunError | None = None
    #: not stored in the file: what `read_log` could not read (parts, samples lost,
    #: dataset rows missing, duplicates), None when the log is whole
    damage: dict[str, Any] | None = None


def unknown_keys(record: BaseModel, where: str = "") -> list[str]:
    """Every key in a validated record (and the records inside it) that the schema does
    not define, as dotted paths: what the engine writes and the schema does not know."""
    found = [f"{where}{key}" for key in record.model_extra or {}]
    for name in type(record).model_fields:
        value = getattr(record, name)
        items = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value)
            if isinstance(value, list)
            else [("", value)]
        )
        for key, item in items:
            if isinstance(item, BaseModel):
                path = f"{where}{name}" + (f".{key}" if key != "" else "")
                found.extend(unknown_keys(item, path + "."))
    return found

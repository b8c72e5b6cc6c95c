"""The log schema: the source of truth for what a log holds (version 1).

The engine writes plain dicts shaped like these models (cheaper on the hot path);
readers validate with them. Both formats hold the same four parts: a header (what
ran, enough to run it again), the dataset as loaded, the samples as they finished,
and a summary written on close (status, results, stats, error). See `_eval.py` and
`_json.py` for how each lays them out. A log without a summary never finished: its
status reads as `started`.

Bump LOG_VERSION when a change would make older readers misread a log.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LOG_VERSION = 1
Status = Literal["started", "success", "error", "cancelled"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")


class UsageRecord(_Record):
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0
    #: US dollars over the calls whose price is known; `unpriced` counts the others
    cost: float = 0.0
    unpriced: int = 0


class ScoreRecord(_Record):
    value: str | int | float | bool
    answer: str | None = None
    explanation: str | None = None
    metadata: dict[str, Any] | None = None


class SampleError(_Record):
    """Why a sample failed. `kind` is `error`, `model` or `limit` (then `limit` names which)."""

    message: str
    kind: Literal["error", "model", "limit"] = "error"
    limit: str | None = None
    traceback: str | None = None
    #: the error could not have been avoided by any sample (bad key, unknown model)
    fatal: bool = False
    retry_log: list[dict[str, Any]] = Field(default_factory=list)


class EvalSample(_Record):
    """One sample x epoch, as run."""

    id: str | int
    epoch: int
    attempt: int = 1
    input: str
    target: str | list[str] = ""
    choices: list[str] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    output: dict[str, Any] | None = None
    answer: str | None = None
    scores: dict[str, ScoreRecord] = Field(default_factory=dict)
    error: SampleError | None = None
    #: errors of earlier attempts of this sample x epoch (`--retry-on-error`)
    errors: list[SampleError] = Field(default_factory=list)
    #: failed attempts behind this sample's model calls that a retry then overcame
    retries: list[dict[str, Any]] = Field(default_factory=list)
    usage: UsageRecord = Field(default_factory=UsageRecord)
    started_at: float
    total_time: float


class EvalHeader(_Record):
    """What ran: enough to run it again from the log alone."""

    run_id: str
    #: the identity of the evaluation: kept by every eval-retry of it
    eval_id: str | None = None
    created: str
    evalrun_version: str
    task: str
    task_file: str | None = None
    base_dir: str
    task_spec: dict[str, Any]
    model: str
    #: the provider model the alias `model` stood for (same as `model` without an alias)
    provider_model: str | None = None
    model_args: dict[str, Any] = Field(default_factory=dict)
    run_config: dict[str, Any]
    samples: int
    epochs: int
    retry_of: str | None = None
    retries: int = 0
    job: str | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class EvalScore(_Record):
    scorer: str
    reducer: str
    samples: int
    metrics: dict[str, float | None]


class ThresholdResult(_Record):
    metric: str
    threshold: float
    value: float | None
    passed: bool


class EvalResults(_Record):
    total_samples: int
    completed_samples: int
    errored_samples: int
    #: samples copied from the log this run resumed (eval-retry)
    reused_samples: int = 0
    scores: list[EvalScore] = Field(default_factory=list)
    thresholds: list[ThresholdResult] = Field(default_factory=list)


class EvalStats(_Record):
    started_at: str
    completed_at: str
    duration: float
    usage: UsageRecord = Field(default_factory=UsageRecord)
    #: the run's cost in US dollars, or None when some call's price is unknown
    cost: float | None = None


class RunError(_Record):
    message: str
    traceback: str | None = None


class EvalLog(_Record):
    version: int = LOG_VERSION
    header: EvalHeader
    dataset: list[dict[str, Any]] = Field(default_factory=list)
    samples: list[EvalSample] = Field(default_factory=list)
    status: Status = "started"
    results: EvalResults | None = None
    stats: EvalStats | None = None
    error: RunError | None = None

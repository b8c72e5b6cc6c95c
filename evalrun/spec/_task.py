"""The schema of task files (docs/task-format.md), as pydantic models.

These models check shapes and types; names of steps, scorers, metrics and reducers
and their arguments are checked against the registry when the task is built
(`evalrun.spec._build`), with the same file:line:col reporting.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from evalrun.config import parse_fail_on_error
from evalrun.model import GenerateConfig
from evalrun.strict import StrictModel
from evalrun.tools import ToolDeclaration

#: a registry component as YAML writes it: `exact` or `{match: {location: end}}`
Component = str | dict[str, Any]

SAMPLE_VARIABLES = frozenset({"input", "target", "choices", "id", "metadata"})


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


#: a list that YAML may write as one string (`tags: smoke`)
Names = Annotated[list[str], BeforeValidator(_one_or_many)]
#: `fail_on_error`: true, false, a share (0.1) or a count (5)
FailOnError = Annotated[bool | float, BeforeValidator(parse_fail_on_error)]


def _component(value: Any) -> Any:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value)), str):
        return value
    raise ValueError(
        "each entry must be a name (`exact`) or a mapping with one name (`match: {...}`)"
    )


class FieldsSpec(StrictModel):
    """Which dataset columns feed which sample fields."""

    input: str | None = None
    target: str | None = None
    id: str | None = None
    choices: str | list[str] | None = None
    metadata: list[str] = Field(default_factory=list)

    @field_validator("metadata", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class InterviewsSpec(StrictModel):
    """A survey's interviews: every agent with every scenario (inline rows or a data file
    each; see `evalrun.dataset.interview_samples`). Written by the survey loader."""

    agents: list[dict[str, Any]] | dict[str, Any] | None = None
    scenarios: list[dict[str, Any]] | dict[str, Any] | None = None


class DatasetSpec(StrictModel):
    path: str | None = None
    format: Literal["jsonl", "json", "csv"] | None = None
    samples: list[dict[str, Any]] | None = None
    interviews: InterviewsSpec | None = None
    fields: FieldsSpec = Field(default_factory=FieldsSpec)
    shuffle: bool = False
    seed: int | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        given = [x for x in (self.path, self.samples, self.interviews) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `path` (a data file) or `samples` (inline rows)")
        if self.samples is not None and not self.samples:
            raise ValueError("`samples` is empty")
        return self


class EpochsSpec(StrictModel):
    count: int = Field(default=1, ge=1)
    reducer: list[str] = Field(default_factory=lambda: ["mean"], min_length=1)

    @field_validator("reducer", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class LimitsSpec(StrictModel):
    """Per-sample limits; a sample past one ends with an error of that kind."""

    messages: int | None = Field(default=None, gt=0)
    tokens: int | None = Field(default=None, gt=0)
    time: float | None = Field(default=None, gt=0)


class TaskSpec(StrictModel):
    """One task, as written (and, once resolved, as recorded in the log)."""

    name: str | None = None
    description: str | None = None
    version: int | str = 1
    tags: Names = Field(default_factory=list)
    args: dict[str, Any] = Field(default_factory=dict)
    dataset: DatasetSpec
    solver: list[Component] = Field(default_factory=lambda: list[Component]([{"generate": {}}]))
    scorer: list[Component] = Field(default_factory=list)
    #: tools a model may call (`calculator`, `{python: "module:function"}`), checked and
    #: built at load time into `Task.tools`, offered by `agent` steps. None, not [], when
    #: absent, so that logs and eval-set unit keys of tasks without tools are unchanged.
    tools: list[ToolDeclaration] | None = None
    metrics: list[Component] | dict[str, list[Component]] | None = None
    epochs: EpochsSpec = Field(default_factory=EpochsSpec)
    model: str | None = None
    #: several default models (a survey's `models:`); `model` is the usual single one
    models: Names = Field(default_factory=list)
    model_args: dict[str, Any] = Field(default_factory=dict)
    config: GenerateConfig = Field(default_factory=GenerateConfig)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    thresholds: dict[str, float] = Field(default_factory=dict)
    fail_on_error: FailOnError = True
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("solver", "scorer", mode="before")
    @classmethod
    def _components(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        return [_component(v) for v in items]

    @field_validator("metrics", mode="before")
    @classmethod
    def _metric_components(cls, value: Any) -> Any:
        if isinstance(value, dict):  # per scorer: {match: [accuracy], f1: [mean, std]}
            return {
                k: [_component(v) for v in (vs if isinstance(vs, list) else [vs])]
                for k, vs in value.items()
            }
        items = value if isinstance(value, list) else [value]
        return [_component(v) for v in items]

    @field_validator("epochs", mode="before")
    @classmethod
    def _epochs_number(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"count": value}
        if not isinstance(value, dict):
            raise ValueError("epochs must be a count (`epochs: 3`) or `{count: 3, reducer: mean}`")
        return value

    @field_validator("args")
    @classmethod
    def _args_do_not_shadow(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(SAMPLE_VARIABLES & set(value))
        if clash:
            raise ValueError(f"task argument `{clash[0]}` would hide the sample field of that name")
        return value


class TaskFile(StrictModel):
    """A file holding several tasks under `tasks:`."""

    tasks: list[dict[str, Any]] = Field(min_length=1)

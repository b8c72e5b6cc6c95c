"""The schema of survey files (docs/survey-format.md), as pydantic models.

A survey file is checked here for its shape; its questions and rules are checked again,
in depth, when the `interview` step is built from them (types, options, placeholders,
rule expressions), with the same file:line:col reporting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evalrun.model import GenerateConfig
from evalrun.registry import check_label
from evalrun.spec._task import FailOnError, LimitsSpec, Names
from evalrun.strict import StrictModel

MemoryMode = Literal["none", "full", "last"]


class QuestionSpec(BaseModel):
    """A question: the keys every type takes. A type's own keys (`options`, `scale`, ...)
    are kept as extras and checked by the type's registry entry (`_check.py`)."""

    model_config = ConfigDict(extra="allow")
    name: str
    type: str
    text: str
    instructions: str | None = None
    answer_retries: int | None = Field(default=None, ge=0, le=20)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        check_label(value)
        return value


class JumpSpec(StrictModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str


class RuleSpec(StrictModel):
    """`skip: q`, `stop_after: q` or `jump: {from: q, to: r}`, with `if: EXPRESSION`."""

    skip: str | None = None
    stop_after: str | None = None
    jump: JumpSpec | None = None
    if_: str = Field(alias="if")

    @model_validator(mode="after")
    def _one_kind(self) -> RuleSpec:
        if sum(x is not None for x in (self.skip, self.stop_after, self.jump)) != 1:
            raise ValueError("a rule has exactly one of `skip`, `stop_after` or `jump`")
        return self


class AgentSpec(StrictModel):
    name: str | None = None
    traits: dict[str, Any] = Field(default_factory=dict)


class FileSpec(StrictModel):
    """Rows from a data file: `{path: agents.csv}` (.csv, .jsonl, .json)."""

    path: str
    format: Literal["jsonl", "json", "csv"] | None = None


class SurveySpec(StrictModel):
    kind: Literal["survey"]
    name: str | None = None
    description: str | None = None
    version: int | str = 1
    tags: Names = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    questions: list[dict[str, Any]] = Field(min_length=1)
    rules: list[dict[str, Any]] = Field(default_factory=list)
    memory: MemoryMode | dict[str, list[str]] = "none"
    agents: list[AgentSpec] | FileSpec | None = None
    agent_instruction: str | None = None
    scenarios: list[dict[str, Any]] | FileSpec | None = None
    models: Names = Field(default_factory=list)
    model_args: dict[str, Any] = Field(default_factory=dict)
    config: GenerateConfig = Field(default_factory=GenerateConfig)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    iterations: int = Field(default=1, ge=1)
    answer_retries: int = Field(default=2, ge=0, le=20)
    thresholds: dict[str, float] = Field(default_factory=dict)
    fail_on_error: FailOnError = True

    @field_validator("questions", mode="before")
    @classmethod
    def _some_questions(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("a survey needs at least one question")
        return value

    @field_validator("agents", "scenarios")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("is empty: give at least one, or leave the key out")
        return value

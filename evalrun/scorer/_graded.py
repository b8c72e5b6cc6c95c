"""Model-graded scorers: a grader model judges the answer (`model_graded_qa`, `model_graded_fact`).

The grader is the model under test unless `grader` names another: a `provider/name` or
an alias of the models file, or a mapping `{model: ..., model_args: {...}, config: {...}}`
(generation settings over the grading default, temperature 0). Its calls go through the
same model pool as everything else, so they share connection limits, retries, the
response cache, and count in the sample's usage.

Every score records what the grader was asked and answered (`metadata.grader`: model,
prompt, reply). A reply with no valid `GRADE: X` scores "I" (0 in every metric, so it
cannot raise a score) and is marked `metadata.unparsed`; results count them per scorer.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from evalrun.model import ChatMessage, GenerateConfig, Model, ModelPool, resolve_path_args
from evalrun.registry import Arguments, BuildContext, register
from evalrun.scorer._score import Score
from evalrun.scorer._scorers import CORRECTNESS, Scorer
from evalrun.solver import TaskState

QA_TEMPLATE = """\
You are assessing a submitted answer on a given task based on a criterion. Here is the data:

[BEGIN DATA]
***
[Task]: {{ question }}
***
[Submission]: {{ answer }}
***
[Criterion]: {{ criterion }}
***
[END DATA]

Does the submission meet the criterion?

{{ instructions }}"""

FACT_TEMPLATE = """\
You are comparing a submitted answer to an expert answer on a given question. Here is the data:

[BEGIN DATA]
************
[Question]: {{ question }}
************
[Expert]: {{ criterion }}
************
[Submission]: {{ answer }}
************
[END DATA]

Compare the factual content of the submitted answer with the expert answer. Ignore any \
differences in style, grammar, or punctuation.

Does the submission contain the content in the expert answer?

{{ instructions }}"""


def default_instructions(partial_credit: bool) -> str:
    letters = "C, P, I" if partial_credit else "C, I"
    partial = ', "P" for partially correct answers,' if partial_credit else ""
    return (
        f"After assessing the submitted answer, reply with 'GRADE: $LETTER' (without quotes) where LETTER "
        f'is one of {letters}. Please choose ONE option for the grade: either "C" for correct answers{partial} '
        'or "I" for incorrect answers.\n\nFirst, write out in a step by step manner your reasoning about the '
        "criterion to be sure that your conclusion is correct. Avoid simply stating the correct answers at the "
        f"outset. Then, end with your answer formatted as 'GRADE: $LETTER' (without quotes) where LETTER is one of {letters}."
    )


_GRADE = re.compile(r"GRADE\s*:\s*\**\s*([CPI])\b", re.IGNORECASE)
_EXTRA = {"question", "answer", "criterion", "instructions"}

#: the grading settings unless the grader's `config` says otherwise
_GRADING = GenerateConfig(temperature=0.0)


class Grader(Arguments):
    """`grader: {model: NAME, model_args: {...}, config: {...}}`, or just `grader: NAME`."""

    #: a `provider/name` or an alias of the models file
    model: str = Field(min_length=1)
    #: provider options over the alias's; relative paths resolve against the task's folder
    model_args: dict[str, Any] = Field(default_factory=dict)
    #: generation settings over the grading default (temperature 0)
    config: GenerateConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _name_or_mapping(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"model": data}
        if not isinstance(data, dict | Grader):
            raise ValueError(
                "grader must be a model name (`provider/name` or an alias) or a mapping "
                "`{model: ..., model_args: {...}, config: {...}}`"
            )
        return data


def _graded(
    ctx: BuildContext,
    source: str,
    instructions: str | None,
    spec: Grader | None,
    partial_credit: bool,
) -> Scorer:
    template = ctx.template(source, "template", extra=_EXTRA)
    guidance = instructions if instructions is not None else default_instructions(partial_credit)
    allowed = ("C", "P", "I") if partial_credit else ("C", "I")
    config = _GRADING.merged(spec.config if spec else None)
    base_dir = ctx.base_dir
    made: list[tuple[ModelPool, Model]] = []  # the grader, once per model pool

    def make_grader(pool: ModelPool) -> Model:
        assert spec is not None
        provider, alias_args = pool.resolve(spec.model)
        args = {**alias_args, **resolve_path_args(provider, spec.model_args, base_dir)}
        return pool.get(provider, args)

    def grader_model(state: TaskState) -> Model:
        if spec is None:
            return state.model
        pool = state.models
        if made and made[0][0] is pool:
            return made[0][1]
        model = make_grader(pool)
        made[:] = [(pool, model)]
        return model

    if spec is not None:
        ctx.need_model(make_grader, "grader")

    async def score(state: TaskState) -> Score:
        variables: dict[str, Any] = state.template_vars()
        variables.update(
            question=state.sample.input,
            answer=state.completion,
            criterion=" OR ".join(state.sample.targets),
            instructions=guidance,
        )
        prompt = template.render(variables)
        model = grader_model(state)
        output = await model.generate([ChatMessage("user", prompt)], config)
        state.charge(output)
        reply = output.completion
        record = {"model": model.name, "prompt": prompt, "reply": reply}
        grades = _GRADE.findall(reply)
        grade: str | None = grades[-1].upper() if grades else None
        if grade is not None and grade in allowed:
            return Score(grade, state.completion, reply, {"grader": record})
        expected = f"`GRADE: X` with X one of {', '.join(allowed)}"
        explanation = (
            f"no grade found in the grader's reply (expected {expected}); scored I"
            if grade is None
            else f"the grader's grade `{grade}` is not allowed (expected {expected}); scored I"
        )
        return Score("I", state.completion, explanation, {"grader": record, "unparsed": True})

    return score


@register("scorer", "model_graded_qa", metrics=CORRECTNESS)
def model_graded_qa(
    ctx: BuildContext,
    template: str = QA_TEMPLATE,
    instructions: str | None = None,
    grader: Grader | None = None,
    partial_credit: bool = False,
) -> Scorer:
    """A grader model decides whether the answer meets the target as a criterion."""
    return _graded(ctx, template, instructions, grader, partial_credit)


@register("scorer", "model_graded_fact", metrics=CORRECTNESS)
def model_graded_fact(
    ctx: BuildContext,
    template: str = FACT_TEMPLATE,
    instructions: str | None = None,
    grader: Grader | None = None,
    partial_credit: bool = False,
) -> Scorer:
    """A grader model decides whether the answer contains the facts of the target."""
    return _graded(ctx, template, instructions, grader, partial_credit)

"""Model-graded scorers: a grader model judges the answer (`model_graded_qa`, `model_graded_fact`).

The grader is the model under test unless `grader` names another (a `provider/name` or
an alias). Its calls go through the same model pool as everything else, so they share
connection limits, retries, the response cache, and count in the sample's usage.
"""

from __future__ import annotations

import re
from typing import Any

from evalrun.model import ChatMessage, GenerateConfig
from evalrun.registry import BuildContext, register
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


def _graded(
    ctx: BuildContext,
    source: str,
    instructions: str | None,
    grader: str | None,
    partial_credit: bool,
) -> Scorer:
    template = ctx.template(source, "template", extra=_EXTRA)
    guidance = instructions if instructions is not None else default_instructions(partial_credit)
    allowed = {"C", "P", "I"} if partial_credit else {"C", "I"}

    async def score(state: TaskState) -> Score:
        variables: dict[str, Any] = state.template_vars()
        variables.update(
            question=state.sample.input,
            answer=state.completion,
            criterion=" OR ".join(state.sample.targets),
            instructions=guidance,
        )
        model = state.models.get(grader) if grader else state.model
        output = await model.generate([ChatMessage("user", template.render(variables))], _GRADING)
        state.charge(output)
        grades = _GRADE.findall(output.completion)
        grade = grades[-1].upper() if grades else None
        if grade not in allowed:
            return Score(
                "I", state.completion, f"no valid grade in the grader's answer: {output.completion}"
            )
        return Score(grade, state.completion, output.completion)

    return score


_GRADING = GenerateConfig(temperature=0.0)


@register("scorer", "model_graded_qa", metrics=CORRECTNESS)
def model_graded_qa(
    ctx: BuildContext,
    template: str = QA_TEMPLATE,
    instructions: str | None = None,
    grader: str | None = None,
    partial_credit: bool = False,
) -> Scorer:
    """A grader model decides whether the answer meets the target as a criterion."""
    return _graded(ctx, template, instructions, grader, partial_credit)


@register("scorer", "model_graded_fact", metrics=CORRECTNESS)
def model_graded_fact(
    ctx: BuildContext,
    template: str = FACT_TEMPLATE,
    instructions: str | None = None,
    grader: str | None = None,
    partial_credit: bool = False,
) -> Scorer:
    """A grader model decides whether the answer contains the facts of the target."""
    return _graded(ctx, template, instructions, grader, partial_credit)

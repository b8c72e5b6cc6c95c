"""Built-in solver steps, registered by the names task files use."""

from __future__ import annotations

import inspect
import random
from typing import Any

from evalrun.model import ChatMessage, GenerateConfig
from evalrun.registry import BuildContext, register
from evalrun.solver._choices import letters, parse_letters, render_choices
from evalrun.solver._state import Step, TaskState

MULTIPLE_CHOICE_TEMPLATE = """\
Answer the following multiple choice question. The entire content of your response \
should be of the following format: 'ANSWER: $LETTER' (without quotes) where LETTER is \
one of {{ letters }}.

{{ question }}

{{ choices }}"""

MULTIPLE_CORRECT_TEMPLATE = """\
Answer the following multiple choice question where multiple answers may be correct. \
The entire content of your response should be of the following format: \
'ANSWER: $LETTERS' (without quotes) where LETTERS is one or more of {{ letters }}.

{{ question }}

{{ choices }}"""

CHAIN_OF_THOUGHT_TEMPLATE = """\
{{ prompt }}

Before answering, reason in a step-by-step manner as to get the right answer. Provide \
your answer at the end on its own line in the form "ANSWER: $ANSWER" (without quotes) \
where $ANSWER is the answer to the question."""

CRITIQUE_TEMPLATE = """\
Given the following question and answer, please critique the answer. A good answer \
comprehensively answers the question and NEVER refuses to answer. If the answer is \
already correct do not provide critique - simply respond 'The original answer is fully \
correct'.

[BEGIN DATA]
***
[Question]: {{ question }}
***
[Answer]: {{ completion }}
***
[END DATA]

Critique: """

COMPLETION_TEMPLATE = """\
Given the following question, initial answer and critique please generate an improved \
answer to the question:

[BEGIN DATA]
***
[Question]: {{ question }}
***
[Answer]: {{ completion }}
***
[Critique]: {{ critique }}
***
[END DATA]

If the original answer is already correct, just repeat the original answer exactly. \
Provide your answer at the end on its own line in the form "ANSWER: $ANSWER" (without \
quotes) where $ANSWER is the answer to the question."""


@register("solver", "system_message")
def system_message(ctx: BuildContext, template: str) -> Step:
    """Add a system message (after any existing ones)."""
    compiled = ctx.template(template, "template")

    async def step(state: TaskState) -> None:
        text = compiled.render(state.template_vars())
        position = sum(1 for m in state.messages if m.role == "system")
        state.messages.insert(position, ChatMessage("system", text))
        state._check_messages(len(state.messages))

    return step


@register("solver", "user_message")
def user_message(ctx: BuildContext, template: str) -> Step:
    """Append a user message."""
    compiled = ctx.template(template, "template")

    async def step(state: TaskState) -> None:
        state.add_message(ChatMessage("user", compiled.render(state.template_vars())))

    return step


@register("solver", "prompt_template")
def prompt_template(ctx: BuildContext, template: str) -> Step:
    """Rewrite the current user prompt; `{{ prompt }}` is the text it replaces."""
    compiled = ctx.template(template, "template", extra={"prompt"})

    async def step(state: TaskState) -> None:
        state.prompt = compiled.render(state.template_vars())

    return step


@register("solver", "generate")
def generate(config: GenerateConfig | None = None) -> Step:
    """Call the model. Settings given here override the task's and the command line's."""
    if config is None:  # the usual case: `state.generate` itself, one coroutine less
        return TaskState.generate  # type: ignore[return-value]

    async def step(state: TaskState) -> None:
        await state.generate(config)

    return step


@register("solver", "chain_of_thought")
def chain_of_thought(ctx: BuildContext, template: str = CHAIN_OF_THOUGHT_TEMPLATE) -> Step:
    """Ask for step-by-step reasoning before an `ANSWER:` line."""
    compiled = ctx.template(template, "template", extra={"prompt"})

    async def step(state: TaskState) -> None:
        state.prompt = compiled.render(state.template_vars())

    return step


@register("solver", "multiple_choice")
def multiple_choice(
    ctx: BuildContext,
    template: str | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    multiple_correct: bool = False,
    config: GenerateConfig | None = None,
) -> Step:
    """Render lettered choices, call the model, read the letter and map it back.

    With `shuffle`, each sample x epoch sees its own order (seeded, so reruns agree);
    `state.answer` holds the letter(s) in the dataset's original order.
    """
    source = template or (
        MULTIPLE_CORRECT_TEMPLATE if multiple_correct else MULTIPLE_CHOICE_TEMPLATE
    )
    compiled = ctx.template(source, "template", extra={"question", "letters", "prompt"})
    base_seed = seed if seed is not None else (ctx.seed or 0)
    ctx.require(_has_choices)

    async def step(state: TaskState) -> None:
        choices = state.sample.choices or []
        order = list(range(len(choices)))
        if shuffle:
            random.Random(f"{base_seed}:{state.sample.id}:{state.epoch}").shuffle(order)
        shown = [choices[i] for i in order]
        variables = state.template_vars()
        variables.update(
            question=state.prompt,
            choices=render_choices(shown),
            letters=", ".join(letters(len(shown))),
        )
        state.prompt = compiled.render(variables)
        output = await state.generate(config)
        picked = parse_letters(output.completion, len(shown), multiple=multiple_correct)
        original = sorted(letters(len(choices))[order[ord(c) - 65]] for c in picked)
        state.answer = ",".join(original) if original else None
        state.store["choice_order"] = order

    return step


def _has_choices(sample: Any) -> str | None:
    if sample.choices:
        return None
    return "has no choices for multiple_choice (map a column with dataset.fields.choices)"


@register("solver", "self_critique")
def self_critique(
    ctx: BuildContext,
    critique_template: str = CRITIQUE_TEMPLATE,
    completion_template: str = COMPLETION_TEMPLATE,
    model: str | None = None,
) -> Step:
    """Have a model critique the last answer, then ask for an improved one."""
    extra = {"question", "completion", "critique", "prompt"}
    critique_t = ctx.template(critique_template, "critique_template", extra=extra)
    completion_t = ctx.template(completion_template, "completion_template", extra=extra)

    async def step(state: TaskState) -> None:
        if state.output is None:
            await state.generate()
        question = next((m.content for m in state.messages if m.role == "user"), "")
        variables = state.template_vars()
        variables.update(question=question, completion=state.completion, critique="")
        critic = state.models.get(model) if model else state.model
        critique = await critic.generate(
            [ChatMessage("user", critique_t.render(variables))], state.config
        )
        state.charge(critique)
        variables["critique"] = critique.completion
        state.add_message(ChatMessage("user", completion_t.render(variables)))
        await state.generate()

    return step


@register("solver", "python", named=True)
def python_step(ctx: BuildContext, function: str, args: dict[str, Any] | None = None) -> Step:
    """User code: `def step(state, **args)`, sync or async; it may `await state.generate()`."""
    user_function = ctx.import_function(function, "function")
    kwargs = args or {}
    is_async = inspect.iscoroutinefunction(user_function)

    async def step(state: TaskState) -> None:
        result = user_function(state, **kwargs)
        if is_async or inspect.isawaitable(result):
            await result

    return step

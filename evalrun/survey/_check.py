"""Check a survey's questions, rules and memory, and plan its interviews.

Every mistake is found here, when the task is built, at its line and column in the
survey file: duplicate or invalid question names, unknown types and their fields (the
type's registry entry checks them), placeholders that name nothing or a later question,
rules that name unknown questions, jump backwards or read answers not yet given, and
memory that names later questions. Values of scenarios and agents that placeholders and
rules read are checked against every interview before the first model call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from evalrun.errors import InputError, Location
from evalrun.expr import ExprError, Expression, parse
from evalrun.registry import BuildContext, Requirement, lookup
from evalrun.strict import suggest
from evalrun.survey._model import Question, Rule, Survey
from evalrun.survey._spec import QuestionSpec, RuleSpec
from evalrun.template import Template

MemorySpec = Literal["none", "full", "last"] | dict[str, list[str]]
#: what templates and rules may read besides questions and scenario values
_ROOTS = ("scenario", "agent")
_COMMON_KEYS = set(QuestionSpec.model_fields)


@dataclass(eq=False)
class QuestionPlan:
    """A question ready to ask: its type, its templates, and what it waits for."""

    name: str
    index: int
    type: Any
    text: Template
    instructions: Template | str
    retries: int
    memory: tuple[str, ...] = ()
    pipes: tuple[str, ...] = ()
    #: conditions that skip it
    skip_if: list[Expression] = field(default_factory=list)
    #: rules evaluated once it is answered: (kind, condition, jump target, target index)
    then: list[tuple[str, Expression, str, int]] = field(default_factory=list)
    #: questions that must be answered (or skipped) before it is asked
    waits_for: set[str] = field(default_factory=set)

    def prompt(self, variables: Mapping[str, Any]) -> str:
        text = self.text.render(variables)
        instructions = self.instructions
        if not isinstance(instructions, str):
            instructions = instructions.render(variables)
        return f"{text}\n\n{instructions}"


@dataclass
class Plan:
    """A checked survey: its questions in order, cut into batches asked one after the
    other (the questions of a batch concurrently), and the survey as `survey flow` and
    `results` read it."""

    questions: list[QuestionPlan]
    batches: list[list[QuestionPlan]]
    survey: Survey


def plan_survey(
    ctx: BuildContext,
    questions: list[QuestionSpec],
    rules: list[RuleSpec],
    memory: MemorySpec,
    answer_retries: int,
) -> Plan:
    """Check everything about a survey's questions, rules and memory, and plan it."""
    names = _check_names(ctx, questions)
    plans = [_question(ctx, i, spec, names, answer_retries) for i, spec in enumerate(questions)]
    by_name = {p.name: p for p in plans}
    _apply_memory(ctx, memory, plans, by_name)
    built_rules = [_rule(ctx, i, rule, by_name) for i, rule in enumerate(rules)]
    _require_values(ctx, plans, built_rules)
    for plan in plans:
        plan.waits_for |= set(plan.pipes) | set(plan.memory)
    for rule in built_rules:
        target = by_name[rule.question]
        if rule.kind == "skip":
            target.skip_if.append(rule.condition)
            target.waits_for |= set(rule.reads)
            continue
        to = by_name[rule.to].index if rule.to else len(plans)
        target.then.append((rule.kind, rule.condition, rule.to or "", to))
        for later in plans[target.index + 1 : to if rule.kind == "jump" else len(plans)]:
            later.waits_for |= {target.name, *rule.reads}
    survey = Survey(
        "",
        tuple(
            Question(
                p.name,
                questions[p.index].type,
                questions[p.index].text,
                p.pipes,
                p.memory,
                tuple(p.type.options) if p.type.options is not None else None,
                p.type.summary,
            )
            for p in plans
        ),
        tuple(built_rules),
    )
    return Plan(plans, _batches(plans), survey)


def _batches(plans: list[QuestionPlan]) -> list[list[QuestionPlan]]:
    """Questions in order, cut wherever one waits for a question of the current batch."""
    batches: list[list[QuestionPlan]] = []
    current: list[QuestionPlan] = []
    names: set[str] = set()
    for plan in plans:
        if plan.waits_for & names:
            batches.append(current)
            current, names = [], set()
        current.append(plan)
        names.add(plan.name)
    if current:
        batches.append(current)
    return batches


def _check_names(ctx: BuildContext, questions: list[QuestionSpec]) -> dict[str, int]:
    names: dict[str, int] = {}
    for i, spec in enumerate(questions):
        if spec.name.startswith("_"):
            raise InputError(
                f"question name `{spec.name}` starts with `_`, which rules cannot read",
                ctx.location("questions", i, "name"),
            )
        if spec.name in _ROOTS:
            raise InputError(
                f"`{spec.name}` cannot name a question: templates and rules use it for the "
                f"{spec.name}'s values",
                ctx.location("questions", i, "name"),
            )
        if spec.name in names:
            raise InputError(
                f"question name `{spec.name}` is used twice (first by question "
                f"{names[spec.name] + 1})",
                ctx.location("questions", i, "name"),
            )
        names[spec.name] = i
    return names


def _question(
    ctx: BuildContext, i: int, spec: QuestionSpec, names: dict[str, int], default_retries: int
) -> QuestionPlan:
    where = ("questions", i)
    try:
        entry = lookup("question", spec.type)
    except InputError as exc:
        message = exc.message.replace("unknown question", "unknown question type", 1)
        raise InputError(message, ctx.location(*where, "type")) from None
    extra = dict(spec.model_extra or {})
    allowed = _COMMON_KEYS | set(entry.params.model_fields)
    for key in extra:
        if key not in allowed:
            raise InputError(
                f"unknown key `{key}` for a {spec.type} question{suggest(str(key), allowed)} "
                f"(allowed: {', '.join(sorted(allowed))})",
                ctx.key_location(*where, key),
            )
    try:
        args = entry.arguments(extra)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [p for p in error["loc"] if p != "__root__"]
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = f"a {spec.type} question needs `{loc[-1]}`"
            loc = []
        elif loc:
            message = f"{'.'.join(map(str, loc))}: {message}"
        raise InputError(message, ctx.location(*where, *loc)) from None
    built = entry.factory(ctx.at(*where), **args) if entry.takes_context else entry.factory(**args)
    text = _template(ctx, spec.text, (*where, "text"), spec.name, names)
    instructions: Template | str = built.instructions
    if spec.instructions is not None:
        instructions = _template(ctx, spec.instructions, (*where, "instructions"), spec.name, names)
    pipes = tuple(
        dict.fromkeys(
            n
            for t in (text, instructions)
            if isinstance(t, Template)
            for n in sorted(t.names)
            if n in names
        )
    )
    retries = spec.answer_retries if spec.answer_retries is not None else default_retries
    return QuestionPlan(spec.name, i, built, text, instructions, retries, pipes=pipes)


def _template(
    ctx: BuildContext, text: str, where: tuple[str | int, ...], owner: str, names: dict[str, int]
) -> Template:
    """Compile a question's text or instructions: placeholders that name a question must
    name an earlier one, and read its `answer` or `comment`."""
    location = ctx.location(*where)
    compiled = Template(text, None, location, ctx.max_chars)
    own = names[owner]
    for name, uses in compiled.uses().items():
        if name not in names:
            piped = "answer" if "answer" in uses else "comment" if "comment" in uses else None
            if piped and name not in _ROOTS:
                earlier = {n for n, i in names.items() if i < own}
                raise InputError(
                    f"placeholder `{name}.{piped}`: no earlier "
                    f"question named `{name}`{suggest(name, earlier)} (earlier questions: "
                    f"{', '.join(sorted(earlier, key=names.__getitem__)) or 'none'})",
                    location,
                )
            continue
        if names[name] >= own:
            which = "this question itself" if name == owner else "a later question"
            raise InputError(
                f"placeholder `{name}` names {which}: a question can only pipe in answers "
                "given before it",
                location,
            )
        bad = sorted(str(u) for u in uses if u not in ("answer", "comment"))
        if bad or None in uses:
            shown = f"{name}.{bad[0]}" if bad and bad[0] != "None" else name
            raise InputError(
                f"placeholder `{shown}`: pipe in `{{{{ {name}.answer }}}}` or "
                f"`{{{{ {name}.comment }}}}`",
                location,
            )
    ctx.templates.append(compiled)
    return compiled


def _apply_memory(
    ctx: BuildContext,
    memory: MemorySpec,
    plans: list[QuestionPlan],
    by_name: dict[str, QuestionPlan],
) -> None:
    if memory == "full":
        for plan in plans:
            plan.memory = tuple(p.name for p in plans[: plan.index])
    elif memory == "last":
        for plan in plans[1:]:
            plan.memory = (plans[plan.index - 1].name,)
    elif isinstance(memory, dict):
        for name, earlier in memory.items():
            if name not in by_name:
                raise InputError(
                    f"memory: no question named `{name}`{suggest(name, set(by_name))}",
                    ctx.location("memory", name),
                )
            plan = by_name[name]
            for j, other in enumerate(earlier):
                if other not in by_name:
                    raise InputError(
                        f"memory of `{name}`: no question named `{other}`"
                        f"{suggest(other, set(by_name))}",
                        ctx.location("memory", name, j),
                    )
                if by_name[other].index >= plan.index:
                    raise InputError(
                        f"memory of `{name}` names `{other}`, which is not asked before it",
                        ctx.location("memory", name, j),
                    )
            plan.memory = tuple(dict.fromkeys(earlier))


def _rule(ctx: BuildContext, i: int, spec: RuleSpec, by_name: dict[str, QuestionPlan]) -> Rule:
    where = ("rules", i)

    def known(name: str, *key: str) -> QuestionPlan:
        if name not in by_name:
            raise InputError(
                f"rule: no question named `{name}`{suggest(name, set(by_name))}",
                ctx.location(*where, *key),
            )
        return by_name[name]

    if spec.skip is not None:
        kind, target, to = "skip", known(spec.skip, "skip"), None
    elif spec.stop_after is not None:
        kind, target, to = "stop_after", known(spec.stop_after, "stop_after"), None
    else:
        assert spec.jump is not None
        kind = "jump"
        target = known(spec.jump.from_, "jump", "from")
        to = known(spec.jump.to, "jump", "to")
        if to.index <= target.index:
            raise InputError(
                f"jump from `{target.name}` to `{to.name}` goes "
                f"{'nowhere' if to is target else 'backwards'}: a jump can only skip ahead",
                ctx.location(*where, "jump", "to"),
            )
    condition = _expression(ctx, spec.if_, (*where, "if"))
    reads: list[str] = []
    for reference in condition.references:
        root = reference.path[0]
        if root in _ROOTS:
            if len(reference.path) != 2:
                raise _at(ctx, (*where, "if"), spec.if_, reference.offset,
                          f"write `{root}.<name>` to read one of the {root}'s values")  # fmt: skip
            continue
        if root not in by_name:
            known_names = set(by_name) | set(_ROOTS)
            raise _at(
                ctx, (*where, "if"), spec.if_, reference.offset,
                f"unknown name `{root}`{suggest(root, known_names)} (a rule reads answers by "
                "question name, and `scenario.<key>`, `agent.<trait>`)",
            )  # fmt: skip
        if len(reference.path) > 1:
            raise _at(ctx, (*where, "if"), spec.if_, reference.offset,
                      f"a rule reads an answer by its question's name: `{root}`, not "
                      f"`{'.'.join(reference.path)}`")  # fmt: skip
        read = by_name[root]
        limit = target.index if kind != "skip" else target.index - 1
        if read.index > limit:
            when = "before it is asked" if kind == "skip" else "by then"
            raise _at(ctx, (*where, "if"), spec.if_, reference.offset,
                      f"a cycle: the rule reads `{root}` to decide about `{target.name}`, and "
                      f"`{root}` is not answered {when} (a rule reads only earlier answers)")  # fmt: skip
        reads.append(root)
    return Rule(
        kind,  # type: ignore[arg-type]
        target.name,
        to.name if to else None,
        condition,
        tuple(dict.fromkeys(reads)),
    )


def _expression(ctx: BuildContext, text: str, where: tuple[str | int, ...]) -> Expression:
    try:
        return parse(text)
    except ExprError as exc:
        raise _at(ctx, where, text, exc.offset, exc.message) from None


def _at(
    ctx: BuildContext, where: tuple[str | int, ...], text: str, offset: int, message: str
) -> InputError:
    """An error at character `offset` of an expression written at `where`."""
    location = ctx.location(*where)
    if location is None or location.line is None or location.col is None:
        return InputError(f"{message} (at character {offset + 1} of the expression)", location)
    return InputError(message, _shift(location, text, offset))


def _shift(location: Location, text: str, offset: int) -> Location:
    """The location of character `offset` of a one-line scalar starting at `location`
    (past its opening quote, when it is quoted)."""
    assert location.line is not None and location.col is not None
    col = location.col
    try:
        line = Path(location.path).read_text(encoding="utf-8").splitlines()[location.line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        line = ""
    quoted = col - 1 < len(line) and line[col - 1] in "'\""
    if "\n" in text[:offset] or (quoted and "\\" in text[:offset]):
        return location  # folded or escaped: the start of the expression is honest
    return Location(location.path, location.line, col + (1 if quoted else 0) + offset)


def _require_values(ctx: BuildContext, plans: list[QuestionPlan], rules: list[Rule]) -> None:
    """Every scenario value and agent trait that a placeholder or a rule reads exists in
    every interview (checked when the interviews are planned, before any model call)."""
    questions = {p.name for p in plans}
    for plan in plans:
        for template in (plan.text, plan.instructions):
            if not isinstance(template, Template):
                continue
            wanted: list[tuple[str, str]] = []
            for name, uses in template.uses().items():
                if name in questions:
                    continue
                if name in _ROOTS:
                    wanted += [(name, u) for u in uses if isinstance(u, str)]
                else:
                    wanted.append(("scenario", name))
            if wanted:
                earlier = tuple(p.name for p in plans[: plan.index])
                check = _has_values(wanted, f"question `{plan.name}`", earlier)
                ctx.requirements.append(Requirement(check, template.location))
    for i, rule in enumerate(rules):
        wanted = [
            (r.path[0], r.path[1])
            for r in rule.condition.references
            if r.path[0] in _ROOTS and len(r.path) == 2
        ]
        if wanted:
            ctx.requirements.append(
                Requirement(_has_values(wanted, "the rule"), ctx.location("rules", i, "if"))
            )


def _has_values(
    wanted: list[tuple[str, str]], user: str, earlier: tuple[str, ...] = ()
) -> Callable[[Any], str | None]:
    """A check that each interview's scenario and agent have the values in `wanted`."""
    seen: set[tuple[int, int]] = set()

    def check(sample: Any) -> str | None:
        agent, scenario = sample.metadata["agent"], sample.metadata["scenario"]
        key = (id(agent), id(scenario))
        if key in seen:
            return None
        for root, name in wanted:
            values = scenario if root == "scenario" else {**agent["traits"], "name": None}
            if name not in values:
                have = ", ".join(sorted(values)) or "none"
                what = "scenario value" if root == "scenario" else "agent trait"
                also = f"; earlier questions: {', '.join(earlier)}" if earlier else ""
                return (
                    f"has no {what} `{name}`, which {user} reads"
                    f"{suggest(name, set(values) | set(earlier))} (its {what}s: {have}{also})"
                )
        seen.add(key)
        return None

    return check

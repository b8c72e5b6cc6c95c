"""The `interview` solver step: one agent answers a survey for one scenario.

It is an ordinary solver step (registered like `generate`), so an interview runs on the
engine every task runs on: limits, retries, the response cache, the log and eval-retry
come for free. Building the step checks the whole survey (`_check.py`) and plans it:
questions are grouped into batches of questions that depend on nothing else in their
batch (no piping, memory or rule between them), asked concurrently (when the model's
calls take long enough for that to pay); batches run in order. Rules are evaluated
between batches, when every answer they read is known.

What it records in `state.store["survey"]` (`answers`, `order`) is documented in
docs/survey-format.md; `evalrun results` reads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from evalrun.model import ChatMessage
from evalrun.registry import BuildContext, register
from evalrun.scorer import Score
from evalrun.solver import Step, TaskState
from evalrun.survey._check import MemorySpec, Plan, plan_survey
from evalrun.survey._questions import InvalidAnswer
from evalrun.survey._spec import QuestionSpec, RuleSpec

RETRY_PROMPT = "That answer is not valid: {reason}. Please answer again, in the format asked."
#: what a piped answer reads as when its question was skipped or answered invalidly
NO_ANSWER_TEXT = "no answer"
#: the questions of a batch are asked concurrently when model calls take this long (in
#: seconds, on average): below it, calls that return at once (a cache, a local mock) gain
#: nothing from overlapping, and other interviews keep the model busy meanwhile
OVERLAP_LATENCY = 0.002


@register("solver", "interview")
def interview(
    ctx: BuildContext,
    questions: list[QuestionSpec],
    rules: list[RuleSpec] | None = None,
    memory: MemorySpec = "none",
    agent_instruction: str | None = None,
    answer_retries: int = 2,
) -> Step:
    """Ask the survey's questions of the sample's agent in the sample's scenario."""
    plan = plan_survey(ctx, questions, rules or [], memory, answer_retries)
    return _Interviewer(plan, agent_instruction).run


def _piped(answer: str, comment: str) -> dict[str, str]:
    """A question as templates see it: `{{ q.answer }}`, `{{ q.comment }}` (a plain dict:
    templates of text and placeholders render it without jinja)."""
    return {"answer": answer, "comment": comment}


_NOT_ANSWERED = _piped(NO_ANSWER_TEXT, "")
_UNSET: Any = object()


def _reading(
    agent: dict[str, Any], scenario: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What rules read as `agent` (its traits and name), and what templates read: scenario
    values by name, `scenario`, `agent` (questions are added as they are answered)."""
    person = {**(agent.get("traits") or {}), "name": agent.get("name")}
    return person, {**scenario, "scenario": scenario, "agent": person}


class _Interviewer:
    """The built step: the plan, and the agents' system prompts."""

    def __init__(self, plan: Plan, agent_instruction: str | None) -> None:
        self.plan = plan
        self.instruction = agent_instruction
        self.order = [q.name for q in plan.questions]
        #: each agent's system message, by name (unique within a survey)
        self._systems: dict[str, Any] = {}
        #: a moving average of the model's call time, in seconds (see `run`)
        self.latency = 1.0

    def system_prompt(self, agent: dict[str, Any]) -> str | None:
        traits = agent.get("traits") or {}
        lines = [f"- {k}: {v}" for k, v in traits.items()]
        parts = [
            p
            for p in (self.instruction, "Your traits:\n" + "\n".join(lines) if lines else None)
            if p
        ]
        return "\n\n".join(parts) if parts else None

    def preview(self, sample: Any) -> list[tuple[str, list[ChatMessage]]]:
        """Each question's messages for `sample`, as sent when nothing is skipped; answers
        not given yet read as `<answer to q>` (for `evalrun prompts` and `estimate`)."""
        meta = sample.metadata
        agent, scenario = meta["agent"], meta["scenario"]
        system = self.system_prompt(agent)
        variables = _reading(agent, scenario)[1]
        out: list[tuple[str, list[ChatMessage]]] = []
        users: dict[str, str] = {}
        for question in self.plan.questions:
            messages = [ChatMessage("system", system)] if system else []
            for earlier in question.memory:
                messages.append(ChatMessage("user", users[earlier]))
                messages.append(ChatMessage("assistant", f"<answer to {earlier}>"))
            users[question.name] = question.prompt(variables)
            messages.append(ChatMessage("user", users[question.name]))
            variables[question.name] = _piped(
                f"<answer to {question.name}>", f"<comment on {question.name}>"
            )
            out.append((question.name, messages))
        return out

    async def run(self, state: TaskState) -> None:
        meta = state.sample.metadata
        agent, scenario = meta["agent"], meta["scenario"]
        system = self._systems.get(agent["name"], _UNSET)  # (an agent has many interviews)
        if system is _UNSET:
            text = self.system_prompt(agent)
            system = self._systems[agent["name"]] = ChatMessage("system", text) if text else None
        state.messages = [system] if system else []
        interview = _Interview(self, state, agent, scenario, system)
        answers = interview.answers
        state.store["survey"] = {"answers": answers, "order": self.order}
        for batch in self.plan.batches:
            asked = [q for q in batch if interview.admit(q)]
            if len(asked) > 1 and self.latency >= OVERLAP_LATENCY:
                await _together([interview.ask(q) for q in asked])
            else:  # one question; or calls too quick to gain from overlapping them
                for question in asked:
                    await interview.ask(question)
            for question in asked:
                interview.after(question)
        state.answer = None


async def _together(calls: list[Coroutine[Any, Any, None]]) -> None:
    """Run `calls` concurrently: all but the last as tasks, the last in this task (an
    anyio task group costs ~75 µs, this ~5; an interview may do it for every batch).
    The first error (or a cancellation: a time limit) cancels the others."""
    tasks = [asyncio.ensure_future(call) for call in calls[:-1]]
    try:
        await calls[-1]
        for task in tasks:
            await task
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


class _Interview:
    """The state of one interview while it runs."""

    __slots__ = ("answers", "env", "jump", "owner", "salt", "state", "stopped", "system",
                 "turns", "variables")  # fmt: skip

    def __init__(
        self,
        owner: _Interviewer,
        state: TaskState,
        agent: dict[str, Any],
        scenario: dict[str, Any],
        system: ChatMessage | None,
    ) -> None:
        self.owner = owner
        self.state = state
        self.system = system
        self.salt = str(state.sample.id)  # two agents never share a cached answer
        person, self.variables = _reading(agent, scenario)
        #: what rules read: answers by question name, `scenario.x`, `agent.x`
        self.env: dict[str, Any] = {"scenario": scenario, "agent": person}
        self.answers: dict[str, dict[str, Any]] = {}
        self.turns: dict[str, tuple[str, str]] = {}
        self.stopped: str | None = None
        self.jump: tuple[str, str, int] | None = None

    def admit(self, question: Any) -> bool:
        """Whether to ask `question`; if not, it is recorded as skipped, with the reason."""
        reason = None
        if self.stopped is not None:
            reason = f"the interview stopped after `{self.stopped}`"
        elif self.jump is not None and question.index < self.jump[2]:
            reason = f"jumped from `{self.jump[0]}` to `{self.jump[1]}`"
        else:
            for rule in question.skip_if:
                if rule.test(self.env):
                    reason = f"skipped: {rule.source}"
                    break
        if reason is None:
            return True
        self.answers[question.name] = {
            "status": "skipped", "answer": None, "comment": None, "prompt": None,
            "raw": None, "reason": reason, "attempts": 0, "tokens": 0, "cost": 0.0,
        }  # fmt: skip
        self.variables[question.name] = _NOT_ANSWERED
        return False

    def after(self, question: Any) -> None:
        """Rules that fire once `question` is answered: stop, or jump ahead."""
        for kind, condition, target, index in question.then:
            if condition.test(self.env):
                if kind == "stop_after":
                    self.stopped = question.name
                    return
                if self.jump is None or index > self.jump[2]:
                    self.jump = (question.name, target, index)

    async def ask(self, question: Any) -> None:
        state = self.state
        variables = self.variables
        user = question.prompt(variables)
        messages = [self.system] if self.system else []
        for earlier in question.memory:
            turn = self.turns.get(earlier)
            if turn is not None:
                messages.append(ChatMessage("user", turn[0]))
                messages.append(ChatMessage("assistant", turn[1]))
        first = len(messages)
        messages.append(ChatMessage("user", user))
        tokens, cost, priced = 0, 0.0, True
        parsed = None
        reason = None
        reply = ""
        attempts = 0
        model, config, salt, owner = state.model, state.config, self.salt, self.owner
        while True:
            attempts += 1
            output = await model.generate(messages, config, salt=salt)
            state.charge(output)
            state.output = output
            owner.latency += (output.time - owner.latency) * 0.1
            usage = output.usage
            tokens += usage.input_tokens + usage.output_tokens
            cost += usage.cost
            priced = priced and not usage.unpriced
            reply = output.completion
            messages.append(ChatMessage("assistant", reply))
            try:
                parsed = question.type.parse(reply)
                break
            except InvalidAnswer as invalid:
                reason = invalid.reason
                if attempts > question.retries:
                    break
                messages.append(ChatMessage("user", RETRY_PROMPT.format(reason=reason)))
        state.add_messages(messages[first:])
        self.turns[question.name] = (user, reply)
        if parsed is not None:
            answer, comment = parsed.answer, parsed.comment
            self.env[question.name] = answer
            variables[question.name] = _piped(question.type.to_text(answer), comment or "")
            status, raw, reason = "valid", None, None
        else:
            answer = comment = None
            variables[question.name] = _NOT_ANSWERED
            status, raw = "invalid", reply
        self.answers[question.name] = {
            "status": status, "answer": answer, "comment": comment, "prompt": user, "raw": raw,
            "reason": reason, "attempts": attempts, "tokens": tokens,
            "cost": cost if priced else None,
        }  # fmt: skip


@register("scorer", "answered", metrics=["mean"])
def answered() -> Any:
    """The share of asked questions (not skipped) that got a valid answer."""

    def score(state: TaskState) -> Score:
        answers = state.store.get("survey", {}).get("answers", {})
        asked = [a for a in answers.values() if a["status"] != "skipped"]
        valid = sum(a["status"] == "valid" for a in asked)
        value = valid / len(asked) if asked else 1.0
        return Score(value, explanation=f"{valid} of {len(asked)} asked questions answered validly")

    return score


__all__ = ["answered", "interview"]

"""The `agent` solver step: model turn -> tool calls -> tool results, until the model
submits, stops calling tools, or uses its turns.

It is an ordinary step over `TaskState`, so everything a run does for single answers holds
for agents unchanged: the sample's message, token and time limits (checked by the state,
which every turn goes through), the cache, retries, the log, eval-retry (a sample's record
is written only when it finishes, so a trajectory cut short is run again from its start),
scorers (on the final state). What it adds is the `Trajectory` on `state.trajectory`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Annotated, Any, Literal

from pydantic import Field

from evalrun.errors import InputError, LimitExceededError
from evalrun.model import ChatMessage, GenerateConfig, ToolCall
from evalrun.registry import BuildContext, register
from evalrun.solver._state import Step, TaskState
from evalrun.solver._trajectory import Trajectory
from evalrun.tools import ToolDeclaration, ToolResult, build_tools

SYSTEM_PROMPT = """\
You are an agent solving a task with tools ({{ tools | join(", ") }}). Work step by step: \
call a tool, read its result, then decide what to do next.\
{% if "submit" in tools %} When you have the final answer, call `submit` with it: that \
ends the task.{% endif %}"""

#: what an agent's prompts may name besides the sample's fields and the task's args
AGENT_VARIABLES = frozenset({"tools", "max_turns", "turn", "turns_left", "prompt"})


#: a slot for a concurrent call's result, filled before it is read
_PENDING = ToolResult("")


class ToolFailed(Exception):
    """A tool call failed under `tool_errors: fail`: the sample errors with this."""


@register("solver", "agent")
def agent(
    ctx: BuildContext,
    tools: list[ToolDeclaration] | None = None,
    max_turns: Annotated[int, Field(ge=1, le=100_000)] = 10,
    parallel_tools: bool = True,
    tool_errors: Literal["continue", "fail"] = "continue",
    system_prompt: str | None = SYSTEM_PROMPT,
    turn_prompt: str | None = None,
    config: GenerateConfig | None = None,
) -> Step:
    """Offer tools (the step's `tools:`, else the task's) to the model, turn after turn.

    Each turn the model answers; the tools it called run (concurrently, or in order with
    `parallel_tools: false`) and their results go back to it as tool messages. A tool's
    mistake (bad arguments, an exception, a timeout) is a result the model reads, unless
    `tool_errors: fail`. `system_prompt` is added before the loop (null: none);
    `turn_prompt`, if given, is a user message after each turn's results.
    """
    offered = build_tools(tools, ctx.at("tools")) if tools is not None else list(ctx.tools)
    if not offered:
        raise InputError(
            "agent: no tools to offer: declare `tools:` on the task or on the step",
            ctx.location(),
        )
    by_name = {t.name: t for t in offered}
    schemas = [t.schema() for t in offered]
    names = list(by_name)
    system = (
        ctx.template(system_prompt, "system_prompt", AGENT_VARIABLES) if system_prompt else None
    )
    between = ctx.template(turn_prompt, "turn_prompt", AGENT_VARIABLES) if turn_prompt else None
    fail_on_error = tool_errors == "fail"

    def variables(state: TaskState, turn: int) -> dict[str, Any]:
        found = state.template_vars()
        found.update(tools=names, max_turns=max_turns, turn=turn, turns_left=max_turns - turn + 1)
        return found

    async def call(tool_call: ToolCall) -> ToolResult:
        chosen = by_name.get(tool_call.name)
        if chosen is None:
            message = f"unknown tool `{tool_call.name}`: the tools are {', '.join(names)}"
            return ToolResult(message, message)
        if tool_call.raw_arguments is not None:
            return await chosen.call(tool_call.raw_arguments)
        return await chosen.call(tool_call.arguments)

    async def run_calls(calls: tuple[ToolCall, ...]) -> list[ToolResult]:
        if len(calls) == 1 or not parallel_tools:
            return [await call(c) for c in calls]
        import anyio

        results: list[ToolResult] = [_PENDING] * len(calls)

        async def one(index: int) -> None:
            results[index] = await call(calls[index])

        async with anyio.create_task_group() as group:
            for index in range(len(calls)):
                group.start_soon(one, index)
        return results

    async def step(state: TaskState) -> None:
        trajectory = state.trajectory
        if trajectory is None:
            trajectory = state.trajectory = Trajectory()
        trajectory.end = None  # a second agent step continues the same trajectory
        started = time.perf_counter()
        try:
            if system is not None:
                at = sum(1 for m in state.messages if m.role == "system")
                state.messages.insert(at, ChatMessage("system", system.render(variables(state, 1))))
                state._check_messages(len(state.messages))
            await loop(state, trajectory)
        except LimitExceededError:
            trajectory.finish("limit")
            raise
        except Exception:
            trajectory.finish("error")
            raise
        finally:
            trajectory.time += time.perf_counter() - started

    async def loop(state: TaskState, trajectory: Trajectory) -> None:
        for turn in range(1, max_turns + 1):
            if turn > 1 and between is not None:
                state.add_message(ChatMessage("user", between.render(variables(state, turn))))
            began = time.perf_counter()
            before = state.output
            try:
                output = await state.generate(config, tools=schemas)
            except LimitExceededError:
                if state.output is not before and state.output is not None:
                    # the turn that went past the token limit happened (its message and
                    # usage are the sample's), so it is a step
                    trajectory.add_turn(state.output, time.perf_counter() - began)
                raise
            trajectory.add_turn(output, time.perf_counter() - began)
            calls = output.tool_calls
            if not calls:
                trajectory.finish("no_tool_calls")
                return
            results = await run_calls(calls)
            replies = []
            submitted: str | None = None
            failed: tuple[ToolCall, ToolResult] | None = None
            for tool_call, result in zip(calls, results, strict=True):
                trajectory.add_call(tool_call, result)
                replies.append(
                    ChatMessage("tool", result.output, None, tool_call.id, tool_call.name)
                )
                if result.submitted is not None and submitted is None:
                    submitted = result.submitted
                if result.error is not None and failed is None:
                    failed = (tool_call, result)
            if submitted is not None and not (failed is not None and fail_on_error):
                # the loop ends with these replies: no turn reads them, so they cannot
                # go past the message limit (the answer stands)
                state.messages.extend(replies)
                trajectory.answer = state.answer = submitted
                state.output = replace(output, completion=submitted)  # what scorers read
                trajectory.finish("submit")
                return
            state.add_messages(replies)
            if failed is not None and fail_on_error:
                trajectory.finish("tool_error")
                raise ToolFailed(f"tool `{failed[0].name}` failed: {failed[1].error}")
        trajectory.finish("max_turns")

    return step

"""`Trajectory`: every step an agent took for one sample x epoch, as the log records it.

The steps are plain dicts in the log's own shape (`evalrun.log.TrajectoryRecord`), built
once as the loop runs: writing the record is then a reference, not a conversion, and a
`python:` scorer reads exactly what the log will hold (`state.trajectory.calls("submit")`).
Times are kept to the microsecond: the digits beyond are noise that does not compress
(they doubled a compressed agent log's size: tests/bench/agents.py's, 344 KB -> 174 KB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalrun.log._schema import TrajectoryEnd as End
    from evalrun.model import ModelOutput, ToolCall
    from evalrun.tools import ToolResult


class Trajectory:
    """The steps of an agent's loop, numbered from 1 in the order they happened (a turn's
    tool calls in the order the model made them, even when they ran concurrently)."""

    __slots__ = ("answer", "end", "steps", "time", "tool_calls", "tool_errors", "turns")

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        #: model turns taken
        self.turns = 0
        self.tool_calls = 0
        self.tool_errors = 0
        #: None while the loop runs
        self.end: End | None = None
        #: what the model submitted (`submit`), if it did
        self.answer: str | None = None
        #: seconds the loop ran
        self.time = 0.0

    def add_turn(self, output: ModelOutput, seconds: float) -> None:
        """One model turn: what it said and the tools it asked for."""
        self.turns += 1
        step: dict[str, Any] = {
            "step": len(self.steps) + 1,
            "type": "model",
            "turn": self.turns,
            "completion": output.completion,
        }
        if output.tool_calls:
            step["tool_calls"] = [call.to_dict() for call in output.tool_calls]
        step["stop_reason"] = output.stop_reason
        step["usage"] = output.usage.to_dict()
        step["time"] = round(seconds, 6)
        step["cached"] = output.cached
        self.steps.append(step)

    def add_call(self, call: ToolCall, result: ToolResult) -> None:
        """One tool call of the current turn, with its outcome."""
        self.tool_calls += 1
        step: dict[str, Any] = {
            "step": len(self.steps) + 1,
            "type": "tool",
            "turn": self.turns,
            "id": call.id,
            "name": call.name,
            "arguments": call.arguments,
        }
        if call.raw_arguments is not None:
            step["raw_arguments"] = call.raw_arguments
        step["output"] = result.output
        step["error"] = result.error
        step["time"] = round(result.seconds, 6)
        if result.error is not None:
            self.tool_errors += 1
        if result.submitted is not None:
            step["submitted"] = result.submitted
        self.steps.append(step)

    def finish(self, end: End) -> None:
        """Say why the loop ended, unless it already said (a limit hit after an agent
        step ended is not the trajectory's end)."""
        if self.end is None:
            self.end = end

    def calls(self, name: str | None = None) -> list[dict[str, Any]]:
        """The tool-call steps, or those of the tool `name`."""
        return [
            s for s in self.steps if s["type"] == "tool" and (name is None or s["name"] == name)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "turns": self.turns,
            "tool_calls": self.tool_calls,
            "tool_errors": self.tool_errors,
            "end": self.end,
            "answer": self.answer,
            "time": round(self.time, 6),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trajectory:
        """A trajectory as a log record holds it (for rescoring)."""
        made = cls()
        made.steps = list(data.get("steps") or [])
        made.turns = data.get("turns", 0)
        made.tool_calls = data.get("tool_calls", 0)
        made.tool_errors = data.get("tool_errors", 0)
        made.end = data.get("end")
        made.answer = data.get("answer")
        made.time = data.get("time", 0.0)
        return made

"""`evalrun log samples` and `evalrun log sample`: a log's samples in the terminal.

Both stream the log: `samples` turns each sample into a compact row (no messages) as it
is read and keeps only the rows it prints (`--limit` of them, in a heap when sorted);
`sample` keeps only the records of the one id it shows (`evalrun.rows._find`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import IO, Any

from evalrun.rows._samples import Row, Selection, answer_of

#: the answer column's width in the table
ANSWER_WIDTH = 24


def samples_table(selection: Selection) -> Any:
    """The rows as a rich table that fits 80 columns."""
    from rich.table import Table

    table = Table(header_style="bold", pad_edge=False, box=None)
    table.add_column("id", overflow="ellipsis", no_wrap=True, max_width=18)
    table.add_column("ep", justify="right")
    for name in selection.scorers:
        table.add_column(name, justify="right", overflow="ellipsis", no_wrap=True, max_width=10)
    # an agent's samples: its turns (other logs' tables unchanged), in room the answer
    # gives up; `max_turns` is a flag, as a limit is (the other ends: an error, a limit,
    # or an answer)
    agents = any(row.turns is not None for row in selection.rows)
    answer_width = ANSWER_WIDTH - 8 if agents else ANSWER_WIDTH
    table.add_column("answer", overflow="ellipsis", no_wrap=True, max_width=answer_width)
    table.add_column("error", no_wrap=True)
    if agents:
        table.add_column("turns", justify="right")
    table.add_column("tokens", justify="right")
    table.add_column("time", justify="right")
    table.add_column("", no_wrap=True)
    for row in selection.rows:
        flags = [
            flag
            for flag, on in (
                ("cached", row.cached),
                ("reused", row.reused),
                (row.limit, row.limit),
                ("max_turns", row.end == "max_turns"),
            )
            if on
        ]
        table.add_row(
            str(row.id),
            str(row.epoch),
            *(_value(row.scores.get(name)) for name in selection.scorers),
            "-" if row.answer is None else shorten(row.answer, answer_width),
            row.error or "-",
            *((_value(row.turns),) if agents else ()),
            f"{row.tokens:,}",
            f"{row.time:.2f}s" if row.time < 10 else f"{row.time:.0f}s",
            " ".join(str(f) for f in flags),
        )
    return table


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def shorten(text: str, width: int) -> str:
    """One line of at most `width` characters, `…` where it was cut."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def write_json_row(row: Row, out: IO[str]) -> None:
    out.write(json.dumps(row.to_json(), default=str) + "\n")


# --- one sample ----------------------------------------------------------------------


def sample_lines(sample: Any, resumed_at: float | None) -> Iterator[str]:
    """One sample whole, as text lines: header, input, target, transcript, an agent's
    trajectory step by step, answer, scores (a grader's prompt and reply), error and
    traceback, earlier attempts, the model calls' retries, the limit hit, a survey's
    answers, usage and time."""
    flags = []
    if sample.output is not None and sample.output.cached:
        flags.append("cached")
    if resumed_at is not None and sample.started_at < resumed_at:
        flags.append("reused from the log eval-retry resumed")
    yield f"sample {sample.id}  epoch {sample.epoch}  attempt {sample.attempt}" + (
        f"  ({', '.join(flags)})" if flags else ""
    )
    yield ""
    yield from _section("input", sample.input)
    target = sample.target
    yield from _section("target", " | ".join(target) if isinstance(target, list) else target)
    if sample.choices:
        yield "choices:"
        for letter, choice in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", sample.choices, strict=False):
            yield f"  {letter}) {choice}"
    if sample.metadata:
        yield "metadata: " + json.dumps(sample.metadata, default=str, ensure_ascii=False)
    yield ""
    yield f"messages ({len(sample.messages)})"
    for message in sample.messages:
        role = message.role + (
            f" {message.name}" if message.role == "tool" and message.name else ""
        )
        yield f"── {role} " + "─" * max(3, 40 - len(role))
        yield from message.content.splitlines() or [""]
        for call in message.tool_calls or ():
            yield f"  → {_call(call.name, call.arguments, call.raw_arguments)}  [{call.id}]"
    yield "─" * 44
    yield ""
    if sample.trajectory is not None:
        yield from trajectory_lines(sample.trajectory)
        yield ""
    yield from _section(
        "answer", answer_of(sample.model_dump(include={"answer", "scores", "output"})) or "-"
    )
    if sample.scores:
        yield "scores"
        for name, score in sample.scores.items():
            yield f"  {name}: {_value(score.value)}" + (
                f"  (answer: {score.answer})" if score.answer is not None else ""
            )
            if score.explanation:
                yield from _indented("explanation", score.explanation, 4)
            metadata = dict(score.metadata or {})
            grader = metadata.pop("grader", None)
            if isinstance(grader, Mapping):
                yield f"    grader: {grader.get('model', '-')}"
                yield from _indented("grader prompt", str(grader.get("prompt", "")), 4)
                yield from _indented("grader reply", str(grader.get("reply", "")), 4)
            if metadata:
                yield "    metadata: " + json.dumps(metadata, default=str, ensure_ascii=False)
    else:
        yield "scores: none"
    if sample.error is not None:
        yield ""
        yield from _error("error", sample.error)
    if sample.errors:
        yield ""
        yield f"earlier attempts ({len(sample.errors)})"
        for number, error in enumerate(sample.errors, start=1):
            yield from _error(f"  attempt {number}", error, indent=4)
    if sample.retries:
        yield ""
        yield f"model call retries ({len(sample.retries)})"
        for retry in sample.retries:
            wait = "gave up" if retry.wait is None else f"waited {retry.wait:.2f}s"
            yield f"  {retry.error}  ({wait})"
    if sample.limit is not None:
        limit = sample.limit
        yield ""
        yield f"limit hit: {limit.kind} {limit.used:g} of {limit.limit:g}: {limit.message}"
    survey = (sample.store.get("survey") or {}) if isinstance(sample.store, dict) else {}
    answers = survey.get("answers") if isinstance(survey, dict) else None
    if isinstance(answers, dict) and answers:
        yield ""
        yield f"survey answers ({len(answers)})"
        for question, entry in answers.items():
            if not isinstance(entry, dict):
                continue
            answer = entry.get("answer")
            yield f"  {question}: {'-' if answer is None else answer}  [{entry.get('status')}]"
            if entry.get("comment"):
                yield f"    comment: {entry['comment']}"
            if entry.get("reason"):
                yield f"    reason: {entry['reason']}"
    usage = sample.usage
    yield ""
    yield (
        f"usage: {usage.total_tokens:,} tokens ({usage.input_tokens:,} in, "
        f"{usage.output_tokens:,} out"
        + (f", {usage.reasoning_tokens:,} reasoning" if usage.reasoning_tokens else "")
        + f"), {usage.calls} call{'s' if usage.calls != 1 else ''}, ${usage.cost:.4f}"
        + (f" ({usage.unpriced} unpriced)" if usage.unpriced else "")
    )
    yield f"time: {sample.total_time:.3f}s"


def trajectory_lines(trajectory: Any) -> Iterator[str]:
    """An agent's trajectory: a line of totals (turns, tool calls, tool errors, why it
    ended, the answer submitted, time), then each step in order: a model turn (its text
    whole, the calls it asked for, tokens, time), a tool call (arguments, its output
    whole, or its error marked `ERROR`, time, what `submit` submitted)."""
    errors = trajectory.tool_errors
    yield (
        f"trajectory: {_count(trajectory.turns, 'turn')}, "
        f"{_count(trajectory.tool_calls, 'tool call')}, {_count(errors, 'tool error')}, "
        f"end: {trajectory.end or '-'}, "
        f"answer: {'-' if trajectory.answer is None else shorten(trajectory.answer, 60)}, "
        f"time: {_seconds(trajectory.time)}"
    )
    for step in trajectory.steps:
        if step.type == "model":
            usage = step.usage
            facts = [f"{usage.total_tokens:,} tokens" if usage is not None else "- tokens"]
            facts.append(_seconds(step.time))
            if step.stop_reason not in (None, "stop", "tool_calls"):
                facts.append(f"stop: {step.stop_reason}")
            if step.cached:
                facts.append("cached")
            yield _rule(f"{step.step}. model, turn {step.turn}", ", ".join(facts))
            yield from (step.completion or "").splitlines() or ["(no text)"]
            for call in step.tool_calls or ():
                yield f"  → {_call(call.name, call.arguments, call.raw_arguments)}  [{call.id}]"
        else:
            facts = [_seconds(step.time)]
            if step.error is not None:
                facts.append("failed")
            if step.submitted is not None:
                facts.append("submitted")
            yield _rule(
                f"{step.step}. tool {step.name}, turn {step.turn} [{step.id}]", ", ".join(facts)
            )
            yield "  arguments: " + _json(step.arguments or {})
            if step.raw_arguments is not None:
                yield from _indented("raw arguments", step.raw_arguments, 2)
            if step.error is not None:
                yield from _indented("ERROR", step.error, 2)
                if step.output is not None and step.output != step.error:
                    yield from _indented("output", step.output, 2)
            else:
                yield from _indented("output", step.output or "", 2)
            if step.submitted is not None:
                yield from _indented("submitted", step.submitted, 2)
    if trajectory.steps:
        yield "─" * 44


def _rule(title: str, facts: str) -> str:
    return f"── {title} " + "─" * max(3, 40 - len(title)) + f" {facts}"


def _call(name: str, arguments: Any, raw: str | None) -> str:
    return f"{name}({_json(arguments) if raw is None else raw})"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _count(number: int, what: str) -> str:
    return f"{number:,} {what}{'' if number == 1 else 's'}"


def _seconds(seconds: float) -> str:
    """A step's time: milliseconds under a second (most tool calls), else seconds."""
    if seconds >= 1:
        return f"{seconds:.2f}s"
    ms = seconds * 1000
    return f"{ms:.2f}ms" if ms < 10 else f"{ms:.0f}ms"


def _section(name: str, text: str) -> Iterator[str]:
    lines = text.splitlines() or [""]
    if len(lines) == 1:
        yield f"{name}: {lines[0]}"
    else:
        yield f"{name}:"
        yield from ("  " + line for line in lines)


def _indented(name: str, text: str, indent: int) -> Iterator[str]:
    pad = " " * indent
    lines = text.splitlines() or [""]
    if len(lines) == 1:
        yield f"{pad}{name}: {lines[0]}"
    else:
        yield f"{pad}{name}:"
        yield from (f"{pad}  {line}" for line in lines)


def _error(title: str, error: Any, indent: int = 2) -> Iterator[str]:
    kind = error.kind + (f" ({error.limit})" if error.limit else "")
    yield f"{title}: {kind}: {error.message}"
    if error.traceback:
        pad = " " * indent
        yield f"{pad}traceback:"
        yield from (f"{pad}  {line}" for line in error.traceback.rstrip().splitlines())

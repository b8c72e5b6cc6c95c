"""A survey's interviews as samples: every agent with every scenario.

Agents and scenarios are inline rows or a data file each (.csv, .jsonl, .json). A
sample is one interview: its id names the agent and the scenario (`artist/scenario2`),
its metadata holds both, shared rather than copied (100,000 interviews of 100 agents
keep 100 agent dicts in memory). Iterations are the task's epochs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalrun.dataset._load import Row, read_rows
from evalrun.dataset._sample import Sample
from evalrun.errors import InputError, Location

Locate = Callable[[tuple[str | int, ...]], Location | None]

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def read_table(value: Any, key: str, base_dir: Path, locate: Locate) -> tuple[list[Row], bool]:
    """The rows of `agents:` or `scenarios:` (inline, or `{path: FILE}`), and whether they
    came from a file (whose cells are traits or values as the file gives them)."""
    if value is None:
        return [(locate((key,)) or Location("<survey>"), {})], False
    if isinstance(value, dict):
        path = Path(str(value.get("path", "")))
        path = path if path.is_absolute() else base_dir / path
        if not path.is_file():
            raise InputError(f"{key} file not found: {path}", locate((key, "path")))
        fmt = value.get("format")
        rows = [(where, _cells(row) if path.suffix == ".csv" or fmt == "csv" else row)
                for where, row in read_rows(path, fmt)]  # fmt: skip
        if not rows:
            raise InputError(f"{key} file has no rows: {path}", locate((key, "path")))
        for where, row in rows:
            if not isinstance(row, dict):
                raise InputError(f"each {key[:-1]} must be a mapping of values", where)
        return rows, True
    return [
        (locate((key, i)) or Location("<survey>", i + 1), row) for i, row in enumerate(value)
    ], False


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row's cells, numbers as numbers (so that `agent.age >= 30` compares numbers)."""
    out: dict[str, Any] = {}
    for name, cell in row.items():
        if isinstance(cell, str) and _NUMBER.fullmatch(cell.strip()):
            number = float(cell)
            out[name] = int(number) if number.is_integer() and "." not in cell else number
        else:
            out[name] = cell
    return out


def interview_samples(agents: tuple[list[Row], bool], scenarios: list[Row]) -> list[Sample]:
    """One sample per agent x scenario, agents outermost. File agents: every column is a
    trait except `name`; inline agents: `{name, traits}`."""
    rows, from_file = agents
    people: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, Location] = {}
    for index, (where, row) in enumerate(rows, start=1):
        if from_file:
            traits = {k: v for k, v in row.items() if k != "name"}
            name = row.get("name")
        else:
            traits, name = dict(row.get("traits") or {}), row.get("name")
        label = str(name) if name not in (None, "") else f"agent{index}"
        if label in seen:
            raise InputError(f"agent name `{label}` is used twice (first at {seen[label]})", where)
        seen[label] = where
        people.append((label, {"name": label, "traits": traits}))
    samples = []
    for label, agent in people:
        for number, (_, scenario) in enumerate(scenarios, start=1):
            shown = ", ".join(f"{k}={v}" for k, v in scenario.items())
            samples.append(
                Sample(
                    f"{label}/scenario{number}",
                    f"{label}, scenario {number}" + (f": {shown}"[:200] if shown else ""),
                    metadata={"agent": agent, "scenario": scenario},
                )
            )
    return samples

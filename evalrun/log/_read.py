"""Reading logs, including logs cut short by a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalrun.errors import InputError, Location
from evalrun.log._schema import EvalLog, EvalSample


def read_log(path: Path | str) -> EvalLog:
    """The whole log. A truncated log is recovered up to its last complete sample."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("log file not found", Location(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read log: {exc}", Location(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = _recover(text, path)
    try:
        return EvalLog.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"not an evalrun log: {where}: {first['msg']}", Location(path)) from None


def iter_samples(path: Path | str) -> Iterator[EvalSample]:
    yield from read_log(path).samples


def _recover(text: str, path: Path) -> dict[str, Any]:
    """Rebuild what a log cut short holds: header, dataset and every complete sample."""
    lines = text.split("\n")
    if not lines or not lines[0].startswith('{"version":'):
        raise InputError("not an evalrun log (or damaged beyond recovery)", Location(path))
    data: dict[str, Any] = {
        "version": _int_after(lines[0]),
        "dataset": [],
        "samples": [],
        "status": "started",
    }
    section = None
    for line in lines[1:]:
        if line.startswith('"header": '):
            data["header"] = _loads(line[len('"header": ') :].rstrip(","))
        elif line == '"dataset": [':
            section = "dataset"
        elif line == '"samples": [':
            section = "samples"
        elif line.startswith("]"):
            section = None
        elif section and line.startswith("{"):
            row = _loads(line.rstrip(","))
            if row is not None:
                data[section].append(row)
    if data.get("header") is None:
        raise InputError("log is damaged: its header is incomplete", Location(path))
    return data


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _int_after(line: str) -> int:
    try:
        return int(line.split(":", 1)[1].strip().rstrip(","))
    except (IndexError, ValueError):
        return 0

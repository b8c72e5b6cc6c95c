"""Find task files (files, folders, globs) and read the tasks in them."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalrun.errors import InputError, Location
from evalrun.spec._errors import explain
from evalrun.spec._task import TaskFile, TaskSpec
from evalrun.spec._yaml import PathKey, SourceMap, load_yaml

TASK_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class TaskSource:
    """A validated task spec and where each of its values was written."""

    spec: TaskSpec
    path: Path
    source: SourceMap
    prefix: PathKey

    def locate(self, where: PathKey) -> Location:
        return self.source.locate((*self.prefix, *where))


def expand_paths(patterns: list[str]) -> list[Path]:
    """Task files named by files, folders (every .yaml/.yml inside) and globs, in order."""
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            matches = sorted(
                p for p in path.rglob("*") if p.suffix in TASK_SUFFIXES and p.is_file()
            )
            if not matches:
                raise InputError(f"no task files (.yaml, .yml) in folder `{pattern}`")
        elif path.is_file():
            matches = [path]
        elif glob.has_magic(pattern):
            matches = sorted(
                Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()
            )
            if not matches:
                raise InputError(f"no task files match `{pattern}`")
        else:
            raise InputError("file not found", Location(pattern))
        found.extend(m for m in matches if m not in found)
    return found


def read_task_file(path: Path) -> list[TaskSource]:
    """Every task in one file (one, or a list under `tasks:`)."""
    data, source = load_yaml(path)
    if not isinstance(data, dict):
        raise source.error((), "a task file must be a mapping of keys (name, dataset, solver, ...)")
    if data.get("kind") == "survey":
        from evalrun.survey._load import read_survey

        return [read_survey(data, path, source)]
    if data.get("kind") not in (None, "task"):
        raise source.error(
            ("kind",), f"unknown kind `{data['kind']}` (expected `task` or `survey`)"
        )
    data.pop("kind", None)
    if "tasks" in data:
        try:
            many = TaskFile.model_validate(data)
        except ValidationError as exc:
            raise explain(exc, source) from None
        return [
            _validate(raw, path, source, ("tasks", i), f"{path.stem}_{i + 1}")
            for i, raw in enumerate(many.tasks)
        ]
    return [_validate(data, path, source, (), path.stem)]


def _validate(
    raw: Any, path: Path, source: SourceMap, prefix: PathKey, default_name: str
) -> TaskSource:
    if not isinstance(raw, dict):
        raise source.error(prefix, "each task must be a mapping of keys")
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        raise explain(exc, source, prefix) from None
    if spec.name is None:
        spec = spec.model_copy(update={"name": default_name})
    return TaskSource(spec, path, source, prefix)


def read_task_files(patterns: list[str]) -> list[TaskSource]:
    return [task for path in expand_paths(patterns) for task in read_task_file(path)]

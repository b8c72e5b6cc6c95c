"""Task files: YAML with line numbers, pydantic schemas, friendly errors, building."""

from evalrun.spec._build import ScorerDef, Task, build, build_source, load_samples, resolve
from evalrun.spec._load import TaskSource, expand_paths, read_task_file, read_task_files
from evalrun.spec._task import TaskSpec
from evalrun.spec._yaml import SourceMap, load_yaml, parse_yaml

__all__ = [
    "ScorerDef",
    "SourceMap",
    "Task",
    "TaskSource",
    "TaskSpec",
    "build",
    "build_source",
    "expand_paths",
    "load_samples",
    "load_yaml",
    "parse_yaml",
    "read_task_file",
    "read_task_files",
    "resolve",
]

"""YAML with line numbers.

PyYAML's composer gives nodes with marks; we build plain Python values from them and
keep, beside the values, where each one (and each mapping key) was written.  Every
error about a user's file is then reported at the line and column the user typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalrun.errors import InputError, Location

try:  # the C composer is several times faster on large files
    _Composer: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Composer = yaml.SafeLoader

PathKey = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Where each value of a loaded YAML document was written."""

    path: Path
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, where: PathKey, *, key: bool = False) -> Location:
        """The location of `where`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        probe = tuple(where)
        while probe:
            if probe in table:
                line, col = table[probe]
                return Location(self.path, line, col)
            if probe in self.values:
                line, col = self.values[probe]
                return Location(self.path, line, col)
            probe = probe[:-1]
        line, col = self.values.get((), (1, 1))
        return Location(self.path, line, col)

    def error(self, where: PathKey, message: str, *, key: bool = False) -> InputError:
        return InputError(message, self.locate(where, key=key))


def parse_yaml(text: str, path: Path) -> tuple[Any, SourceMap]:
    """Parse one YAML document, returning its value and a `SourceMap`."""
    source = SourceMap(path)
    try:
        node = yaml.compose(text, Loader=_Composer)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", where) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", Location(path)) from None
    if node is None:
        return None, source
    builder = yaml.SafeLoader("")
    return _build(node, (), source, builder), source


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file; a missing or unreadable file is an `InputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", Location(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", Location(path)) from None
    return parse_yaml(text, path)


def _build(node: yaml.Node, where: PathKey, source: SourceMap, builder: yaml.SafeLoader) -> Any:
    source.values[where] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        builder.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = builder.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise InputError(
                    "mapping keys must be plain values",
                    Location(
                        source.path, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    ),
                )
            if key in out:
                raise InputError(
                    f"duplicate key `{key}`",
                    Location(
                        source.path, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    ),
                )
            child = (*where, key)
            source.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _build(value_node, child, source, builder)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*where, i), source, builder) for i, item in enumerate(node.value)]
    try:
        return builder.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise InputError(f"invalid value: {exc.problem}", source.locate(where)) from None

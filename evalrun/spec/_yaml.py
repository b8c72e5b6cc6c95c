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

#: bounds on what a YAML file may ask of the loader, checked before any value is built:
#: a task or config file is small, and 400 bytes of aliases can otherwise expand into
#: a billion values
MAX_FILE_BYTES = 10_000_000
MAX_DEPTH = 100
#: values that aliases may add beyond those written out in the file
MAX_ALIASED_VALUES = 100_000


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
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ...)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError(
            f"invalid YAML: character U+{char:04X} is not allowed", Location(path, line, column)
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", Location(path)) from None
    if node is None:
        return None, source
    _check_size(node, path)
    builder = yaml.SafeLoader("")
    return _build(node, (), source, builder), source


def _check_size(root: yaml.Node, path: Path) -> None:
    """Refuse a document nested deeper than `MAX_DEPTH`, or whose aliases would expand to
    more than `MAX_ALIASED_VALUES` values, at the place that causes it."""
    sizes: dict[int, int] = {}  # a node's value count once expanded, by id
    uses: dict[int, int] = {}  # how often each node is reached (an anchor: more than once)
    nodes: dict[int, yaml.Node] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:  # iterative post-order walk: deep documents cannot overflow Python's stack
        node, depth, done = stack.pop()
        key = id(node)
        if not done:
            uses[key] = uses.get(key, 0) + 1
            if key in sizes or key in nodes:
                continue
            nodes[key] = node
            if depth > MAX_DEPTH:
                mark = node.start_mark
                raise InputError(
                    f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                    Location(path, mark.line + 1, mark.column + 1),
                )
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in _children(node))
        else:
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
    written = len(nodes)
    if sizes[id(root)] - written > MAX_ALIASED_VALUES:
        key = max(uses, key=lambda k: (uses[k] - 1) * sizes[k])
        mark = nodes[key].start_mark
        raise InputError(
            f"invalid YAML: its aliases expand to {sizes[id(root)]:,} values (more than "
            f"{MAX_ALIASED_VALUES:,} beyond what is written); the anchor here is repeated "
            f"{uses[key]:,} times",
            Location(path, mark.line + 1, mark.column + 1),
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file; a missing, unreadable, oversized or non-UTF-8 file is an
    `InputError` (at the offending byte's line and column when there is one)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(
                f"file too large for a YAML file ({path.stat().st_size:,} bytes; at most "
                f"{MAX_FILE_BYTES:,}): put data in a dataset file",
                Location(path),
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", Location(path)) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", Location(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", Location(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
            Location.of_byte(path, data, exc.start),
        ) from None
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

"""Choosing columns (`--select`, names and globs) and rows (`--where`, the safe expression
language of survey rules)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evalrun.errors import InputError
from evalrun.strict import suggest

if TYPE_CHECKING:
    from evalrun.expr import Expression

GLOB = frozenset("*?[")


def select_columns(
    spec: str | Sequence[str], columns: list[str], *, option: str = "--select"
) -> list[str]:
    """The columns `spec` names, in the order it names them (a glob's matches in table
    order), each once. A name that is not a column, or a glob that matches none, is an
    `InputError` with the nearest column."""
    items = _items(spec)
    if not items:
        raise InputError(f"{option}: no columns named")
    chosen: dict[str, None] = {}
    for item in items:
        if GLOB & set(item):
            matches = fnmatch.filter(columns, item)
            if not matches:
                raise InputError(f"{option}: `{item}` matches no column{_glob_hint(item, columns)}")
            chosen.update(dict.fromkeys(matches))
        elif item in columns:
            chosen[item] = None
        else:
            raise InputError(f"{option}: unknown column `{item}`{suggest(item, columns)}")
    return list(chosen)


def _glob_hint(glob: str, columns: list[str]) -> str:
    """`; did you mean `answer.*`?` for `answr.*`: the glob with its first dotted part
    replaced by the closest column prefix, when that matches."""
    root, dot, rest = glob.partition(".")
    if not dot:
        return suggest(glob, columns)
    roots = {c.split(".", 1)[0] for c in columns if "." in c}
    hint = suggest(root, roots)
    if not hint:
        return ""
    fixed = hint.split("`")[1] + "." + rest
    return f"; did you mean `{fixed}`?" if fnmatch.filter(columns, fixed) else ""


def _items(spec: str | Sequence[str]) -> list[str]:
    parts = [spec] if isinstance(spec, str) else list(spec)
    return [item.strip() for part in parts for item in part.split(",") if item.strip()]


def row_env(row: Mapping[str, Any], questions: Sequence[str] = ()) -> dict[str, Any]:
    """A row as the expression language sees it: dotted columns as nested mappings
    (`agent.age` is `env["agent"]["age"]`), and, as in survey rules, each question's
    valid answer by its bare name (a skipped or invalid one is absent: no answer)."""
    env: dict[str, Any] = {}
    for column, value in row.items():
        parts = column.split(".")
        node = env
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    for name in questions:
        if name not in env and row.get(f"status.{name}") == "valid":
            env[name] = row.get(f"answer.{name}")
    return env


def parse_where(text: str, *, option: str = "--where") -> Expression:
    """An expression parsed once; a bad one is one `InputError` that says what is wrong
    and at which column (1-based)."""
    from evalrun.expr import ExprError, parse

    try:
        return parse(text)
    except ExprError as exc:
        raise InputError(f"{option}: {exc.message} at column {exc.offset + 1}") from None


def compile_where(
    text: str, questions: Sequence[str] = (), *, option: str = "--where"
) -> Callable[[Mapping[str, Any]], bool]:
    """A row filter from an expression, parsed once. A bad expression is one
    `InputError` that says what is wrong and at which column (1-based)."""
    expression = parse_where(text, option=option)
    names = tuple(questions)

    def keep(row: Mapping[str, Any]) -> bool:
        return bool(expression.test(row_env(row, names)))

    return keep

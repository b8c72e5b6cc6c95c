"""A tool's JSON schema, read off a Python function.

A model calls a tool by name with JSON arguments, so it must be told, per tool, what the
arguments are. The function already says it: its signature gives the names, defaults and
which are required; its type hints give the types; its docstring gives the description of
the tool and of each argument. Writing a schema by hand beside the function would let the
two drift apart, so the schema is derived, once, when the task is loaded, and the same
pydantic model that produced it validates every call's arguments.

The format is OpenAI's function-calling one (what litellm passes to every provider):

    {"name": "add", "description": "Add two numbers.",
     "parameters": {"type": "object", "properties": {"a": {"type": "integer", ...}, ...},
                    "required": ["a", "b"]}}

Anything that cannot be described is an error (`ToolSchemaError`), never a guess: an
untyped parameter, `*args` or `**kwargs`, a type pydantic has no JSON schema for.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, TypeAdapter, create_model


class ToolSchemaError(ValueError):
    """A function that cannot be offered as a tool. `message` says why, naming the
    parameter at fault; the task loader reports it at the tool's line in the file."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ToolSchema:
    """What a function offers as a tool.

    - `name`, `description`: as the model sees them.
    - `parameters`: the JSON schema (an `object`) of the arguments.
    - `arguments`: the pydantic model that produced `parameters` and validates a call's
      arguments against it (unknown arguments are refused).
    - `positional`: parameters that can only be passed by position (`def f(x, /)`), in order.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    arguments: type[BaseModel]
    positional: tuple[str, ...] = ()


def function_schema(
    function: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> ToolSchema:
    """The schema of `function` (sync or async); `name` and `description` override the
    function's own name and docstring summary. Raises `ToolSchemaError`."""
    tool_name = name or getattr(function, "__name__", None) or type(function).__name__
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as exc:
        raise ToolSchemaError(f"cannot read the signature of `{tool_name}`: {exc}") from None
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except Exception as exc:  # a hint naming something that does not exist
        raise ToolSchemaError(
            f"cannot resolve the type hints of `{tool_name}`: {type(exc).__name__}: {exc}"
        ) from None
    summary, documented = parse_docstring(inspect.getdoc(function) or "")
    fields: dict[str, Any] = {}
    positional: list[str] = []
    for parameter in signature.parameters.values():
        pname = parameter.name
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            stars = "*" if parameter.kind == parameter.VAR_POSITIONAL else "**"
            raise ToolSchemaError(
                f"parameter `{stars}{pname}` of `{tool_name}`: a tool takes named arguments "
                f"only, not `{stars}{pname}`"
            )
        if pname not in hints:
            raise ToolSchemaError(
                f"parameter `{pname}` of `{tool_name}` has no type hint: the model must be "
                "told its type (`def f(x: int)`)"
            )
        if pname.startswith("_"):
            raise ToolSchemaError(
                f"parameter `{pname}` of `{tool_name}`: a tool's parameter may not start with `_`"
            )
        annotation = hints[pname]
        try:
            TypeAdapter(annotation).json_schema()
        except Exception as exc:
            raise ToolSchemaError(
                f"parameter `{pname}` of `{tool_name}`: its type `{_type_name(annotation)}` "
                f"cannot be described in JSON ({type(exc).__name__})"
            ) from None
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[pname] = (annotation, Field(default, description=documented.get(pname)))
        if parameter.kind == parameter.POSITIONAL_ONLY:
            positional.append(pname)
    try:
        model = create_model(
            f"{tool_name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
        )
        schema = model.model_json_schema()
    except (PydanticUserError, TypeError, ValueError) as exc:
        raise ToolSchemaError(f"cannot describe the parameters of `{tool_name}`: {exc}") from None
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema.setdefault("properties", {})
    return ToolSchema(
        tool_name,
        summary if description is None else description,
        schema,
        model,
        tuple(positional),
    )


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Returns?|Yields?|Raises|Examples?|Notes?|"
    r"Attributes|See Also|Warnings?|Todo)\s*:\s*$"
)
_GOOGLE_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_REST_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_REST_FIELD = re.compile(r"^:\w+")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(summary, parameter descriptions) of a cleaned docstring (`inspect.getdoc`).

    The summary is the first paragraph, joined into one line: it is what the model reads
    to choose the tool, and the rest (sections, examples) is for the function's readers.
    Parameter descriptions come from a Google-style `Args:` section (`x (int): what x
    is`, continued on more indented lines) or from reST fields (`:param x: what x is`)."""
    lines = doc.strip().splitlines()
    summary_lines: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line.strip()) or _REST_FIELD.match(line.strip()):
            break
        summary_lines.append(line.strip())
    params: dict[str, str] = {}
    params.update(_google_args(lines))
    params.update(_rest_params(lines))
    return " ".join(summary_lines), params


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google_args(lines: list[str]) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    inside = False
    header_indent = 0
    item_indent: int | None = None
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        if not inside:
            if stripped in ("Args:", "Arguments:", "Parameters:", "Params:"):
                inside, header_indent, item_indent, current = True, _indent(line), None, None
            continue
        if not stripped:
            continue
        indent = _indent(line)
        if indent <= header_indent:  # the next section (`Returns:`) or the end
            inside = False
            if stripped in ("Args:", "Arguments:", "Parameters:", "Params:"):
                inside, header_indent, item_indent, current = True, indent, None, None
            continue
        if item_indent is None:
            item_indent = indent
        match = _GOOGLE_ITEM.match(stripped)
        if indent == item_indent and match:
            current = match.group(1)
            params[current] = [match.group(2).strip()] if match.group(2).strip() else []
        elif current is not None:
            params[current].append(stripped)
    return {k: " ".join(v) for k, v in params.items() if v}


def _rest_params(lines: list[str]) -> dict[str, str]:
    params: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        match = _REST_PARAM.match(stripped)
        if match:
            current = match.group(1)
            params[current] = [match.group(2).strip()] if match.group(2).strip() else []
        elif current is not None and stripped and not _REST_FIELD.match(stripped) and _indent(line):
            params[current].append(stripped)
        else:
            current = None
    return {k: " ".join(v) for k, v in params.items() if v}

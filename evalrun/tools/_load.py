"""`tools:` in a task file: the declarations' shapes, and building them into `Tool`s.

    tools:
      - calculator                          # a built-in, by name
      - {builtin: submit, timeout: 5}        # a built-in with settings
      - python: "lookup:find_city"           # a function of lookup.py beside the task file
        name: find                           # optional: the name the model sees
        description: Find a city by name.    # optional: else the docstring's summary
        timeout: 10                          # optional: seconds (default 60)
        max_output: 4000                     # optional: characters (default 16,000)

The shapes are checked with the rest of the task file (pydantic, located by the file's
source map); the tools are built when the task is, where every other component is: the
function imported the way `python:` scorers and steps are (`BuildContext.import_function`,
relative to the task file's folder), its schema derived, names checked for clashes. Every
mistake is an `InputError` at the line and column of the declaration that made it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Discriminator, Field, Tag

from evalrun.errors import InputError
from evalrun.strict import StrictModel, suggest
from evalrun.tools._builtins import BUILTINS
from evalrun.tools._schema import ToolSchemaError
from evalrun.tools._tool import DEFAULT_MAX_OUTPUT, DEFAULT_TIMEOUT, Tool, tool

if TYPE_CHECKING:
    from evalrun.registry import BuildContext

#: what providers accept as a function's name (OpenAI's rule, the strictest)
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BuiltinToolSpec(StrictModel):
    """`{builtin: calculator, timeout: 5}`."""

    list_allowed = True

    builtin: str
    timeout: float | None = Field(default=None, gt=0)
    max_output: int | None = Field(default=None, ge=1)


class PythonToolSpec(StrictModel):
    """`{python: "module:function", name?, description?, timeout?, max_output?}`."""

    list_allowed = True

    python: str
    name: str | None = None
    description: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    max_output: int | None = Field(default=None, ge=1)


def _shape(value: Any) -> str | None:
    if isinstance(value, str):
        return "name"
    if isinstance(value, PythonToolSpec):  # (serializing a validated spec: the header's)
        return "python tool"
    if isinstance(value, BuiltinToolSpec):
        return "builtin tool"
    if isinstance(value, dict):
        if "python" in value:
            return "python tool"
        if "builtin" in value:
            return "builtin tool"
    return None


#: one entry of `tools:`; the tags are no keys of the file, so errors locate by its keys
ToolDeclaration = Annotated[
    Annotated[str, Tag("name")]
    | Annotated[PythonToolSpec, Tag("python tool")]
    | Annotated[BuiltinToolSpec, Tag("builtin tool")],
    Discriminator(
        _shape,
        custom_error_type="tool",
        custom_error_message=(
            "a tool is a built-in's name (`calculator`) or a mapping with "
            "`python: module:function` or `builtin: name`"
        ),
    ),
]


def build_tools(declarations: list[Any], ctx: BuildContext) -> list[Tool]:
    """The tools of `declarations` (validated `ToolDeclaration`s), in order. `ctx` is the
    build context at the `tools` key: locations and the task's folder come from it."""
    tools: list[Tool] = []
    seen: dict[str, int] = {}
    for i, declaration in enumerate(declarations):
        at = ctx.at(i)
        built, name_at = _build_one(declaration, at)
        if not TOOL_NAME.fullmatch(built.name):
            raise InputError(
                f"tool name `{built.name}` is not valid: use 1 to 64 letters, digits, `_` or `-`",
                at.location(*name_at),
            )
        if built.name in seen:
            raise InputError(
                f"tool `{built.name}` is already declared (tool {seen[built.name] + 1}); "
                "give each tool its own name (`name:`)",
                at.location(*name_at),
            )
        seen[built.name] = i
        tools.append(built)
    return tools


def _build_one(declaration: Any, at: BuildContext) -> tuple[Tool, tuple[str, ...]]:
    """One tool, and the key (under the declaration) where its name was written."""
    if isinstance(declaration, str):
        return _builtin(declaration, at, ()), ()
    if isinstance(declaration, BuiltinToolSpec):
        made = _builtin(declaration.builtin, at, ("builtin",))
        if declaration.timeout is not None:  # asked for: then on a thread, where it can apply
            made = replace(made, inline=False)
        return _settings(made, declaration.timeout, declaration.max_output), ("builtin",)
    function = at.import_function(declaration.python, "python")
    try:
        made = tool(function, name=declaration.name, description=declaration.description)
    except ToolSchemaError as exc:
        raise InputError(
            f"tool `{declaration.python}`: {exc.message}", at.location("python")
        ) from None
    name_at = ("name",) if declaration.name is not None else ("python",)
    return _settings(made, declaration.timeout, declaration.max_output), name_at


def _builtin(name: str, at: BuildContext, key: tuple[str, ...]) -> Tool:
    function = BUILTINS.get(name)
    if function is None:
        raise InputError(
            f"unknown built-in tool `{name}`{suggest(name, set(BUILTINS))} "
            f"(built-ins: {', '.join(sorted(BUILTINS))}; a function of yours is "
            "`python: module:function`)",
            at.location(*key),
        )
    return tool(function, inline=True)  # quick and bounded: no thread per call


def _settings(made: Tool, timeout: float | None, max_output: int | None) -> Tool:
    return replace(
        made,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        max_output=max_output if max_output is not None else DEFAULT_MAX_OUTPUT,
    )

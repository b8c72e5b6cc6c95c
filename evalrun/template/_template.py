"""Strict, sandboxed `{{ name }}` templates, on jinja2's `ImmutableSandboxedEnvironment`.

Strict: every placeholder must name something the template can see; unknown names are
found when the task loads (`Template(..., known=...)`) and unknown `metadata.*` keys
when the dataset is planned (`missing_metadata`), both before any model call.
Sandboxed: no globals, no file loader, no access to Python internals or mutation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from evalrun.errors import InputError, Location
from evalrun.strict import suggest


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals.clear()  # no range(), lipsum(), namespace(), ...
    return env


_ENV = _environment()


class Template:
    """A compiled template that knows where it was written."""

    __slots__ = ("_template", "location", "metadata_keys", "names", "source")

    def __init__(self, source: str, known: Iterable[str], location: Location | None = None) -> None:
        self.source = source
        self.location = location
        try:
            tree = _ENV.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            raise InputError(f"template syntax error: {exc.message}", location) from None
        _reject_unsafe(tree, location)
        known = set(known)
        self.names = meta.find_undeclared_variables(tree)
        for name in sorted(self.names):
            if name not in known:
                raise InputError(
                    f"unknown placeholder `{name}` in template{suggest(name, known)} "
                    f"(known: {', '.join(sorted(known))})",
                    location,
                )
        self.metadata_keys = _metadata_keys(tree)
        self._template = _ENV.from_string(tree)

    def render(self, variables: Mapping[str, Any]) -> str:
        try:
            return self._template.render(variables)
        except jinja2.UndefinedError as exc:
            raise InputError(f"template: {exc.message}", self.location) from None
        except jinja2.sandbox.SecurityError as exc:
            raise InputError(f"template: not allowed: {exc}", self.location) from None
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            raise InputError(f"template: {exc}", self.location) from None

    def missing_metadata(self, metadata: Mapping[str, Any]) -> str | None:
        """The first `metadata.X` this template reads that `metadata` lacks, if any."""
        for key in self.metadata_keys:
            if key not in metadata:
                return key
        return None


def _reject_unsafe(tree: nodes.Template, location: Location | None) -> None:
    """Refuse, at load time, what the sandbox would refuse at render time."""
    if next(tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)), None):
        raise InputError("templates cannot include or import other files", location)
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            raise InputError(f"template: attribute `{node.attr}` is not allowed", location)


def _metadata_keys(tree: nodes.Template) -> list[str]:
    keys: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node  # type: ignore[attr-defined]
        if not (isinstance(target, nodes.Name) and target.name == "metadata"):
            continue
        if isinstance(node, nodes.Getattr):
            keys.append(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(getattr(node.arg, "value", None), str):
            keys.append(node.arg.value)  # type: ignore[attr-defined]
    return list(dict.fromkeys(keys))

"""Strict, sandboxed, bounded `{{ name }}` templates, on jinja2's immutable sandbox.

Strict: every placeholder, filter and test must exist. Unknown ones are found when the
task loads (`Template(..., known=...)`), unknown `metadata.*` keys when the dataset is
planned (`missing_metadata`), both before any model call.

Sandboxed: no globals, no file loader, no access to Python internals or mutation. What
the sandbox would refuse at render time is refused when the task loads: attributes and
keys starting with `_`, the `attr` filter, and calls of anything but a short list of
pure methods (`strip`, `split`, `get`, ...).

Bounded: a rendered text longer than `max_chars` (10 million characters unless the run
says otherwise: `--max-prompt-chars`) fails its sample with a clear error. Repetition
(`*`), powers (`**`), `%` formatting, filters and method calls refuse numbers past that
bound before they allocate anything, and results past it after.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from evalrun.errors import InputError, Location
from evalrun.strict import suggest

DEFAULT_MAX_CHARS = 10_000_000
#: the bound of the template being rendered (rendering is synchronous: one at a time)
_BOUND: ContextVar[int] = ContextVar("evalrun_template_bound", default=DEFAULT_MAX_CHARS)
#: a number no template needs past this many bits (10**1233 has 4096)
_MAX_BITS = 4096

#: methods a template may call: they read their object and return a bounded value
SAFE_METHODS = frozenset(
    {
        # text
        "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
        "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle",
        "isupper", "join", "lower", "lstrip", "partition", "removeprefix", "removesuffix",
        "replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines",
        "startswith", "strip", "swapcase", "title", "upper",
        # mappings and lists
        "get", "items", "keys", "values",
        # jinja's loop helpers
        "cycle", "changed",
    }
)  # fmt: skip
#: nodes whose evaluation `_Sandbox` checks against the bound, and nodes that repeat output
_CHECKED = (nodes.Filter, nodes.Call, nodes.Mul, nodes.Pow, nodes.Mod)
_REPEATING = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock)
#: filters that take attribute names (`map(attribute='x')`): no name may start with `_`
_ATTRIBUTE_FILTERS = frozenset(
    {"map", "selectattr", "rejectattr", "groupby", "sort", "sum", "unique", "min", "max"}
)


def _check_value(value: Any) -> Any:
    """`value`, unless it is a text or collection past the bound."""
    bound = _BOUND.get()
    if isinstance(value, str | list | tuple | dict) and len(value) > bound:
        raise SecurityError(f"a value of {len(value):,} items is past the limit of {bound:,}")
    return value


def _check_numbers(args: Iterable[Any]) -> None:
    """Refuse widths and counts past the bound before they are used to allocate."""
    bound = _BOUND.get()
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > bound:
            raise SecurityError(f"the number {arg:,} is past the limit of {bound:,}")


#: a `%` conversion's width and precision (`%-20.5s`)
_WIDTHS = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d*)(?:\.(\d*))?")


def _check_format(text: Any) -> None:
    """Refuse `%` widths past the bound (`'%999999999s' % x` would allocate a gigabyte)."""
    if isinstance(text, str) and "%" in text:
        _check_numbers(int(n) for m in _WIDTHS.finditer(text) for n in m.groups() if n)


def _bounded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses numbers and results past the bound (jinja's own marks kept)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_numbers((*args, *kwargs.values()))
        if name == "format" and args:
            _check_format(args[0])
        return _check_value(function(*args, **kwargs))

    return wrapper


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**" and _huge_power(left, right):
            raise SecurityError(f"{left} ** {right} is too large a number")
        if op == "*":
            bound = _BOUND.get()
            for items, times in ((left, right), (right, left)):
                if (
                    isinstance(items, str | list | tuple)
                    and isinstance(times, int)
                    and len(items) * times > bound
                ):
                    raise SecurityError(
                        f"repeating {len(items):,} items {times:,} times is past the "
                        f"limit of {bound:,}"
                    )
        if op == "%":
            _check_format(left)
        return _check_value(super().call_binop(context, op, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_numbers((*args, *kwargs.values()))
        return _check_value(super().call(__context, __obj, *args, **kwargs))


def _huge_power(base: Any, exponent: Any) -> bool:
    return (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        and exponent * base.bit_length() > _MAX_BITS
    )


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals.clear()  # no range(), lipsum(), namespace(), ...
    del env.filters["attr"]  # Python attributes by name: templates do not reach objects
    env.filters = {name: _bounded(name, f) for name, f in env.filters.items()}
    return env


_ENV = _environment()


class Template:
    """A compiled template that knows where it was written."""

    __slots__ = (
        "_guarded",
        "_parts",
        "_streamed",
        "_template",
        "location",
        "max_chars",
        "metadata_keys",
        "names",
        "source",
    )

    def __init__(
        self,
        source: str,
        known: Iterable[str] | None,
        location: Location | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.source = source
        self.location = location
        self.max_chars = max_chars
        known = None if known is None else set(known)
        try:
            tree = _ENV.parse(source)
            _reject_unsafe(tree, location)
            self._template = _ENV.from_string(tree)
        except RecursionError:
            raise InputError("template nested too deeply", location) from None
        except jinja2.TemplateError as exc:
            raise InputError(f"template error: {exc.message}", location) from None
        self.names = meta.find_undeclared_variables(tree)
        for name in sorted(self.names):
            if known is not None and name not in known:
                raise InputError(
                    f"unknown placeholder `{name}` in template{suggest(name, known)} "
                    f"(known: {', '.join(sorted(known))})",
                    location,
                )
        self.metadata_keys = _metadata_keys(tree)
        #: filters, calls or arithmetic: the checks of `_Sandbox` need this template's bound
        self._guarded = next(tree.find_all(_CHECKED), None) is not None
        #: loops and macros can repeat output: it is measured as it is produced
        self._streamed = next(tree.find_all(_REPEATING), None) is not None
        #: text and placeholders only (`Hello {{ name }}, {{ q.answer }}`): rendered by
        #: joining, without jinja's per-render context (a few µs instead of ~15)
        self._parts = _plain_parts(tree)

    def render(self, variables: Mapping[str, Any]) -> str:
        """The text; past `max_chars`, an `InputError` (the sample fails, not the run).

        Most prompt templates only place values in text: they render as jinja renders,
        and their length is checked once (this runs for every sample).
        """
        if self._parts is not None:
            text = _join(self._parts, variables)
            if text is not None:
                if len(text) > self.max_chars:
                    raise self._too_long()
                return text  # (None: a value the join does not handle; jinja renders it)
        token = _BOUND.set(self.max_chars) if self._guarded else None
        try:
            if not self._streamed:
                text = self._template.render(variables)
                if len(text) > self.max_chars:
                    raise self._too_long()
                return text
            parts, size = [], 0
            for part in self._template.generate(variables):
                size += len(part)
                if size > self.max_chars:
                    raise self._too_long()
                parts.append(part)
            return "".join(parts)
        except jinja2.UndefinedError as exc:
            raise InputError(f"template: {exc.message}", self.location) from None
        except SecurityError as exc:
            raise InputError(f"template: not allowed: {exc}", self.location) from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
            raise InputError(f"template: {exc}", self.location) from None
        except (RecursionError, MemoryError) as exc:
            raise InputError(f"template: {type(exc).__name__}", self.location) from None
        finally:
            if token is not None:
                _BOUND.reset(token)

    def _too_long(self) -> InputError:
        return InputError(
            f"template: the rendered text is longer than {self.max_chars:,} characters "
            "(--max-prompt-chars)",
            self.location,
        )

    def uses(self) -> dict[str, set[str | None]]:
        """How each placeholder is read: the attributes or keys taken of it (`q.answer`,
        `q["answer"]`), and None where it is used whole. For checks at load time: it
        parses the template again."""
        tree = _ENV.parse(self.source)
        taken: dict[str, set[str | None]] = {}
        covered: set[int] = set()
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            target = node.node  # type: ignore[attr-defined]
            if not isinstance(target, nodes.Name):
                continue
            key = (
                node.attr
                if isinstance(node, nodes.Getattr)
                else getattr(getattr(node, "arg", None), "value", None)
            )
            taken.setdefault(target.name, set()).add(key if isinstance(key, str) else None)
            covered.add(id(target))
        for name in tree.find_all(nodes.Name):
            if name.ctx == "load" and id(name) not in covered and name.name in self.names:
                taken.setdefault(name.name, set()).add(None)
        return taken

    def missing_metadata(self, metadata: Mapping[str, Any]) -> str | None:
        """The first `metadata.X` this template reads that `metadata` lacks, if any."""
        for key in self.metadata_keys:
            if key not in metadata:
                return key
        return None


#: a template's parts when it is only text and placeholders: text, or (name, key or None)
_Parts = tuple[str | tuple[str, str | None], ...]
#: values placed as `str(value)` renders them, exactly as jinja does
_PLAIN = (str, int, float, bool, type(None))
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _plain_parts(tree: nodes.Template) -> _Parts | None:
    parts: list[str | tuple[str, str | None]] = []
    for output in tree.body:
        if not isinstance(output, nodes.Output):
            return None
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append(node.data)
            elif isinstance(node, nodes.Name) and node.ctx == "load":
                parts.append((node.name, None))
            elif (
                isinstance(node, nodes.Getattr)
                and isinstance(node.node, nodes.Name)
                and node.attr not in _DICT_ATTRIBUTES
            ):
                parts.append((node.node.name, node.attr))
            else:
                return None
    return tuple(parts)


def _join(parts: _Parts, variables: Mapping[str, Any]) -> str | None:
    """The text of plain parts, or None when a value is missing or not plain data (jinja
    then renders it, and reports what is wrong as it always does)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        name, key = part
        value = variables.get(name, _join)
        if key is not None:
            if type(value) is not dict:
                return None
            value = value.get(key, _join)
        if type(value) not in _PLAIN:
            return None
        out.append(value if type(value) is str else str(value))
    return "".join(out)


def _reject_unsafe(tree: nodes.Template, location: Location | None) -> None:
    """Refuse, at load time, what the sandbox would refuse (or fail on) at render time."""

    def refuse(message: str) -> None:
        raise InputError(f"template: {message}", location)

    if next(tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)), None):
        raise InputError("templates cannot include or import other files", location)
    for attribute in tree.find_all(nodes.Getattr):
        if attribute.attr.startswith("_"):
            refuse(f"attribute `{attribute.attr}` is not allowed")
    for item in tree.find_all(nodes.Getitem):
        key = getattr(item.arg, "value", None)
        if isinstance(key, str) and key.startswith("_"):
            refuse(f"key `{key}` is not allowed")
    for applied in tree.find_all(nodes.Filter):
        if applied.name not in _ENV.filters:
            refuse(f"unknown filter `{applied.name}`{suggest(applied.name, set(_ENV.filters))}")
        if applied.name in _ATTRIBUTE_FILTERS:
            for value in (*applied.args, *(k.value for k in applied.kwargs)):
                name = getattr(value, "value", None)
                if isinstance(name, str) and any(p.startswith("_") for p in name.split(".")):
                    refuse(f"attribute `{name}` is not allowed")
    for test in tree.find_all(nodes.Test):
        if test.name not in _ENV.tests:
            refuse(f"unknown test `{test.name}`{suggest(test.name, set(_ENV.tests))}")
    macros = {m.name for m in tree.find_all(nodes.Macro)} | {"caller"}
    for call in tree.find_all(nodes.Call):
        called = call.node
        if isinstance(called, nodes.Getattr) and called.attr in SAFE_METHODS:
            continue
        if isinstance(called, nodes.Name) and called.name in macros:
            continue
        what = f"method `{called.attr}`" if isinstance(called, nodes.Getattr) else "this"
        refuse(
            f"{what} cannot be called in a template (methods allowed: strip, split, "
            "replace, lower, upper, get, items, ...)"
        )


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

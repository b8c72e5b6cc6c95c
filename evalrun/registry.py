"""Registry by name: solvers, scorers, metrics and reducers.

YAML names a component (`match: {location: end}`), the registry finds its factory,
validates the arguments against the factory's signature (so a typo in an argument is
reported at its line like any other key), and builds it.  The log records the same
name and arguments, which is all `eval-retry` needs to rebuild the component.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import threading
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AfterValidator, BaseModel, ValidationError, create_model

from evalrun.errors import InputError, Location
from evalrun.strict import StrictModel, suggest
from evalrun.template import DEFAULT_MAX_CHARS, Template

if TYPE_CHECKING:
    from evalrun.tools import Tool

Kind = Literal["solver", "scorer", "metric", "reducer", "question"]

#: what `name:` may be on a component registered with `named=True` (a `python:` scorer
#: or step): it becomes a key of results, `metrics:` and `thresholds:` (`concise.accuracy`)
LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Arguments(StrictModel):
    """A mapping of arguments whose unknown keys are reported with every allowed key:
    `unknown key `nme`; did you mean `name`? (allowed: function, args, name)`.

    Every registered component's arguments are checked with one; a factory's parameter
    that takes a mapping of its own (`grader: {model: ...}`) can subclass it too."""

    list_allowed = True


def check_label(value: str | None) -> str | None:
    """A component's `name:`: letters, digits and `_`, not starting with a digit."""
    if value is not None and not LABEL.fullmatch(value):
        raise ValueError(
            f"`{value}` is not a valid name: use letters, digits and `_`, not starting with a digit"
        )
    return value


@dataclass(frozen=True)
class Entry:
    """A registered factory. `positional` takes a YAML value that is not a mapping.

    An entry registered with `named=True` also takes `name:` (checked by `check_label`),
    which is the builder's, not the factory's: `Entry.arguments` returns it under `name`,
    and whoever builds the component takes it out before calling the factory."""

    kind: Kind
    name: str
    factory: Callable[..., Any]
    params: type[BaseModel]
    positional: str | None
    takes_context: bool
    info: dict[str, Any] = field(default_factory=dict)

    def arguments(self, value: Any) -> dict[str, Any]:
        """Validate a YAML value against the factory's parameters (raises ValidationError)."""
        if value is None or value == {}:
            raw: dict[str, Any] = {}
        elif isinstance(value, dict) and (self.positional is None or _is_kwargs(self, value)):
            raw = value
        elif self.positional is not None:
            raw = {self.positional: value}
        else:
            raise InputError(
                f"`{self.name}` takes a mapping of arguments, not {type(value).__name__}"
            )
        validated = self.params.model_validate(raw)
        return {name: getattr(validated, name) for name in validated.model_fields_set}


def _is_kwargs(entry: Entry, value: dict[str, Any]) -> bool:
    """A mapping is keyword arguments, unless the first parameter itself takes a mapping
    (`generate: {temperature: 0}`) and the keys are not parameter names."""
    if not entry.info.get("_positional_mapping"):
        return True
    return all(key in entry.params.model_fields for key in value)


@dataclass(frozen=True)
class Requirement:
    """A component's condition on every sample, and where the component was written."""

    check: Callable[[Any], str | None]
    location: Location | None


@dataclass(frozen=True)
class ModelNeed:
    """A model a component calls besides the model under test (see `need_model`)."""

    make: Callable[[Any], Any]
    #: where the model was written, or (given an argument's name) that argument
    locate: Callable[[str | None], Location | None]


@dataclass(frozen=True)
class BuildContext:
    """What a factory may use while building: templates and user code, located in the file.

    `locate` maps a key under this component to a place in the user's file (or None
    when the task is rebuilt from a log, where there is no file to point at).
    """

    base_dir: Path
    template_vars: frozenset[str]
    where: tuple[str | int, ...] = ()
    locate: Callable[[tuple[str | int, ...]], Location | None] = lambda _where: None
    seed: int | None = None
    #: characters a rendered template may hold (`--max-prompt-chars`)
    max_chars: int = DEFAULT_MAX_CHARS
    #: every template compiled for the task, so the plan can check them against the data
    templates: list[Template] = field(default_factory=list)
    #: what components need of every sample (`multiple_choice`: choices), checked at load
    requirements: list[Requirement] = field(default_factory=list)
    #: the other models components call (a grader), made and checked before any sample
    #: runs, so a bad argument or a missing key stops the run at once, not every sample
    models: list[ModelNeed] = field(default_factory=list)
    #: like `locate`, for a mapping key itself (where an unknown key was written)
    locate_key: Callable[[tuple[str | int, ...]], Location | None] = lambda _where: None
    #: the task's `tools:`, built: what an `agent` step offers unless it names its own
    tools: tuple[Tool, ...] = ()

    def at(self, *keys: str | int) -> BuildContext:
        return replace(self, where=(*self.where, *keys))

    def require(self, check: Callable[[Any], str | None]) -> None:
        """Have every sample checked before any model call: `check(sample)` returns what
        is wrong with it (reported at this component), or None."""
        self.requirements.append(Requirement(check, self.location()))

    def need_model(self, make: Callable[[Any], Any], key: str | None = None) -> None:
        """Have `make(pool)` (which returns the model a component will call) run before the
        first sample; its argument errors are reported at `key` of this component."""
        at = (key,) if key else ()

        def locate(argument: str | None) -> Location | None:
            found = self.location(*at, "model_args", argument) if argument else None
            return found or self.location(*at)

        self.models.append(ModelNeed(make, locate))

    def location(self, *keys: str | int) -> Location | None:
        return self.locate((*self.where, *keys))

    def key_location(self, *keys: str | int) -> Location | None:
        """Where the last of `keys` is written as a mapping key."""
        return self.locate_key((*self.where, *keys))

    def template(self, text: str, key: str | None = None, extra: Iterable[str] = ()) -> Template:
        """Compile `text`; unknown placeholders are reported at the argument's line."""
        where = self.location(key) if key else self.location()
        compiled = Template(text, self.template_vars | set(extra), where, self.max_chars)
        self.templates.append(compiled)
        return compiled

    def import_function(self, reference: str, key: str | None = None) -> Callable[..., Any]:
        """Import `module:function` from the task file's folder or the installed packages."""
        where = self.location(key) if key else self.location()
        module_name, sep, attr = reference.partition(":")
        if not sep or not module_name or not attr:
            raise InputError(f"python: expected `module:function`, got `{reference}`", where)
        folder = str(self.base_dir)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise InputError(
                f"python: cannot import module `{module_name}`: {exc}", where
            ) from None
        except (Exception, SystemExit) as exc:  # its own error, or a sys.exit() on import
            what = (
                f"called sys.exit({exc.code!r})"
                if isinstance(exc, SystemExit)
                else (f"failed: {type(exc).__name__}: {exc}")
            )
            raise InputError(f"python: importing `{module_name}` {what}", where) from None
        function = getattr(module, attr, None)
        if not callable(function):
            raise InputError(f"python: `{module_name}` has no function `{attr}`", where)
        return function


_ENTRIES: dict[str, dict[str, Entry]] = {
    "solver": {},
    "scorer": {},
    "metric": {},
    "reducer": {},
    "question": {},
}
_PATTERNS: dict[str, list[tuple[re.Pattern[str], Callable[..., Any]]]] = {
    "solver": [],
    "scorer": [],
    "metric": [],
    "reducer": [],
    "question": [],
}
_BUILTINS_LOADED = False


def register(
    kind: Kind, name: str, **info: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register `factory` under `name`. A first parameter `ctx` gets a BuildContext.

    `info` is kept on the entry (`metrics=` a scorer's default metrics, `epochs=` what a
    reducer needs); `named=True` lets the component take `name:` (see `Entry`)."""

    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        _ENTRIES[kind][name] = make_entry(kind, name, factory, **info)
        return factory

    return decorate


def register_pattern(kind: Kind, pattern: str, resolve: Callable[[re.Match[str]], Entry]) -> None:
    """Names such as `pass_at_3` resolve through a regex rather than a fixed name."""
    _PATTERNS[kind].append((re.compile(pattern), resolve))


def lookup(kind: Kind, name: str) -> Entry:
    """The entry registered under `name`; an `InputError` with a suggestion otherwise."""
    _load_builtins()
    entry = _ENTRIES[kind].get(name)
    if entry is None and _load_surveys():
        entry = _ENTRIES[kind].get(name)
    if entry is not None:
        return entry
    for pattern, resolve in _PATTERNS[kind]:
        match = pattern.fullmatch(name)
        if match:
            return resolve(match)
    known = names(kind)
    raise InputError(f"unknown {kind} `{name}`{suggest(name, known)} (known: {', '.join(known)})")


def names(kind: Kind) -> list[str]:
    _load_builtins()
    _load_surveys()
    return sorted(_ENTRIES[kind]) + [p.pattern.replace(r"(\d+)", "<k>") for p, _ in _PATTERNS[kind]]


def make_entry(kind: Kind, name: str, factory: Callable[..., Any], **info: Any) -> Entry:
    params, positional, takes_context = _signature_model(
        kind, name, factory, named=bool(info.get("named"))
    )
    if positional is not None:
        annotation = params.model_fields[positional].annotation
        members = typing.get_args(annotation) or (annotation,)
        info["_positional_mapping"] = any(
            m is dict
            or typing.get_origin(m) is dict
            or (isinstance(m, type) and issubclass(m, BaseModel))
            for m in members
        )
    return Entry(kind, name, factory, params, positional, takes_context, info)


#: held while a loader imports the modules that register components: threads of one
#: process (`eval-set --executor ray` runs several units in one worker) wait for the
#: first one's import rather than see a half-filled registry. One lock for both loaders
#: (no lock-order inversion should one ever run inside the other); re-entrant, so that
#: an import that looks a name up in the loading thread does not deadlock
_LOAD_LOCK = threading.RLock()
#: the loaders running in the thread that holds `_LOAD_LOCK` (a re-entrant call returns
#: at once: the import it would make is already under way, further up its stack)
_LOADING: set[str] = set()


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:  # the flag is only set once the import has finished
        return
    with _LOAD_LOCK:
        if _BUILTINS_LOADED or "builtins" in _LOADING:
            return
        _LOADING.add("builtins")
        try:
            import evalrun.scorer
            import evalrun.solver  # noqa: F401
        finally:
            _LOADING.discard("builtins")
        _BUILTINS_LOADED = True


_SURVEYS_LOADED = False


def _load_surveys() -> bool:
    """Register the survey components (the `interview` step, the `answered` scorer, the
    question types) on the first name the built-ins lack: building them costs ~0.2 s of
    pydantic models that a task never needs. True when this call loaded them (or
    another thread did while this one waited: either way, a caller looks again)."""
    global _SURVEYS_LOADED
    if _SURVEYS_LOADED:
        return False
    with _LOAD_LOCK:
        if _SURVEYS_LOADED:
            return True  # loaded by the thread this one waited for
        if "surveys" in _LOADING:
            return False
        _LOADING.add("surveys")
        try:
            import evalrun.survey._interview  # noqa: F401  (and the question types)
        finally:
            _LOADING.discard("surveys")
        _SURVEYS_LOADED = True
    return True


def _signature_model(
    kind: str, name: str, factory: Callable[..., Any], *, named: bool = False
) -> tuple[type[BaseModel], str | None, bool]:
    hints = typing.get_type_hints(factory, include_extras=True)  # keep `Annotated` bounds
    parameters = list(inspect.signature(factory).parameters.values())
    takes_context = bool(parameters) and parameters[0].name == "ctx"
    if takes_context:
        parameters = parameters[1:]
    fields: dict[str, Any] = {}
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = ... if p.default is p.empty else p.default
        fields[p.name] = (hints.get(p.name, Any), default)
    if named:
        if "name" in fields:
            raise TypeError(f"{kind} `{name}`: a named component cannot take an argument `name`")
        fields["name"] = (typing.Annotated[str | None, AfterValidator(check_label)], None)
    model = create_model(f"{kind}_{name}_args", __base__=Arguments, **fields)
    positional = next(iter(fields), None)
    return model, positional, takes_context


__all__ = [
    "LABEL",
    "Arguments",
    "BuildContext",
    "Entry",
    "Kind",
    "ValidationError",
    "check_label",
    "lookup",
    "make_entry",
    "names",
    "register",
    "register_pattern",
]

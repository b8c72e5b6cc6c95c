"""Turn pydantic's validation errors into one friendly line at the right place."""

from __future__ import annotations

from pydantic import ValidationError

from evalrun.errors import InputError
from evalrun.spec._yaml import PathKey, SourceMap


def explain(exc: ValidationError, source: SourceMap, prefix: PathKey = ()) -> InputError:
    """The most useful single error of `exc`, located in `source`."""
    errors = exc.errors(include_url=False)
    # Prefer errors that point deepest into the document, then unknown keys.
    best = max(errors, key=lambda e: (_depth(e["loc"], source, prefix), e["type"] == "unknown_key"))
    loc = _data_path(best["loc"], source, prefix)
    message = best["msg"]
    if best["type"] == "unknown_key":
        key = str(best.get("ctx", {}).get("key"))
        return source.error((*loc, key), message, key=True)
    if best["type"] == "missing":
        return source.error(loc, f"missing required key `{best['loc'][-1]}`")
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    name = ".".join(str(p) for p in loc[len(prefix) :]) if len(loc) > len(prefix) else ""
    if not name or (loc and str(loc[-1]) in message):
        return source.error(loc, message)
    text = f"{name}: {message[0].lower()}{message[1:]}"
    return source.error(loc, text)


def _data_path(loc: tuple, source: SourceMap, prefix: PathKey) -> PathKey:
    """Keep the parts of pydantic's `loc` that are keys or indexes of the document."""
    path: PathKey = tuple(prefix)
    for part in loc:
        if (*path, part) in source.values:
            path = (*path, part)
    return path


def _depth(loc: tuple, source: SourceMap, prefix: PathKey) -> int:
    return len(_data_path(loc, source, prefix))

"""Keeping API keys out of logs, caches and messages.

evalrun knows every key a run can use, and registers each one here:
- the variable a model's `api_key_env` names, or its provider's standard variable
  (`OPENAI_API_KEY`, ...), which evalrun reads itself and passes to litellm;
- for real providers, every secret-looking variable of the environment (`*_KEY`,
  `*_TOKEN`, `*_SECRET`, ...), since litellm reads some credentials on its own (AWS
  keys for Bedrock, a second variable name for the same provider).

Everything recorded or printed then passes `scrub()` at a few choke points, whatever
produced it: model output (`Model`), every line of a log (its encoder), error records,
and the process's standard output and error (`scrub_output`, installed by the CLI).
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import Any, TextIO

#: every registered key (mutated in place, never rebound: `if KEYS:` is the cheap test
#: the per-sample paths make)
KEYS: set[str] = set()
#: every key as text, as bytes and as JSON escapes it, longest first (so that no key
#: masks part of another). Never mutated: `remember` rebinds it to a new list, so a
#: reader in another thread (several units run in threads of one Ray worker) that takes
#: it once always sees a whole list, never one being sorted (which CPython empties)
_FORMS: list[tuple[str, bytes, bytes]] = []
#: held by `remember` while it updates `KEYS` and `_FORMS`
_LOCK = threading.Lock()

#: names of environment variables that hold credentials
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
#: values shorter than this, from variables evalrun did not read as keys, are not masked
#: (`MAX_TOKENS=512` is no secret, and masking `512` everywhere would garble logs)
_MIN_GUESSED = 8

MASK = "***"


def read_key(variable: str) -> str | None:
    """The key in environment variable `variable`, remembered for scrubbing."""
    value = os.environ.get(variable)
    if value:
        remember(value)
    return value


def remember(value: str) -> None:
    """Mask `value` wherever evalrun writes or prints from now on."""
    global _FORMS
    value = value.strip()
    if not value or value in KEYS:
        return
    import orjson  # the log's own encoder: a key is masked as the log spells it

    with _LOCK:
        if value in KEYS:  # remembered by another thread meanwhile
            return
        forms = [*_FORMS, (value, value.encode(), orjson.dumps(value)[1:-1])]
        forms.sort(key=lambda form: -len(form[0]))
        _FORMS = forms
        # after `_FORMS`: whoever sees the key in `KEYS` (`if KEYS:`) finds it masked
        KEYS.add(value)


def remember_environment() -> None:
    """Register every secret-looking variable of the environment (for real providers)."""
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name) and len(value.strip()) >= _MIN_GUESSED:
            remember(value)


def scrub(text: str) -> str:
    """`text` with every registered key replaced by `***`."""
    for key, _, _ in _FORMS:  # the list as it is now (`remember` rebinds, never mutates)
        if key in text:
            text = text.replace(key, MASK)
    return text


def scrub_bytes(data: bytes) -> bytes:
    """Encoded JSON with every registered key masked (raw, or as JSON escapes it)."""
    for _, raw, encoded in _FORMS:  # as in `scrub`: one list, read once
        if raw in data:
            data = data.replace(raw, MASK.encode())
        if encoded != raw and encoded in data:
            data = data.replace(encoded, MASK.encode())
    return data


class _ScrubbedStream:
    """A text stream that masks registered keys in everything written to it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub(text) if KEYS else text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def scrub_output() -> None:
    """Mask keys in everything this process prints (the CLI's last line of defence)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _ScrubbedStream):
            setattr(sys, name, _ScrubbedStream(stream))

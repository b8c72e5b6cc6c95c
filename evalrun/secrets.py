"""Keeping API keys out of logs, caches and messages.

Keys come only from the environment. Whatever reads one registers it here, and every
error message or traceback that is about to be recorded or printed passes `scrub()`,
which masks any registered key (providers sometimes echo part of a request back).
"""

from __future__ import annotations

import os

_KEYS: set[str] = set()


def read_key(variable: str) -> str | None:
    """The key in environment variable `variable`, remembered for scrubbing."""
    value = os.environ.get(variable)
    if value:
        _KEYS.add(value)
    return value


def scrub(text: str) -> str:
    for key in _KEYS:
        if key in text:
            text = text.replace(key, "***")
    return text

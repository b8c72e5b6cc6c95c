"""Lettered choices: rendering them and reading the letter(s) a model answered."""

from __future__ import annotations

import re
import string

LETTERS = string.ascii_uppercase

_ANSWER = re.compile(
    r"ANSWER\s*[:：]\s*\(?\s*([A-Z](?:\s*[,&]?\s*(?:and\s+)?[A-Z])*)\b", re.IGNORECASE
)
_BARE = re.compile(r"^\s*\(?([A-Z])\)?[.):]?(?:\s|$)")


def letters(n: int) -> list[str]:
    return list(LETTERS[:n])


def render_choices(choices: list[str]) -> str:
    return "\n".join(f"{letter}) {text}" for letter, text in zip(LETTERS, choices, strict=False))


def parse_letters(text: str, n: int, *, multiple: bool = False) -> list[str]:
    """The letters answered, from `ANSWER: B` (or `ANSWER: A, C`) or a bare `B`/`(B)`."""
    valid = set(LETTERS[:n])
    found = _ANSWER.findall(text)
    if found:
        raw = found[-1].upper()
        picked = [c for c in raw if c in valid] if multiple else [raw[0]] if raw[0] in valid else []
        return list(dict.fromkeys(picked))
    bare = _BARE.match(text.upper()) if len(text.strip()) <= 4 or not multiple else None
    if bare and bare.group(1) in valid:
        return [bare.group(1)]
    return []

"""Reading what a model answered: the `ANSWER:` / `COMMENT:` split, cleaning, numbers,
lists and mappings.

Models, small local ones above all, answer in many shapes: `ANSWER: Blue`, a bare `blue`,
`**Blue**.`, `"Agree"`, `red, blue`, a bulleted list, a JSON list or object, a fenced
```json block. These helpers turn each shape into plain pieces (a string, items, key/value
pairs) that a question type then validates. They never pick one reading among several:
what cannot be read one way only is an `InvalidAnswer`, whose reason a person (and the
model, when it is asked again) can act on.

Everything here runs once per answer, hundreds of thousands of times in a big survey:
patterns are compiled once, and the common case (a short one-line answer) does no work
beyond a regex scan and a few string methods.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

#: an answer marker: `ANSWER:` anywhere, or `Answer:` / `**Final answer:**` starting a line
ANSWER_MARK = re.compile(
    r"(?:^[ \t>#*_-]*(?i:final[ \t]+)?(?i:answer)|ANSWER)[ \t*_]*:(?:\*\*|__)?[ \t]*",
    re.MULTILINE,
)
#: a comment marker, in the same shapes
COMMENT_MARK = re.compile(
    r"(?:^[ \t>#*_-]*(?i:comment)|COMMENT)[ \t*_]*:(?:\*\*|__)?[ \t]*", re.MULTILINE
)
#: what separates items written on one line
ITEM_SEPARATOR = re.compile(r"\s*[,;]\s*")
#: what separates ranked items on one line (`red > blue > green` too)
RANK_SEPARATOR = re.compile(r"\s*[,;>]\s*")
#: what separates the options of an answer that names several (`red or blue`)
CHOICE_SEPARATOR = re.compile(r"\s*(?:[,;/&\n]|\b(?:or|and)\b)\s*", re.IGNORECASE)
#: a bullet or number starting a line of a list: `- a`, `* a`, `1. a`, `2) a`
BULLET = re.compile(r"^(?:[-*•+]|\d+[.)])\s+")
#: a fenced block, its body captured
FENCE = re.compile(r"```[A-Za-z0-9_+-]*[ \t]*\n?(.*?)```", re.DOTALL)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
#: pairs that may wrap an answer: markdown emphasis, code, quotes, template brackets
_WRAPPERS = (
    ("**", "**"),
    ("__", "__"),
    ("*", "*"),
    ("`", "`"),
    ('"', '"'),
    ("'", "'"),
    ("\u201c", "\u201d"),
    ("\u2018", "\u2019"),
    ("\u00ab", "\u00bb"),
    ("<", ">"),
    ("[", "]"),
)
_TRAILING = ".!;,"
#: the characters a decorated answer starts or ends with (most answers have none)
_OPENING = frozenset("`*_" + "".join(o[0] for o, _ in _WRAPPERS))
_CLOSING = frozenset(_TRAILING + "`*_" + "".join(c[-1] for _, c in _WRAPPERS))
_CURRENCY = "$\u20ac\u00a3\u00a5"
_SHOW_CHARS = 60
_DECODER = json.JSONDecoder()
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=list)


class InvalidAnswer(Exception):
    """An answer that does not parse or validate. `reason` is one short line naming the bad
    value and what was expected; the interview shows it to the model when it asks again.

    `final` marks a reason that reading only the first line must not get around (`red`
    then `blue` on the next line names two options: taking `red` would be a guess)."""

    def __init__(self, reason: str, *, final: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


@dataclass(frozen=True, slots=True)
class Parsed:
    """A valid answer (JSON-able, as the log records it) and the model's comment, if any."""

    answer: Any
    comment: str | None


def split(text: str) -> tuple[str, str | None]:
    """(the answer's text, the comment or None).

    The answer is what follows the last answer marker, up to a comment marker; without a
    marker, the whole text up to a comment marker. A comment written before the answer
    marker counts too."""
    last = None
    for last in ANSWER_MARK.finditer(text):  # noqa: B007 (the last one is wanted)
        pass
    if last is not None:
        start = last.end()
        after = COMMENT_MARK.search(text, start)
        if after is not None:
            return text[start : after.start()], _comment(text[after.end() :])
        before = COMMENT_MARK.search(text, 0, last.start())
        if before is not None:
            return text[start:], _comment(text[before.end() : last.start()])
        return text[start:], None
    found = COMMENT_MARK.search(text)
    if found is not None:
        return text[: found.start()], _comment(text[found.end() :])
    return text, None


def _comment(text: str) -> str | None:
    return text.strip() or None


def unfence(text: str) -> str:
    """The body of a fenced code block (```json ... ```), or the text as it was."""
    if not text.startswith("```"):
        return text
    newline = text.find("\n")
    body = text[newline + 1 :] if newline >= 0 else text[3:]
    body = body.rstrip()
    if body.endswith("```"):
        body = body[:-3]
    return body.strip()


def clean(text: str) -> str:
    """A one-value answer without its decoration: whitespace, code fences, `**bold**`,
    quotes, `<...>` or `[...]` around it, and trailing full stops (`**Blue**.` -> `Blue`)."""
    text = text.strip()
    while text and (text[0] in _OPENING or text[-1] in _CLOSING):
        before = text
        text = unfence(text)
        if text and text[-1] in _TRAILING:
            text = text.rstrip(_TRAILING).rstrip()
        if text[:1] == "*" or text[-1:] == "*":  # emphasis left open: `**Blue`
            text = text.strip("*").strip()
        for opening, closing in _WRAPPERS:
            if (
                len(text) >= len(opening) + len(closing)
                and text.startswith(opening)
                and text.endswith(closing)
            ):
                text = text[len(opening) : len(text) - len(closing)].strip()
                break
        if text == before:
            break
    return text


def fold(text: str) -> str:
    """The key an answer is matched by: lower case, whitespace runs as one space."""
    return " ".join(text.lower().split())


def key(text: str) -> str:
    """How an option (or an item, a field) is looked up: cleaned, then folded."""
    return fold(clean(text))


def show(value: Any) -> str:
    """A value as a reason quotes it: on one line, at most 60 characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 1] + "\u2026"


def listing(names: list[str], most: int = 12) -> str:
    """`red, green, blue` (the first `most` names, then how many more)."""
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f", and {len(names) - most} more"


def number(text: str) -> int | float | None:
    """A number written plainly: `42`, `-3.5`, `1e3`, `1,000` (thousands), `$5`, `50%`.

    None for anything else (`5 million`, `about 30`, `1,5`): a unit or a word could change
    the value, so it is not read. An int when the value is whole."""
    if text.isdigit() and text.isascii() and len(text) < 100:  # the common case: `4`
        return int(text)
    text = text.strip().replace("\u2212", "-")
    if text[:1] in _CURRENCY and text:
        text = text[1:].lstrip()
    if text.endswith("%"):
        text = text[:-1].rstrip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif not _NUMBER.fullmatch(text):
        return None
    try:
        if "." not in text and "e" not in text and "E" not in text:
            return int(text)
        value = float(text)
    except ValueError:  # past Python's limit on the digits of an int
        return None
    return whole(value)


def whole(value: float) -> int | float | None:
    """An int when `value` is whole, None when it is not finite."""
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def json_number(value: Any) -> int | float | None:
    """A number from JSON (not a boolean), or a plainly written one in a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return whole(value)
    if isinstance(value, str):
        return number(clean(value))
    return None


def format_number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.10g}"


def items(text: str, separator: re.Pattern[str] = ITEM_SEPARATOR) -> tuple[list[str], str | None]:
    """The items of a list answer and the text after it (a comment, for a bare answer).

    A JSON list; a bulleted or numbered list (the lines after it are the comment); one line
    of items separated by commas (the lines after it are the comment); or one item a line."""
    text = unfence(text.strip())
    if text.startswith("["):
        decoded = _json_prefix(text)
        if decoded is not None:
            value, rest = decoded
            if not isinstance(value, list):  # pragma: no cover - `[` starts a list
                raise InvalidAnswer("expected a list")
            found = []
            for position, item in enumerate(value, 1):
                if isinstance(item, str):
                    found.append(item)
                elif isinstance(item, int | float) and not isinstance(item, bool):
                    found.append(format_number(item))
                else:
                    raise InvalidAnswer(f"item {position} (`{show(item)}`) is not a text")
            return found, _comment(rest)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return [], None
    first = lines[0]
    if BULLET.match(first):
        count = 0
        while count < len(lines) and BULLET.match(lines[count]):
            count += 1
        bulleted = [BULLET.sub("", line, count=1) for line in lines[:count]]
        return bulleted, _comment("\n".join(lines[count:]))
    if len(lines) == 1 or separator.search(first):
        if first.startswith("[") and first.endswith("]"):  # ['a', 'b']: not JSON, still clear
            first = first[1:-1]
        return separator.split(first), _comment("\n".join(lines[1:]))
    return lines, None


def pairs(text: str) -> tuple[list[tuple[str, Any]], bool, str | None]:
    """The key/value pairs of a mapping answer, whether they came from JSON (typed values)
    or from `key: value` text (string values), and the text after a JSON object.

    A JSON object (alone, after some words, or in the last fenced block), else one
    `key: value` (or `key = value`) pair a line, or pairs separated by commas on one line."""
    text = text.strip()
    if "```" in text:
        blocks = FENCE.findall(text)
        if blocks:
            text = blocks[-1].strip()
    start = text.find("{")
    if start >= 0:
        decoded = _json_prefix(text[start:], _PAIRS_DECODER)
        if decoded is None:
            raise InvalidAnswer(f"`{show(text[start:])}` is not a valid JSON object")
        value, rest = decoded
        if not isinstance(value, list):  # pragma: no cover - `{` starts an object
            raise InvalidAnswer("expected a JSON object")
        return [(str(k), v) for k, v in value], True, _comment(rest)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1:
        lines = [part for part in ITEM_SEPARATOR.split(lines[0]) if part]
    found: list[tuple[str, Any]] = []
    for line in lines:
        line = BULLET.sub("", line, count=1)
        colon, equals = line.find(":"), line.find("=")
        cut = min(i for i in (colon, equals) if i >= 0) if colon >= 0 or equals >= 0 else -1
        if cut < 0:
            raise InvalidAnswer(
                f"`{show(line)}` is not a `name: value` pair; expected a JSON object"
            )
        found.append((clean(line[:cut]), line[cut + 1 :].strip()))
    if not found:
        raise InvalidAnswer("the answer is empty")
    return found, False, None


def _json_prefix(text: str, decoder: json.JSONDecoder = _DECODER) -> tuple[Any, str] | None:
    """The JSON value at the start of `text` and what follows it, or None."""
    try:
        value, end = decoder.raw_decode(text)
    except (ValueError, RecursionError):
        return None
    rest = text[end:].strip()
    if rest.startswith("```"):
        rest = rest[3:].strip()
    return value, rest

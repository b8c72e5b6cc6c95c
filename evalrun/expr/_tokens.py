"""The tokenizer: text to a list of tokens, each with its offset in the text.

A character or operator that the language refuses becomes an `error` token carrying its
message, and tokenizing stops there. The parser raises when it reaches that token, so that
of two problems the first in the text is the one reported (`f(x); y` is about the call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from evalrun.expr._values import MAX_NUMBER

NUMBER: Final = "number"
STRING: Final = "string"
WORD: Final = "word"
OP: Final = "op"
ERROR: Final = "error"
END: Final = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    #: the token as written (a string token with its quotes)
    text: str
    offset: int
    #: a number's or string's value; an error token's message
    value: Any = None


#: operators of the language, longest first where one is the start of another
_OPERATORS: Final = ("==", "!=", "<=", ">=", "//", "<", ">", "+", "-", "*", "/", "%")
_PUNCTUATION: Final = frozenset("()[],.")
#: operators of Python (or of other languages) that are not in this one, with why
_REFUSED: Final = {
    "**": "powers are not allowed: `**`",
    ":=": "assignment is not allowed: `:=`",
    "=": "assignment is not allowed: `=` (to compare, use `==`)",
    ";": "`;` is not allowed: write a single expression",
    "&&": "`&&` is not allowed; use `and`",
    "||": "`||` is not allowed; use `or`",
    "&": "`&` is not allowed; use `and`",
    "|": "`|` is not allowed; use `or`",
    "!": "`!` is not allowed; use `not`",
    "<<": "bitwise operators are not allowed: `<<`",
    ">>": "bitwise operators are not allowed: `>>`",
    "^": "bitwise operators are not allowed: `^`",
    "~": "bitwise operators are not allowed: `~`",
    "{": "dicts and sets are not allowed: `{`",
    "}": "dicts and sets are not allowed: `}`",
    ":": "`:` is not allowed here",
}
_REFUSED_LONG: Final = tuple(op for op in _REFUSED if len(op) == 2)
_ESCAPES: Final = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_DIGITS: Final = frozenset("0123456789")


def _is_name_char(char: str) -> bool:
    return char == "_" or ("a" + char).isidentifier()


def _show_char(char: str) -> str:
    if char == "`":
        return "`` ` ``"
    return f"`{char}`" if char.isprintable() else f"`U+{ord(char):04X}`"


def tokenize(source: str) -> list[Token]:
    """The tokens of `source`, ending with an `end` token (offset: the end of the text
    without trailing blanks); the last before it may be an `error` token."""
    tokens: list[Token] = []
    length = len(source)
    i = 0
    while i < length:
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if char in _DIGITS:
            token = _number(source, i)
        elif char == "'" or char == '"':
            token = _string(source, i)
        elif char.isidentifier():
            end = i + 1
            while end < length and _is_name_char(source[end]):
                end += 1
            token = Token(WORD, source[i:end], i)
        else:
            token = _operator(source, i)
        tokens.append(token)
        if token.kind == ERROR:
            break
        i = token.offset + len(token.text)
    tokens.append(Token(END, "", len(source.rstrip())))
    return tokens


def _operator(source: str, i: int) -> Token:
    pair = source[i : i + 2]
    if pair in _REFUSED_LONG:
        return Token(ERROR, pair, i, _REFUSED[pair])
    for op in _OPERATORS:
        if source.startswith(op, i):
            return Token(OP, op, i)
    char = source[i]
    if char in _PUNCTUATION:
        return Token(OP, char, i)
    if char in _REFUSED:
        return Token(ERROR, char, i, _REFUSED[char])
    return Token(ERROR, char, i, f"unknown character {_show_char(char)}")


def _number(source: str, start: int) -> Token:
    """digits [. digits] [e [+-] digits]; anything glued to it (`1abc`, `1.2.3`, `0x1`) is
    an invalid number rather than two tokens."""
    length = len(source)
    i = start
    while i < length and source[i] in _DIGITS:
        i += 1
    is_float = False
    if i + 1 < length and source[i] == "." and source[i + 1] in _DIGITS:
        is_float = True
        i += 1
        while i < length and source[i] in _DIGITS:
            i += 1
    if i < length and source[i] in "eE":
        j = i + 1
        if j < length and source[j] in "+-":
            j += 1
        if j < length and source[j] in _DIGITS:
            is_float = True
            i = j
            while i < length and source[i] in _DIGITS:
                i += 1
    end = i
    while end < length and (
        _is_name_char(source[end])
        or (source[end] == "." and end + 1 < length and source[end + 1] in _DIGITS)
    ):
        end += 1
    text = source[start:end]
    if end != i:
        return Token(ERROR, text, start, f"invalid number `{text}`")
    try:
        value: int | float = float(text) if is_float else int(text)
    except ValueError:  # an int of more digits than Python converts
        value = float("inf")
    if not -MAX_NUMBER <= value <= MAX_NUMBER:
        shown = text if len(text) <= 20 else text[:17] + "..."
        return Token(ERROR, text, start, f"number too large: `{shown}`")
    return Token(NUMBER, text, start, value)


def _string(source: str, start: int) -> Token:
    quote = source[start]
    length = len(source)
    parts: list[str] = []
    i = start + 1
    chunk = i
    while i < length:
        char = source[i]
        if char == quote:
            parts.append(source[chunk:i])
            return Token(STRING, source[start : i + 1], start, "".join(parts))
        if char == "\\":
            parts.append(source[chunk:i])
            escaped = source[i + 1 : i + 2]
            if escaped not in _ESCAPES:
                if not escaped:
                    break
                return Token(ERROR, source[i : i + 2], i, f"unknown escape `\\{escaped}`")
            parts.append(_ESCAPES[escaped])
            i += 2
            chunk = i
            continue
        i += 1
    return Token(ERROR, source[start:], start, "unterminated string")

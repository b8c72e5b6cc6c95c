"""The parser: tokens to compiled closures, by precedence climbing.

One left-to-right pass; the first problem in the text is the one reported, as an `ExprError`
at the offending token. Nesting is bounded twice: the parser's own recursion (parentheses,
brackets, prefixes, operators waiting for their right side) and the depth of what it builds
(which bounds the recursion of every evaluation), each at `MAX_DEPTH`.
"""

from __future__ import annotations

import keyword
from typing import Final, NoReturn

from evalrun.expr import _compile as c
from evalrun.expr._errors import ExprError
from evalrun.expr._expression import Expression, Reference
from evalrun.expr._tokens import END, ERROR, NUMBER, OP, STRING, WORD, Token, tokenize

#: the longest expression accepted, in characters
MAX_LENGTH: Final = 10_000
#: the deepest nesting accepted (see the module's docstring)
MAX_DEPTH: Final = 100

# binding strength, loosest first; `not` is a prefix between `and` and the comparisons
OR, AND, NOT, COMPARE, SUM, TERM, UNARY = range(1, 8)

_LITERALS: Final = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "null": None,
    "None": None,
}
#: words of Python that this language refuses, with why
_REFUSED_WORDS: Final = {
    "lambda": "lambdas are not allowed: `lambda`",
    "if": "conditional expressions are not allowed: `if`",
    "else": "conditional expressions are not allowed: `else`",
    "for": "comprehensions are not allowed: `for`",
    "import": "imports are not allowed: `import`",
    "from": "imports are not allowed: `from`",
    "is": "`is` is not allowed; use `==` or `!=`",
}
_OPERATOR_LEVELS: Final = {
    "==": COMPARE,
    "!=": COMPARE,
    "<": COMPARE,
    "<=": COMPARE,
    ">": COMPARE,
    ">=": COMPARE,
    "+": SUM,
    "-": SUM,
    "*": TERM,
    "/": TERM,
    "//": TERM,
    "%": TERM,
}
_WORD_LEVELS: Final = {"or": OR, "and": AND, "in": COMPARE}


def parse(source: str) -> Expression:
    """Parse `source` once into an `Expression` to evaluate many times.

    Raises `ExprError` (message, offset) for anything outside the language.
    """
    if not isinstance(source, str):
        raise TypeError(f"an expression is a string, not {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"expression is too long (more than {MAX_LENGTH:,} characters)", MAX_LENGTH)
    parser = _Parser(source)
    code = parser.parse()
    fn = code.fn
    if code.boolean:
        test = fn
    else:

        def test(env: c.Env) -> bool:
            return True if fn(env) else False  # noqa: SIM210

    return Expression(source, tuple(parser.references), fn, test)


def _show(token: Token) -> str:
    text = " ".join(token.text.split())
    return text if len(text) <= 20 else text[:17] + "..."


def _fail(token: Token, message: str) -> NoReturn:
    """Raise `message` at `token`, or the token's own message when it is an error token
    (`a and @` is about the `@`)."""
    if token.kind == ERROR:
        raise ExprError(token.value, token.offset)
    raise ExprError(message, token.offset)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0
        self.depth = 0
        self.references: list[Reference] = []

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def _is_op(self, text: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == OP and token.text == text

    def parse(self) -> c.Code:
        if self.token.kind == END:
            raise ExprError("empty expression", 0)
        code = self.binary(0, None)
        if self.token.kind != END:
            self.unexpected(self.token)
        return code

    # --- operators ---------------------------------------------------------------------

    def binary(self, min_level: int, after: str | None) -> c.Code:
        """An expression whose operators all bind at least as tightly as `min_level`;
        `after` names what came before it, for "expected an expression after `and`"."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            _fail(self.token, f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        left = self.prefix(min_level, after)
        level = 0
        items = [left]
        ops: list[str] = []
        first_op = self.token
        while True:
            found = self.operator()
            if found is None or found[0] < min_level:
                break
            op_level, op, width = found
            if ops and op_level != level:  # a looser operator: what came before is its left
                items = [self.build(level, ops, items, first_op)]
                ops = []
            if not ops:
                first_op = self.token
            level = op_level
            self.pos += width
            items.append(self.binary(op_level + 1, op))
            ops.append(op)
        self.depth -= 1
        return self.build(level, ops, items, first_op) if ops else left

    def operator(self) -> tuple[int, str, int] | None:
        """The binary operator at the current token: (level, operator, tokens it spans)."""
        token = self.token
        if token.kind == OP:
            level = _OPERATOR_LEVELS.get(token.text)
            return None if level is None else (level, token.text, 1)
        if token.kind == WORD:
            level = _WORD_LEVELS.get(token.text)
            if level is not None:
                return level, token.text, 1
            following = self.tokens[self.pos + 1]
            if token.text == "not" and following.kind == WORD and following.text == "in":
                return COMPARE, "not in", 2
        return None

    def build(self, level: int, ops: list[str], items: list[c.Code], at: Token) -> c.Code:
        if level == OR:
            code = c.logical("or", items)
        elif level == AND:
            code = c.logical("and", items)
        elif level == COMPARE:
            code = c.compare(ops, items)
        else:
            code = c.arithmetic(ops, items)
        return self.bounded(code, at)

    def bounded(self, code: c.Code, at: Token) -> c.Code:
        if code.depth > MAX_DEPTH:
            _fail(at, f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        return code

    def prefix(self, min_level: int, after: str | None) -> c.Code:
        token = self.token
        if token.kind == WORD and token.text == "not":
            if min_level > NOT:
                _fail(token, "`not` must be in parentheses here: `(not ...)`")
            self.pos += 1
            return self.bounded(c.unary("not", self.binary(NOT, "not")), token)
        if token.kind == OP and token.text in ("-", "+"):
            self.pos += 1
            return self.bounded(c.unary(token.text, self.binary(UNARY, token.text)), token)
        return self.atom(after)

    # --- atoms ---------------------------------------------------------------------------

    def atom(self, after: str | None) -> c.Code:
        token = self.token
        kind = token.kind
        if kind in (NUMBER, STRING):
            self.pos += 1
            code = c.constant(token.value)
        elif kind == WORD:
            word = token.text
            if word in _LITERALS:
                self.pos += 1
                code = c.constant(_LITERALS[word])
            elif word in _REFUSED_WORDS:
                _fail(token, _REFUSED_WORDS[word])
            elif word in _WORD_LEVELS:
                self.expected(token, after)
            elif keyword.iskeyword(word):
                _fail(token, f"`{word}` is a reserved word")
            else:
                code = self.name()
        elif self._is_op("("):
            self.pos += 1
            if self._is_op(")"):
                _fail(token, "empty parentheses `()`")
            code = self.binary(0, "(")
            if self.token.kind == END:
                _fail(token, "unclosed `(`")
            if not self._is_op(")"):
                self.unexpected(self.token)
            self.pos += 1
        elif self._is_op("["):
            code = self.brackets()
        else:
            self.expected(token, after)
        self.refuse_postfix(token)
        return code

    def refuse_postfix(self, start: Token) -> None:
        """Calls, subscripts and attributes of anything but a name are not in the language:
        say so at the token that would begin one."""
        token = self.token
        if token.kind != OP:
            return
        what = " ".join(self.source[start.offset : token.offset].split())
        if len(what) > 30:
            what = what[:27] + "..."
        if token.text == "(":
            _fail(token, f"calls are not allowed: `{what}(...)`")
        if token.text == "[":
            _fail(token, f"subscripts are not allowed: `{what}[...]`")
        if token.text == ".":
            following = self.tokens[self.pos + 1]
            if following.kind == WORD and following.text.startswith("_"):
                _fail(following, f"names starting with `_` are not allowed: `{following.text}`")
            _fail(token, "`.` can only follow a name")

    def name(self) -> c.Code:
        """A name and its dotted parts. Any word can be a part (`scenario.from`); no name
        or part may start with `_`, the way into Python's internals."""
        first = self.token
        path: list[str] = []
        token = first
        while True:
            if token.text.startswith("_"):
                _fail(token, f"names starting with `_` are not allowed: `{token.text}`")
            path.append(token.text)
            self.pos += 1
            if not self._is_op("."):
                break
            self.pos += 1
            token = self.token
            if token.kind != WORD:
                _fail(token, "expected a name after `.`")
        self.references.append(Reference(tuple(path), first.offset))
        return c.lookup(tuple(path))

    def brackets(self) -> c.Code:
        opening = self.token
        self.pos += 1
        items: list[c.Code] = []
        after = "["
        while not self._is_op("]"):
            items.append(self.binary(0, after))
            if self._is_op(","):
                self.pos += 1
                after = ","
            elif self.token.kind == END:
                _fail(opening, "unclosed `[`")
            elif not self._is_op("]"):
                self.unexpected(self.token)
        self.pos += 1
        return self.bounded(c.sequence(items), opening)

    # --- errors --------------------------------------------------------------------------

    def expected(self, token: Token, after: str | None) -> NoReturn:
        """No expression where one must start."""
        if after is None:
            self.unexpected(token)
        _fail(token, f"expected an expression after `{after}`")

    def unexpected(self, token: Token) -> NoReturn:
        if token.kind == WORD:
            if token.text in _REFUSED_WORDS:
                _fail(token, _REFUSED_WORDS[token.text])
            if token.text == "not":
                _fail(self.tokens[self.pos + 1], "expected `in` after `not`")
        _fail(token, f"unexpected `{_show(token)}`")

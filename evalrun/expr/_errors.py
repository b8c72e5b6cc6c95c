"""The one exception of the expression language."""

from __future__ import annotations


class ExprError(Exception):
    """An expression that cannot be parsed or is not allowed.

    `message` is one short line naming what is wrong (``calls are not allowed: `f(...)` ``);
    `offset` is the 0-based index, in the expression's text, of the offending character. The
    error knows nothing of files: whoever read the text from a file adds the offset to where the
    text starts there (a YAML value's column) and reports a located error of their own.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message

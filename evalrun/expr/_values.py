"""The values of the expression language and its operators, as total functions.

Every operator here takes any two values and returns a value: a type mismatch, a missing
answer, a division by zero or a result too big to be sensible gives `NO_ANSWER` (or false, for
comparisons), never an exception. Types are told apart by `type(x) is ...`, not `isinstance`,
so that `bool` is not a number here (`true == 1` is false) and each check is one pointer
comparison: these functions run for every interview of a survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final


class NoAnswer:
    """The type of `NO_ANSWER`: one instance, false, printed `no answer`."""

    __slots__ = ()
    _instance: NoAnswer | None = None

    def __new__(cls) -> NoAnswer:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "no answer"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        # pickled by name, so that unpickling gives the same singleton
        return "NO_ANSWER"

    def __copy__(self) -> NoAnswer:
        return self

    def __deepcopy__(self, memo: object) -> NoAnswer:
        return self


#: the value of a name missing from the environment (a skipped question, an invalid answer,
#: an unknown key) and of any operation that has no sensible result
NO_ANSWER: Final = NoAnswer()

#: numbers past this magnitude (and infinities, NaN) are "no answer"
MAX_NUMBER: Final = 1e100
#: strings and lists longer than this are "no answer" (checked before they are built)
MAX_LENGTH: Final = 1_000_000

NUMBERS: Final = (int, float)
SEQUENCES: Final = (list, tuple)
#: types whose `==` is Python's own, for values of the same type
_PLAIN: Final = frozenset({str, int, float, bool, type(None), NoAnswer})


def number(value: Any) -> Any:
    """`value` (a number) unless it is past `MAX_NUMBER` or not finite."""
    if -MAX_NUMBER <= value <= MAX_NUMBER:
        return value
    return NO_ANSWER


# --- equality --------------------------------------------------------------------------


def equal(a: Any, b: Any) -> bool:
    """`a == b`: same kind and value (ints and floats compare by value); `NO_ANSWER` equals
    itself and null; lists element by element; mappings key by key."""
    ta = type(a)
    tb = type(b)
    if ta is tb:
        if ta in _PLAIN:
            return a == b
        if ta is list or ta is tuple:
            return _equal_sequences(a, b)
        if ta is dict:
            return _equal_mappings(a, b)
        return _equal_other(a, b)
    if ta in NUMBERS and tb in NUMBERS:
        return a == b
    if (a is None or a is NO_ANSWER) and (b is None or b is NO_ANSWER):
        return True
    if ta in SEQUENCES and tb in SEQUENCES:
        return _equal_sequences(a, b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return _equal_mappings(a, b)
    return False


def not_equal(a: Any, b: Any) -> bool:
    return not equal(a, b)


def _equal_sequences(a: Any, b: Any) -> bool:
    if len(a) != len(b):
        return False
    try:
        return all(equal(x, y) for x, y in zip(a, b, strict=True))
    except RecursionError:  # data nested past the interpreter's stack: not equal, no crash
        return False


def _equal_mappings(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> bool:
    if len(a) != len(b):
        return False
    try:
        return all(key in b and equal(value, b[key]) for key, value in a.items())
    except RecursionError:
        return False


def _equal_other(a: Any, b: Any) -> bool:
    """Values of a type the language does not know (an environment may hold anything):
    Python's `==` when it gives a plain answer, else not equal."""
    if isinstance(a, Mapping):
        return _equal_mappings(a, b)
    try:
        result = a == b
    except Exception:
        return False
    return result if type(result) is bool else False


# --- order -----------------------------------------------------------------------------


def less(a: Any, b: Any) -> bool:
    ta = type(a)
    tb = type(b)
    return ((ta is str and tb is str) or (ta in NUMBERS and tb in NUMBERS)) and a < b


def less_equal(a: Any, b: Any) -> bool:
    ta = type(a)
    tb = type(b)
    return ((ta is str and tb is str) or (ta in NUMBERS and tb in NUMBERS)) and a <= b


def greater(a: Any, b: Any) -> bool:
    ta = type(a)
    tb = type(b)
    return ((ta is str and tb is str) or (ta in NUMBERS and tb in NUMBERS)) and a > b


def greater_equal(a: Any, b: Any) -> bool:
    ta = type(a)
    tb = type(b)
    return ((ta is str and tb is str) or (ta in NUMBERS and tb in NUMBERS)) and a >= b


# --- membership ------------------------------------------------------------------------


def contains(item: Any, container: Any) -> bool:
    """`item in container`: a substring of a string, an element of a list (by `equal`), a
    key of a mapping; false for anything else and whenever either side is `NO_ANSWER`."""
    if item is NO_ANSWER:
        return False
    tc = type(container)
    if tc is str:
        return type(item) is str and item in container
    if tc is list or tc is tuple:
        if type(item) is str:
            try:
                return item in container  # fast, and only a string equals a string
            except Exception:  # an element of a foreign type that will not compare
                return any(type(element) is str and element == item for element in container)
        return any(equal(item, element) for element in container)
    if tc is dict or isinstance(container, Mapping):
        try:
            return item in container
        except Exception:  # an unhashable item (a list) is no key
            return False
    return False


def not_contains(item: Any, container: Any) -> bool:
    return not contains(item, container)


# --- arithmetic --------------------------------------------------------------------------


def add(a: Any, b: Any) -> Any:
    ta = type(a)
    tb = type(b)
    if ta in NUMBERS and tb in NUMBERS:
        return number(a + b)
    if ta is str and tb is str:
        return a + b if len(a) + len(b) <= MAX_LENGTH else NO_ANSWER
    if ta in SEQUENCES and tb in SEQUENCES:
        return [*a, *b] if len(a) + len(b) <= MAX_LENGTH else NO_ANSWER
    return NO_ANSWER


def subtract(a: Any, b: Any) -> Any:
    if type(a) in NUMBERS and type(b) in NUMBERS:
        return number(a - b)
    return NO_ANSWER


def multiply(a: Any, b: Any) -> Any:
    ta = type(a)
    tb = type(b)
    if ta in NUMBERS and tb in NUMBERS:
        return number(a * b)
    if tb is int and (ta is str or ta in SEQUENCES):
        return _repeat(a, b)
    if ta is int and (tb is str or tb in SEQUENCES):
        return _repeat(b, a)
    return NO_ANSWER


def _repeat(value: Any, times: int) -> Any:
    """A string or list `times` over, refused before it is built when it would be huge."""
    if times <= 0 or not value:
        return "" if type(value) is str else []
    if times > MAX_LENGTH or len(value) * times > MAX_LENGTH:
        return NO_ANSWER
    return value * times if type(value) is str else list(value) * times


def divide(a: Any, b: Any) -> Any:
    if type(a) in NUMBERS and type(b) in NUMBERS and b:
        try:
            return number(a / b)
        except OverflowError:
            return NO_ANSWER
    return NO_ANSWER


def floor_divide(a: Any, b: Any) -> Any:
    if type(a) in NUMBERS and type(b) in NUMBERS and b:
        try:
            return number(a // b)
        except (OverflowError, ValueError):
            return NO_ANSWER
    return NO_ANSWER


def modulo(a: Any, b: Any) -> Any:
    # numbers only: `'%s' % x` is string formatting in Python, never here
    if type(a) in NUMBERS and type(b) in NUMBERS and b:
        try:
            return number(a % b)
        except (OverflowError, ValueError):
            return NO_ANSWER
    return NO_ANSWER


def negate(a: Any) -> Any:
    if type(a) in NUMBERS:
        return number(-a)
    return NO_ANSWER


def plus(a: Any) -> Any:
    if type(a) in NUMBERS:
        return number(a)
    return NO_ANSWER

"""A small, safe expression language: survey rules (`if:`), `evalrun results --where`.

```python
from evalrun.expr import parse
rule = parse("has_favourite == 'No' and agent.age >= 30")  # raises ExprError(message, offset)
rule.test({"has_favourite": "No", "agent": {"age": 34}})    # True
rule.references   # (Reference(path=('has_favourite',), offset=0), Reference(path=('agent', 'age'), offset=26))
```

The text is tokenized and parsed by hand into nested closures, once; evaluating is calling
them. There is no Python `eval`, `compile` or `ast` anywhere, and nothing reaches an object's
attributes: a name is a key of the environment, a dotted part a key of a mapping. What the
grammar below does not have is an error at parse time, naming what is refused and where:
calls (`f(x)`), subscripts (`x[0]`), attributes of anything but a name (`().__class__`),
names or parts starting with `_` (`x.__class__`), `lambda`, comprehensions (`for`), `import`,
`if`/`else` expressions, `**`, `is`, assignment (`=`, `:=`), `;`, dicts and sets (`{`),
bitwise operators, unknown characters, unterminated strings. An expression is at most 10,000
characters and 100 levels deep (parentheses, brackets, prefixes and operators that wait for
their right side all count).

## Grammar
Loosest first; `{ }` repeats, `[ ]` is optional.

    expression = disjunction
    disjunction = conjunction { "or" conjunction }
    conjunction = negation { "and" negation }
    negation   = "not" negation | comparison
    comparison = sum { ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") sum }
    sum        = term { ("+" | "-") term }
    term       = factor { ("*" | "/" | "//" | "%") factor }
    factor     = ("-" | "+") factor | atom
    atom       = number | string | "true" | "false" | "null" | name { "." part }
               | "(" expression ")" | "[" [ expression { "," expression } [ "," ] ] "]"
    number     = digits [ "." digits ] [ ("e" | "E") [ "+" | "-" ] digits ]
    string     = "'" chars "'" | '"' chars '"'      (escapes: \\' \\" \\\\ \\n \\t)

`True`, `False` and `None` are accepted for `true`, `false` and `null`. A name is an
identifier that is not a keyword; a part is any identifier (`scenario.from` is fine); neither
may start with `_`. Comparisons chain as in Python: `1 < x <= 3` is `1 < x and x <= 3`, with
`x` evaluated once. `not` binds looser than comparisons (`not a == b` is `not (a == b)`);
unary minus binds tighter than `*`.

## Values and operators
Values are strings, numbers (ints and floats), booleans, null, lists, mappings (from the
environment only) and `NO_ANSWER`. Booleans are not numbers: `true == 1` is false and
`true + 1` is no answer.
- `==` is true for the same value of the same kind (ints and floats compare by value,
  lists element by element); `'1' == 1` is false. `!=` is its negation.
- `< <= > >=` compare two numbers or two strings (by code point); anything else is false.
- `a in b`: `a` is a substring of the string `b`, an element of the list `b` (by `==`), or a
  key of the mapping `b`; anything else is false. `not in` is its negation.
- `+ - * / // %` on numbers; `+` also joins two strings or two lists, and `*` repeats a
  string or a list by an int. `/` always gives a float; `//` and `%` floor as Python does.
  Anything else is no answer: other types, division or modulo by zero, a number past
  1e100 (or not finite), a string or list longer than 1,000,000 (refused before it is built).
  A number written past 1e100 is an error at parse time.
- `and`, `or` and `not` short-circuit and give true or false; a value is false when it is
  false, null, 0, empty, or `NO_ANSWER`.

Evaluation never raises: a type mismatch is a false comparison or no answer.

## NO_ANSWER
`NO_ANSWER` (printed `no answer`) is the value of a name that is missing from the
environment: a question that was skipped, an answer that was invalid, a key that is not
there (`agent.height` when agents have no height), or a dotted part of something that is not
a mapping. Its rules:

| expression with `x` no answer      | value       |
| ---------------------------------- | ----------- |
| `x`, as a condition                | false       |
| `not x`                            | true        |
| `x == null`, `x == y` (y no answer)| true        |
| `x == ` anything else              | false       |
| `x != null`                        | false       |
| `x != ` anything else              | true        |
| `x < 1`, `1 <= x`, any order       | false       |
| `x in ...`, `... in x`             | false       |
| `x not in ...`, `... not in x`     | true        |
| `x + 1`, `-x`, any arithmetic      | no answer   |
| `x.y`                              | no answer   |

So `q == null` asks "was q left without an answer", and a rule about a skipped question does
not fire unless it says `not`, `!=` or `not in`.
"""

from evalrun.expr._errors import ExprError
from evalrun.expr._expression import Expression, Reference
from evalrun.expr._parse import parse
from evalrun.expr._values import NO_ANSWER

__all__ = ["NO_ANSWER", "ExprError", "Expression", "Reference", "parse"]

"""The 13 survey question types, registered as the registry kind `question`.

A question's YAML names its type and the type's own fields (`options`, `scale`, `k`...);
the registry checks those fields against the factory's signature (a typo is reported at
its line, as for scorers) and the factory checks what a signature cannot (an option listed
twice, a reversed scale) at the line of the offending value. The factory returns a
`QuestionType`: the default answer instructions sent to the model, a parser that accepts
both the structured form those instructions ask for and a bare answer, and how an answer
reads when a later question pipes it in.

Parsing is liberal in what it reads and exact in what it accepts: `**Blue**.`, `"blue"`
and `ANSWER: blue` all read as the option `blue`, but `red or blue` for a single choice,
`4.5` on a scale of whole numbers or a budget that does not add up is an `InvalidAnswer`
with a reason, never the nearest valid answer.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from evalrun.errors import InputError
from evalrun.registry import BuildContext, register
from evalrun.strict import suggest
from evalrun.survey._answers import (
    CHOICE_SEPARATOR,
    ITEM_SEPARATOR,
    RANK_SEPARATOR,
    InvalidAnswer,
    Parsed,
    clean,
    fold,
    format_number,
    items,
    json_number,
    key,
    listing,
    number,
    pairs,
    show,
    split,
)

#: what YAML may give as an option: numbers are taken as their text; booleans are refused
Option = str | int | float | bool
Number = int | float

LIKERT = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
FIELD_TYPES = ("text", "number", "integer", "boolean")
_FIELD_ALIASES = {
    "str": "text",
    "string": "text",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
}
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})
_WORD = re.compile(r"[a-z]+")
_SCALE_EXTRA = re.compile(
    r"([+-]?\d+)\s*(?:/\s*(\d+)|out\s+of\s+(\d+)|[-=:(\u2013\u2014]\s*(.*?)\)?)", re.IGNORECASE
)
_OPENERS = "*_\"'`\u201c\u2018 "
_CLOSERS = "\u201d\u2019"
_NONE_WORDS = frozenset({"none", "nothing", "no options", "[]"})
COMMENT_LINE = "You may add a short comment on its own line after the answer: COMMENT: <comment>"


class QuestionType(Protocol):
    """What the interview needs of a question type."""

    #: the registered name, `multiple_choice`
    type: str
    #: the default answer instructions (plain text), sent after the question's text
    instructions: str
    #: how results summarise answers: choice, multi, number, text, list, mapping
    summary: str
    #: the values answers are counted by (a scale's values as text), or None
    options: list[str] | None

    def parse(self, text: str) -> Parsed:
        """The answer in `text` (structured or bare) and its comment; InvalidAnswer if none."""
        ...

    def to_text(self, answer: Any) -> str:
        """How a valid answer reads when piped into a later question."""
        ...


#: replies `parse` remembers: how long, how many per question, and answers of which types
_REMEMBERED_LENGTH = 100
_REMEMBERED = 1024
_IMMUTABLE = (str, int, float, bool)


class _Question:
    """The shared reading: split off the comment, read the answer, and, when the whole text
    is not an answer, read its first line alone (the lines after it are the comment)."""

    __slots__ = ("_seen", "instructions", "options", "summary", "type")

    def __init__(
        self, type: str, instructions: str, summary: str, options: list[str] | None
    ) -> None:
        self.type = type
        #: short replies already read, and what they read as (see `parse`)
        self._seen: dict[str, Parsed] = {}
        self.instructions = instructions
        self.summary = summary
        self.options = options

    def __repr__(self) -> str:
        return f"<question type {self.type}>"

    def parse(self, text: str) -> Parsed:
        """Read a reply (an `InvalidAnswer` when it is not a valid answer).

        Reading is a pure function of the text, and respondents repeat short replies
        (`Yes`, `ANSWER: 4`) across thousands of interviews: a short reply that read as
        an immutable answer is remembered (a bounded table per question), which makes
        reading it again a dictionary lookup."""
        seen = self._seen.get(text)
        if seen is not None:
            return seen
        segment, comment = split(text)
        answer, extra = self.read(segment)
        parsed = Parsed(answer, comment if comment is not None else extra)
        if len(text) <= _REMEMBERED_LENGTH and type(answer) in _IMMUTABLE:
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            self._seen[text] = parsed
        return parsed

    def read(self, segment: str) -> tuple[Any, str | None]:
        try:
            return self.value(segment), None
        except InvalidAnswer as whole:
            if whole.final:
                raise
            first, newline, rest = segment.strip().partition("\n")
            if not newline or not rest.strip():
                raise
            return self.value(first), rest.strip()

    def value(self, text: str) -> Any:  # pragma: no cover - every type overrides it
        raise NotImplementedError

    def to_text(self, answer: Any) -> str:
        return str(answer)


def _empty() -> InvalidAnswer:
    return InvalidAnswer("the answer is empty")


class FreeText(_Question):
    __slots__ = ()

    def read(self, segment: str) -> tuple[Any, str | None]:
        answer = segment.strip()
        if not answer:
            raise _empty()
        return answer, None


class Choice(_Question):
    """Exactly one of the options (multiple_choice, likert_five)."""

    __slots__ = ("_lookup",)

    def __init__(self, type: str, options: list[str]) -> None:
        super().__init__(type, choice_instructions(options), "choice", options)
        self._lookup = {key(option): option for option in options}

    def value(self, text: str) -> Any:
        answer = clean(text)
        if not answer:
            raise _empty()
        found = self._lookup.get(fold(answer))
        if found is not None:
            return found
        named = {
            self._lookup[k] for k in map(key, CHOICE_SEPARATOR.split(answer)) if k in self._lookup
        }
        if len(named) > 1:
            chosen = [o for o in self.options or () if o in named]
            raise InvalidAnswer(
                f"`{show(answer)}` names {len(chosen)} options ({', '.join(chosen)});"
                " choose exactly one",
                final=True,
            )
        raise InvalidAnswer(
            f"`{show(answer)}` is not one of the options ({listing(self.options or [])})"
        )


class YesNo(_Question):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(
            "yes_no",
            f"Answer Yes or No, on one line: ANSWER: Yes  or  ANSWER: No\n{COMMENT_LINE}",
            "choice",
            ["Yes", "No"],
        )

    def value(self, text: str) -> Any:
        answer = clean(text)
        folded = fold(answer)
        if folded in _YES:
            return "Yes"
        if folded in _NO:
            return "No"
        if not folded:
            raise _empty()
        words = set(_WORD.findall(folded))
        if "yes" in words and "no" in words:
            raise InvalidAnswer(f"`{show(answer)}` says both yes and no", final=True)
        raise InvalidAnswer(f"`{show(answer)}` is not Yes or No")

    def read(self, segment: str) -> tuple[Any, str | None]:
        """Also `Yes, I do.` / `No - I prefer tea`: the rest of the line is the comment."""
        try:
            return super().read(segment)
        except InvalidAnswer as exc:
            if exc.final:
                raise
            line = segment.strip().partition("\n")[0].lstrip(_OPENERS)
            found = _WORD.match(line.lower())
            if found is None or found.group() not in ("yes", "no"):
                raise exc from None
            rest = line[found.end() :]
            if rest and rest[0].isalnum():  # `Yesterday`, `Not really`
                raise exc from None
            other = "no" if found.group() == "yes" else "yes"
            if other in _WORD.findall(rest.lower()):
                raise InvalidAnswer(f"`{show(line)}` says both yes and no") from None
            comment = rest.lstrip(_OPENERS + _CLOSERS + " ,.;:!-\u2013\u2014").strip()
            return ("Yes" if found.group() == "yes" else "No"), comment or None


class LinearScale(_Question):
    """A whole number in [lo, hi]; a label's text (`very much`) is read as its value."""

    __slots__ = ("_by_label", "high", "labels", "low")

    def __init__(self, low: int, high: int, labels: dict[int, str]) -> None:
        lines = [f"Answer with a whole number from {low} to {high}"]
        lines[0] += ", where:" if labels else "."
        lines += [f"{value} = {labels[value]}" for value in sorted(labels)]
        lines += ["Reply on one line: ANSWER: <number>", COMMENT_LINE]
        super().__init__(
            "linear_scale", "\n".join(lines), "choice", [str(v) for v in range(low, high + 1)]
        )
        self.low, self.high, self.labels = low, high, labels
        self._by_label = {key(text): value for value, text in labels.items()}

    def value(self, text: str) -> Any:
        answer = clean(text)
        if not answer:
            raise _empty()
        found = number(answer)
        if found is None:
            found = self._by_label.get(fold(answer))
        if found is None:
            found = self._decorated(answer)
        if found is None:
            raise InvalidAnswer(
                f"`{show(answer)}` is not a whole number from {self.low} to {self.high}"
            )
        if not isinstance(found, int):
            raise InvalidAnswer(
                f"`{show(answer)}` is not a whole number; answer with a whole number"
                f" from {self.low} to {self.high}"
            )
        if not self.low <= found <= self.high:
            raise InvalidAnswer(
                f"`{found}` is outside the scale {self.low} to {self.high}", final=True
            )
        return found

    def _decorated(self, answer: str) -> int | None:
        """`4/5`, `4 out of 5`, `5 = very much`, `5 (very much)`: the number, when what
        follows it is the scale's top or the number's own label."""
        match = _SCALE_EXTRA.fullmatch(answer)
        if match is None:
            return None
        value = int(match.group(1))
        top = match.group(2) or match.group(3)
        if top is not None:
            return value if int(top) == self.high else None
        label = self.labels.get(value)
        return value if label is not None and key(label) == key(match.group(4)) else None


class Numerical(_Question):
    __slots__ = ("high", "low")

    def __init__(self, low: Number | None, high: Number | None) -> None:
        if low is not None and high is not None:
            bounds = f" from {format_number(low)} to {format_number(high)}"
        elif low is not None:
            bounds = f" of at least {format_number(low)}"
        elif high is not None:
            bounds = f" of at most {format_number(high)}"
        else:
            bounds = ""
        super().__init__(
            "numerical",
            f"Answer with a number{bounds}, in digits, without units or words.\n"
            f"Reply on one line: ANSWER: <number>\n{COMMENT_LINE}",
            "number",
            None,
        )
        self.low, self.high = low, high

    def value(self, text: str) -> Any:
        answer = clean(text)
        if not answer:
            raise _empty()
        found = number(answer)
        if found is None:
            raise InvalidAnswer(f"`{show(answer)}` is not a number (write digits only)")
        if self.low is not None and found < self.low:
            raise InvalidAnswer(
                f"`{format_number(found)}` is below the minimum {format_number(self.low)}",
                final=True,
            )
        if self.high is not None and found > self.high:
            raise InvalidAnswer(
                f"`{format_number(found)}` is above the maximum {format_number(self.high)}",
                final=True,
            )
        return found


class ListAnswer(_Question):
    __slots__ = ("most",)

    def __init__(self, most: int | None) -> None:
        bound = f" (at most {most})" if most is not None else ""
        super().__init__(
            "list",
            f"Answer with a list of items{bound}.\n"
            'Reply on one line with a JSON list of strings: ANSWER: ["<item>", "<item>"]\n'
            f"{COMMENT_LINE}",
            "list",
            None,
        )
        self.most = most

    def read(self, segment: str) -> tuple[Any, str | None]:
        found, rest = items(segment)
        answer = [item for item in map(clean, found) if item]
        if not answer:
            raise _empty()
        if self.most is not None and len(answer) > self.most:
            raise InvalidAnswer(f"the answer has {len(answer)} items; at most {self.most} allowed")
        return answer, rest

    def to_text(self, answer: Any) -> str:
        return ", ".join(map(str, answer))


class Selection(_Question):
    """Distinct options as a list: checkbox (option order), rank and top_k (as given)."""

    __slots__ = ("_lookup", "_order", "fewest", "most", "separator")

    def __init__(
        self,
        type: str,
        options: list[str],
        instructions: str,
        fewest: int,
        most: int,
        separator: re.Pattern[str] = ITEM_SEPARATOR,
    ) -> None:
        super().__init__(type, instructions, "multi", options)
        self.fewest, self.most, self.separator = fewest, most, separator
        self._lookup = {key(option): option for option in options}
        self._order = {option: i for i, option in enumerate(options)}

    def read(self, segment: str) -> tuple[Any, str | None]:
        if self.fewest == 0 and key(segment) in _NONE_WORDS and key(segment) not in self._lookup:
            return [], None
        found, rest = items(segment, self.separator)
        chosen: list[str] = []
        for item in found:
            answer = clean(item)
            if not answer:
                continue
            option = self._lookup.get(fold(answer))
            if option is None:
                raise InvalidAnswer(
                    f"`{show(answer)}` is not one of the options ({listing(self.options or [])})"
                )
            if option in chosen:
                raise InvalidAnswer(f"`{option}` is given twice")
            chosen.append(option)
        if not chosen and self.fewest > 0:
            raise _empty()
        self.check_count(len(chosen))
        if self.type == "checkbox":
            chosen.sort(key=self._order.__getitem__)
        return chosen, rest

    def check_count(self, count: int) -> None:
        if self.fewest <= count <= self.most:
            return
        gave = f"{count} option{'s' if count != 1 else ''} given"
        if self.fewest == self.most:
            raise InvalidAnswer(f"{gave}; choose exactly {self.fewest}")
        if count < self.fewest:
            raise InvalidAnswer(f"{gave}; choose at least {self.fewest}")
        raise InvalidAnswer(f"{gave}; choose at most {self.most}")

    def to_text(self, answer: Any) -> str:
        return ", ".join(map(str, answer))


class Budget(_Question):
    __slots__ = ("_lookup", "total")

    def __init__(self, options: list[str], total: Number) -> None:
        shown = format_number(total)
        example = ", ".join(f'"{o}": <amount>' for o in options[:2])
        super().__init__(
            "budget",
            f"Divide {shown} among these options; each amount is 0 or more and"
            f" the amounts add up to exactly {shown}:\n"
            f"{bullets(options)}\n"
            "Reply on one line with a JSON object giving every option an amount:"
            f" ANSWER: {{{example}{', ...' if len(options) > 2 else ''}}}\n{COMMENT_LINE}",
            "mapping",
            options,
        )
        self.total = total
        self._lookup = {key(option): option for option in options}

    def read(self, segment: str) -> tuple[Any, str | None]:
        found, _typed, rest = pairs(segment)
        amounts: dict[str, Number] = {}
        for option, raw in _named(found, self._lookup, "options").items():
            amount = json_number(raw)
            if amount is None:
                raise InvalidAnswer(f"the amount for `{option}` (`{show(raw)}`) is not a number")
            if amount < 0:
                raise InvalidAnswer(
                    f"the amount for `{option}` is negative ({format_number(amount)})"
                )
            amounts[option] = amount
        missing = [o for o in self.options or () if o not in amounts]
        if missing:
            raise InvalidAnswer(
                f"no amount for {listing([f'`{m}`' for m in missing], 5)};"
                " give every option an amount (0 for none)"
            )
        total = sum(amounts.values())
        if abs(total - self.total) > 1e-6:
            raise InvalidAnswer(
                f"the amounts add up to {format_number(total)}, not {format_number(self.total)}"
            )
        return {o: amounts[o] for o in self.options or ()}, rest

    def to_text(self, answer: Any) -> str:
        return "; ".join(f"{k}: {format_number(v)}" for k, v in answer.items())


class Matrix(_Question):
    __slots__ = ("_items", "_lookup", "items")

    def __init__(self, items: list[str], options: list[str]) -> None:
        example = ", ".join(f'"{i}": "<option>"' for i in items[:2])
        super().__init__(
            "matrix",
            "For each item, choose exactly one of the options.\n"
            f"Items:\n{bullets(items)}\nOptions:\n{bullets(options)}\n"
            "Reply on one line with a JSON object giving every item its option, as written:"
            f" ANSWER: {{{example}{', ...' if len(items) > 2 else ''}}}\n{COMMENT_LINE}",
            "mapping",
            options,
        )
        self.items = items
        self._items = {key(item): item for item in items}
        self._lookup = {key(option): option for option in options}

    def read(self, segment: str) -> tuple[Any, str | None]:
        found, _typed, rest = pairs(segment)
        chosen: dict[str, str] = {}
        for item, raw in _named(found, self._items, "items").items():
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                raw = format_number(raw)  # options `1` to `5`, answered as JSON numbers
            option = self._lookup.get(key(raw)) if isinstance(raw, str) else None
            if option is None:
                raise InvalidAnswer(
                    f"`{show(raw)}` for `{item}` is not one of the options"
                    f" ({listing(self.options or [])})"
                )
            chosen[item] = option
        missing = [i for i in self.items if i not in chosen]
        if missing:
            raise InvalidAnswer(
                f"no option for {listing([f'`{m}`' for m in missing], 5)}; answer every item"
            )
        return {i: chosen[i] for i in self.items}, rest

    def to_text(self, answer: Any) -> str:
        return "; ".join(f"{k}: {v}" for k, v in answer.items())


class Extract(_Question):
    __slots__ = ("_fields", "fields")

    def __init__(self, fields: dict[str, str]) -> None:
        shown = {"text": '"<text>"', "number": "<number>", "integer": "<integer>"}
        example = ", ".join(
            f'"{name}": {shown.get(kind, "<true or false>")}' for name, kind in fields.items()
        )
        described = {"boolean": "true or false"}
        super().__init__(
            "extract",
            "Give these fields:\n"
            + "\n".join(f"- {name} ({described.get(kind, kind)})" for name, kind in fields.items())
            + f"\nReply on one line with a JSON object: ANSWER: {{{example}}}\n{COMMENT_LINE}",
            "mapping",
            None,
        )
        self.fields = fields
        self._fields = {key(name): name for name in fields}

    def read(self, segment: str) -> tuple[Any, str | None]:
        found, typed, rest = pairs(segment)
        values: dict[str, Any] = {}
        for field, raw in _named(found, self._fields, "fields").items():
            values[field] = _typed_value(field, self.fields[field], raw, typed)
        missing = [f for f in self.fields if f not in values]
        if missing:
            raise InvalidAnswer(f"missing field {listing([f'`{m}`' for m in missing], 5)}")
        return {f: values[f] for f in self.fields}, rest

    def to_text(self, answer: Any) -> str:
        return "; ".join(f"{k}: {_field_text(v)}" for k, v in answer.items())


def _named(found: list[tuple[str, Any]], names: dict[str, str], what: str) -> dict[str, Any]:
    """The (name, value) pairs of a mapping answer by the names they match (case and
    spacing aside; `names` maps `key(name)` to the name as written), in the order given.
    A name that matches none, or one given twice, makes the answer invalid."""
    out: dict[str, Any] = {}
    for name, raw in found:
        known = names.get(key(name))
        if known is None:
            raise InvalidAnswer(
                f"`{show(name)}` is not one of the {what} ({listing(list(names.values()))})"
            )
        if known in out:
            raise InvalidAnswer(f"`{known}` is given twice")
        out[known] = raw
    return out


def _field_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def _typed_value(field: str, kind: str, raw: Any, typed: bool) -> Any:
    """A field's value checked against its type. From JSON, the JSON type must be right;
    from `name: value` text, the text is read as the type."""
    if kind == "text":
        if isinstance(raw, str):
            return raw if typed else clean(raw)
    elif kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if not typed and isinstance(raw, str):
            folded = key(raw)
            if folded in _YES:
                return True
            if folded in _NO:
                return False
    else:
        found = (
            json_number(raw)
            if typed and not isinstance(raw, str)
            else (number(clean(raw)) if isinstance(raw, str) and not typed else None)
        )
        if found is not None and (kind == "number" or isinstance(found, int)):
            return found
    wanted = {"text": "a text", "number": "a number", "integer": "a whole number"}
    return _wrong(field, wanted.get(kind, "true or false"), raw)


def _wrong(field: str, wanted: str, raw: Any) -> Any:
    raise InvalidAnswer(f"field `{field}` should be {wanted}, not `{show(raw)}`")


def bullets(names: list[str]) -> str:
    return "\n".join(f"- {name}" for name in names)


def choice_instructions(options: list[str]) -> str:
    return (
        f"Choose exactly one of these options:\n{bullets(options)}\n"
        f"Reply on one line with the option as written: ANSWER: <option>\n{COMMENT_LINE}"
    )


def _list_reply(options: list[str], what: str) -> str:
    """Comma-separated options, or a JSON list when an option itself holds a comma."""
    if any("," in o or ";" in o for o in options):
        return f'Reply on one line with a JSON list of {what}, as written: ANSWER: ["<option>", "<option>"]'
    return f"Reply on one line with {what}, as written, separated by commas: ANSWER: <option>, <option>"


# --- factories -------------------------------------------------------------------------


def _options(ctx: BuildContext, raw: list[Option], field: str = "options") -> list[str]:
    """The options as text: none empty, none twice (ignoring case, as answers are matched)."""
    what = "item" if field == "items" else "option"
    if not raw:
        raise InputError(f"`{field}` needs at least one {what}", ctx.location(field))
    seen: dict[str, str] = {}
    texts: list[str] = []
    for index, value in enumerate(raw):
        if isinstance(value, bool):
            raise InputError(
                f"{what} {index + 1} is the YAML boolean `{str(value).lower()}`;"
                " quote it to keep it as text",
                ctx.location(field, index),
            )
        text = (format_number(value) if isinstance(value, int | float) else value).strip()
        folded = key(text)
        if not folded:
            raise InputError(f"{what} {index + 1} is empty", ctx.location(field, index))
        if folded in seen:
            same = seen[folded]
            raise InputError(
                f"{what} `{text}` is listed twice"
                if same == text
                else f"{what} `{text}` is the same as `{same}` (answers ignore case)",
                ctx.location(field, index),
            )
        seen[folded] = text
        texts.append(text)
    return texts


def _count(
    ctx: BuildContext, field: str, value: int | None, low: int, high: int, default: int
) -> int:
    if value is None:
        return default
    if not low <= value <= high:
        raise InputError(
            f"`{field}` is {value}; it must be from {low} to {high}", ctx.location(field)
        )
    return value


@register("question", "free_text")
def free_text() -> QuestionType:
    """Any non-empty text: the answer is everything before a COMMENT: line."""
    return FreeText(
        "free_text",
        f"Write your answer after ANSWER: (it may take several lines).\n{COMMENT_LINE}",
        "text",
        None,
    )


@register("question", "multiple_choice")
def multiple_choice(ctx: BuildContext, options: list[Option]) -> QuestionType:
    """Exactly one of the options, returned as written."""
    return Choice("multiple_choice", _options(ctx, options))


@register("question", "checkbox")
def checkbox(
    ctx: BuildContext,
    options: list[Option],
    min_selections: int | None = None,
    max_selections: int | None = None,
) -> QuestionType:
    """Options within the bounds (default: at least one), in the options' order."""
    texts = _options(ctx, options)
    most = _count(ctx, "max_selections", max_selections, 1, len(texts), len(texts))
    fewest = _count(ctx, "min_selections", min_selections, 0, most, min(1, most))
    if fewest == most:
        bound = f"exactly {fewest}"
    elif fewest == 0:
        bound = f"up to {most}" if most < len(texts) else "any number (possibly none)"
    else:
        bound = f"from {fewest} to {most}" if most < len(texts) else f"at least {fewest}"
    return Selection(
        "checkbox",
        texts,
        f"Choose {bound} of these options:\n{bullets(texts)}\n"
        f"{_list_reply(texts, 'your choices')}\n{COMMENT_LINE}",
        fewest,
        most,
    )


@register("question", "yes_no")
def yes_no() -> QuestionType:
    """Yes or No (also `y`, `true`, `no`, `n`, `false`; `Yes, I do` with a comment)."""
    return YesNo()


@register("question", "linear_scale")
def linear_scale(
    ctx: BuildContext, scale: tuple[int, int], labels: dict[int, str | int | float] | None = None
) -> QuestionType:
    """A whole number in `scale: [lo, hi]`; `labels` name some of its values."""
    low, high = scale
    if low >= high:
        raise InputError(
            f"`scale` is [{low}, {high}]; the first bound must be below the second",
            ctx.location("scale"),
        )
    named: dict[int, str] = {}
    for value, label in (labels or {}).items():
        if not low <= value <= high:
            raise InputError(
                f"label {value} is outside the scale {low} to {high}", ctx.location("labels", value)
            )
        named[value] = format_number(label) if not isinstance(label, str) else label
    return LinearScale(low, high, named)


@register("question", "likert_five")
def likert_five() -> QuestionType:
    """One of the five standard agreement options."""
    return Choice("likert_five", list(LIKERT))


@register("question", "numerical")
def numerical(
    ctx: BuildContext, min_value: Number | None = None, max_value: Number | None = None
) -> QuestionType:
    """A number within the bounds; an int when it is whole."""
    if min_value is not None and max_value is not None and min_value > max_value:
        raise InputError(
            f"`min_value` {format_number(min_value)} is above `max_value`"
            f" {format_number(max_value)}",
            ctx.location("min_value"),
        )
    return Numerical(min_value, max_value)


@register("question", "list")
def list_question(ctx: BuildContext, max_list_items: int | None = None) -> QuestionType:
    """A non-empty list of strings, at most `max_list_items` of them."""
    if max_list_items is not None and max_list_items < 1:
        raise InputError(
            f"`max_list_items` is {max_list_items}; it must be at least 1",
            ctx.location("max_list_items"),
        )
    return ListAnswer(max_list_items)


@register("question", "rank")
def rank(
    ctx: BuildContext, options: list[Option], num_selections: int | None = None
) -> QuestionType:
    """`num_selections` distinct options (default: all), best first."""
    texts = _options(ctx, options)
    count = _count(ctx, "num_selections", num_selections, 1, len(texts), len(texts))
    what = (
        f"all {count} of these options"
        if count == len(texts)
        else f"your top {count} of these options"
    )
    return Selection(
        "rank",
        texts,
        f"Rank {what}, best first:\n{bullets(texts)}\n"
        f"{_list_reply(texts, 'the options in order')}\n{COMMENT_LINE}",
        count,
        count,
        RANK_SEPARATOR,
    )


@register("question", "top_k")
def top_k(ctx: BuildContext, options: list[Option], k: int) -> QuestionType:
    """Exactly `k` distinct options."""
    texts = _options(ctx, options)
    count = _count(ctx, "k", k, 1, len(texts), k)
    return Selection(
        "top_k",
        texts,
        f"Choose exactly {count} of these options:\n{bullets(texts)}\n"
        f"{_list_reply(texts, f'your {count} choices')}\n{COMMENT_LINE}",
        count,
        count,
    )


@register("question", "budget")
def budget(ctx: BuildContext, options: list[Option], budget_sum: Number = 100) -> QuestionType:
    """A number >= 0 for every option, summing to `budget_sum` (within 1e-6)."""
    texts = _options(ctx, options)
    if not budget_sum > 0:
        raise InputError(
            f"`budget_sum` is {format_number(budget_sum)}; it must be above 0",
            ctx.location("budget_sum"),
        )
    return Budget(texts, budget_sum)


@register("question", "matrix")
def matrix(ctx: BuildContext, items: list[Option], options: list[Option]) -> QuestionType:
    """One option for every item."""
    return Matrix(_options(ctx, items, "items"), _options(ctx, options))


@register("question", "extract")
def extract(ctx: BuildContext, fields: dict[str, str]) -> QuestionType:
    """An object with each field of its type: text, number, integer or boolean."""
    if not fields:
        raise InputError("`fields` needs at least one field", ctx.location("fields"))
    for name, kind in fields.items():
        if not name.strip():
            raise InputError("a field name is empty", ctx.location("fields", name))
        if kind not in FIELD_TYPES:
            hint = (
                f"; did you mean `{_FIELD_ALIASES[kind]}`?"
                if kind in _FIELD_ALIASES
                else suggest(kind, list(FIELD_TYPES))
            )
            raise InputError(
                f"field `{name}` has unknown type `{kind}`{hint} (types: {', '.join(FIELD_TYPES)})",
                ctx.location("fields", name),
            )
    return Extract(dict(fields))


__all__ = [
    "FIELD_TYPES",
    "LIKERT",
    "InvalidAnswer",
    "Parsed",
    "QuestionType",
]

"""The 13 survey question types: what each reads as a valid answer (structured and bare),
what it refuses and why, the comment, how an answer reads when piped, and the factories'
errors at the line of the offending value.

Built through the registry as the survey loader builds them: `lookup("question", type)`,
its arguments checked against the factory's signature, then the factory with a
`BuildContext` whose `locate` turns a key path into a location naming that path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalrun.errors import InputError, Location
from evalrun.registry import BuildContext, ValidationError, lookup, names
from evalrun.survey._questions import InvalidAnswer, Parsed, QuestionType

WHERE = ("questions", 2)


def locate(where: tuple[str | int, ...]) -> Location:
    """A location that names the key path, so a test sees which key an error points at."""
    return Location("/".join(map(str, where)))


def build(kind: str, **fields: Any) -> QuestionType:
    entry = lookup("question", kind)
    arguments = entry.arguments(fields)
    if entry.takes_context:
        return entry.factory(BuildContext(Path("."), frozenset(), WHERE, locate), **arguments)
    return entry.factory(**arguments)


def located(kind: str, **fields: Any) -> tuple[str, str]:
    """(message, the key path it points at) of a factory's error."""
    with pytest.raises(InputError) as info:
        build(kind, **fields)
    return info.value.message, str(info.value.location)


def reason(question: QuestionType, text: str) -> str:
    with pytest.raises(InvalidAnswer) as info:
        question.parse(text)
    return info.value.reason


COLOURS = ["red", "green", "blue"]
QUESTIONS: dict[str, dict[str, Any]] = {
    "free_text": {},
    "multiple_choice": {"options": COLOURS},
    "checkbox": {"options": COLOURS, "max_selections": 2},
    "yes_no": {},
    "linear_scale": {"scale": [1, 5], "labels": {1: "not at all", 5: "very much"}},
    "likert_five": {},
    "numerical": {"min_value": 0, "max_value": 100},
    "list": {"max_list_items": 3},
    "rank": {"options": COLOURS},
    "top_k": {"options": COLOURS, "k": 2},
    "budget": {"options": COLOURS},
    "matrix": {"items": ["price", "taste"], "options": ["good", "bad"]},
    "extract": {"fields": {"name": "text", "age": "integer", "height": "number", "ok": "boolean"}},
}


def test_every_type_is_registered_as_a_question() -> None:
    assert names("question") == sorted(QUESTIONS)
    with pytest.raises(InputError, match="did you mean `yes_no`"):
        lookup("question", "yes_now")


# (type, reply, answer, comment): every type, in the structured form the instructions ask
# for, bare, and decorated the way models write
VALID: list[tuple[str, str, Any, str | None]] = [
    (
        "free_text",
        "ANSWER: Because it is calm.\nCOMMENT: a guess",
        "Because it is calm.",
        "a guess",
    ),
    ("free_text", "Because it is calm.\n\nAnd deep.", "Because it is calm.\n\nAnd deep.", None),
    ("free_text", "I think so.\nCOMMENT: unsure", "I think so.", "unsure"),
    ("multiple_choice", "ANSWER: blue\nCOMMENT: calm", "blue", "calm"),
    ("multiple_choice", "blue", "blue", None),
    ("multiple_choice", "Blue", "blue", None),
    ("multiple_choice", "**Blue**.", "blue", None),
    ("multiple_choice", '"blue"', "blue", None),
    ("multiple_choice", "**ANSWER:** Green", "green", None),
    ("multiple_choice", "ANSWER: <red>", "red", None),
    ("multiple_choice", '["blue"]', "blue", None),
    ("multiple_choice", "```\nblue\n```", "blue", None),
    ("multiple_choice", "blue\nIt reminds me of the sea.", "blue", "It reminds me of the sea."),
    ("multiple_choice", "COMMENT: hard one\nANSWER: red", "red", "hard one"),
    ("multiple_choice", "Thinking... red? no.\nFinal answer: green", "green", None),
    ("checkbox", "ANSWER: blue, red\nCOMMENT: both", ["red", "blue"], "both"),
    ("checkbox", "red, blue", ["red", "blue"], None),
    ("checkbox", 'ANSWER: ["Blue", "red"]', ["red", "blue"], None),
    ("checkbox", "- green\n- red\n\nnice ones", ["red", "green"], "nice ones"),
    ("checkbox", "red; green", ["red", "green"], None),
    ("checkbox", "green", ["green"], None),
    ("checkbox", "red, blue\nthese two", ["red", "blue"], "these two"),
    ("yes_no", "ANSWER: Yes\nCOMMENT: often", "Yes", "often"),
    ("yes_no", "Yes", "Yes", None),
    ("yes_no", "no", "No", None),
    ("yes_no", "y", "Yes", None),
    ("yes_no", "True", "Yes", None),
    ("yes_no", "ANSWER: **No**", "No", None),
    ("yes_no", "No, I prefer tea.", "No", "I prefer tea."),
    ("yes_no", "**Yes** - every winter", "Yes", "every winter"),
    ("yes_no", "Yes.\nI do.", "Yes", "I do."),
    ("linear_scale", "ANSWER: 4\nCOMMENT: mostly", 4, "mostly"),
    ("linear_scale", "4", 4, None),
    ("linear_scale", "5.", 5, None),
    ("linear_scale", "4.0", 4, None),
    ("linear_scale", "very much", 5, None),
    ("linear_scale", "5 = very much", 5, None),
    ("linear_scale", "1 (not at all)", 1, None),
    ("linear_scale", "4/5", 4, None),
    ("linear_scale", "4 out of 5", 4, None),
    ("likert_five", "ANSWER: Agree\nCOMMENT: mostly", "Agree", "mostly"),
    ("likert_five", '"Agree"', "Agree", None),
    ("likert_five", "strongly  disagree", "Strongly disagree", None),
    ("numerical", "ANSWER: 42\nCOMMENT: roughly", 42, "roughly"),
    ("numerical", "42", 42, None),
    ("numerical", "42.0", 42, None),
    ("numerical", "-0", 0, None),
    ("numerical", "3.25", 3.25, None),
    ("numerical", "1e1", 10, None),
    ("numerical", "50%", 50, None),
    ("numerical", "$5", 5, None),
    ("numerical", "**7**.", 7, None),
    ("numerical", "100\nat most", 100, "at most"),
    (
        "list",
        'ANSWER: ["tea", "coffee, black"]\nCOMMENT: mornings',
        ["tea", "coffee, black"],
        "mornings",
    ),
    ("list", "tea, coffee", ["tea", "coffee"], None),
    ("list", "- tea\n- coffee\n- water", ["tea", "coffee", "water"], None),
    ("list", "1. tea\n2) coffee", ["tea", "coffee"], None),
    ("list", "tea\ncoffee", ["tea", "coffee"], None),
    ("list", '["tea", 7]', ["tea", "7"], None),
    ("list", '["tea"] because I like it', ["tea"], "because I like it"),
    ("rank", "ANSWER: blue, red, green\nCOMMENT: easy", ["blue", "red", "green"], "easy"),
    ("rank", "blue > red > green", ["blue", "red", "green"], None),
    ("rank", "1. Green\n2. blue\n3. red", ["green", "blue", "red"], None),
    ("rank", '["red", "green", "blue"]', ["red", "green", "blue"], None),
    ("top_k", "ANSWER: blue, red\nCOMMENT: close call", ["blue", "red"], "close call"),
    ("top_k", "green, red", ["green", "red"], None),
    (
        "budget",
        'ANSWER: {"red": 50, "green": 30, "blue": 20}\nCOMMENT: fair',
        {"red": 50, "green": 30, "blue": 20},
        "fair",
    ),
    ("budget", "red: 50, green: 30, blue: 20", {"red": 50, "green": 30, "blue": 20}, None),
    ("budget", "- Blue = 100\n- red = 0\n- green = 0", {"red": 0, "green": 0, "blue": 100}, None),
    (
        "budget",
        '{"red": 33.3, "green": 33.3, "blue": 33.4}',
        {"red": 33.3, "green": 33.3, "blue": 33.4},
        None,
    ),
    (
        "budget",
        '{"red": "50", "green": 50.0, "blue": 0}',
        {"red": 50, "green": 50, "blue": 0},
        None,
    ),
    (
        "matrix",
        'ANSWER: {"price": "bad", "taste": "good"}\nCOMMENT: pricey',
        {"price": "bad", "taste": "good"},
        "pricey",
    ),
    ("matrix", "taste: Good\nprice: bad", {"price": "bad", "taste": "good"}, None),
    (
        "matrix",
        '{"Price": "good", "taste": "good"} as I see it',
        {"price": "good", "taste": "good"},
        "as I see it",
    ),
    (
        "extract",
        'ANSWER: {"name": "Ann", "age": 34, "height": 1.7, "ok": true}\nCOMMENT: sure',
        {"name": "Ann", "age": 34, "height": 1.7, "ok": True},
        "sure",
    ),
    (
        "extract",
        'Here it is:\n```json\n{"name": "Ann", "age": 34.0, "height": 2, "ok": false}\n```',
        {"name": "Ann", "age": 34, "height": 2, "ok": False},
        None,
    ),
    (
        "extract",
        "name: Ann\nage: 34\nheight: 1.7\nok: yes",
        {"name": "Ann", "age": 34, "height": 1.7, "ok": True},
        None,
    ),
]


@pytest.mark.parametrize(("kind", "reply", "answer", "comment"), VALID)
def test_valid(kind: str, reply: str, answer: Any, comment: str | None) -> None:
    parsed = build(kind, **QUESTIONS[kind]).parse(reply)
    assert parsed == Parsed(answer, comment)
    assert type(parsed.answer) is type(answer)


# (type, reply, reason): the reason names the bad value and what was expected
INVALID: list[tuple[str, str, str]] = [
    ("free_text", "  \n", "the answer is empty"),
    ("free_text", "ANSWER:\nCOMMENT: nothing to say", "the answer is empty"),
    ("multiple_choice", "purple", "`purple` is not one of the options (red, green, blue)"),
    ("multiple_choice", "red, blue", "`red, blue` names 2 options (red, blue); choose exactly one"),
    (
        "multiple_choice",
        "Red or Blue",
        "`Red or Blue` names 2 options (red, blue); choose exactly one",
    ),
    ("multiple_choice", "red\nblue", "`red blue` names 2 options (red, blue); choose exactly one"),
    ("multiple_choice", "ANSWER: ", "the answer is empty"),
    (
        "multiple_choice",
        "I like blue",
        "`I like blue` is not one of the options (red, green, blue)",
    ),
    ("checkbox", "red, purple", "`purple` is not one of the options (red, green, blue)"),
    ("checkbox", "red, green, blue", "3 options given; choose at most 2"),
    ("checkbox", "red, Red", "`red` is given twice"),
    ("checkbox", "none", "`none` is not one of the options (red, green, blue)"),
    ("checkbox", "[]", "the answer is empty"),
    ("checkbox", '[["red"]]', 'item 1 (`["red"]`) is not a text'),
    ("yes_no", "maybe", "`maybe` is not Yes or No"),
    ("yes_no", "Yes and no", "`Yes and no` says both yes and no"),
    ("yes_no", "Not really", "`Not really` is not Yes or No"),
    ("yes_no", "Yesterday", "`Yesterday` is not Yes or No"),
    ("yes_no", "No, well, yes", "`No, well, yes` says both yes and no"),
    ("linear_scale", "4.5", "`4.5` is not a whole number; answer with a whole number from 1 to 5"),
    ("linear_scale", "6", "`6` is outside the scale 1 to 5"),
    ("linear_scale", "6\nsorry, 5", "`6` is outside the scale 1 to 5"),
    ("linear_scale", "0", "`0` is outside the scale 1 to 5"),
    ("linear_scale", "four", "`four` is not a whole number from 1 to 5"),
    ("linear_scale", "4/10", "`4/10` is not a whole number from 1 to 5"),
    ("linear_scale", "4 = very much", "`4 = very much` is not a whole number from 1 to 5"),
    ("linear_scale", "3 or 4", "`3 or 4` is not a whole number from 1 to 5"),
    (
        "likert_five",
        "Somewhat agree",
        "`Somewhat agree` is not one of the options (Strongly disagree, Disagree, Neutral, Agree, Strongly agree)",
    ),
    (
        "likert_five",
        "4",
        "`4` is not one of the options (Strongly disagree, Disagree, Neutral, Agree, Strongly agree)",
    ),
    ("numerical", "101", "`101` is above the maximum 100"),
    ("numerical", "-1", "`-1` is below the minimum 0"),
    ("numerical", "about 30", "`about 30` is not a number (write digits only)"),
    ("numerical", "5 million", "`5 million` is not a number (write digits only)"),
    ("numerical", "1,5", "`1,5` is not a number (write digits only)"),
    ("numerical", "1e999", "`1e999` is not a number (write digits only)"),
    ("numerical", "nan", "`nan` is not a number (write digits only)"),
    ("list", "a, b, c, d", "the answer has 4 items; at most 3 allowed"),
    ("list", "- a\n- b\n- c\n- d", "the answer has 4 items; at most 3 allowed"),
    ("list", "[]", "the answer is empty"),
    ("list", '[{"a": 1}]', 'item 1 (`{"a": 1}`) is not a text'),
    ("rank", "blue, red", "2 options given; choose exactly 3"),
    ("rank", "blue, red, blue", "`blue` is given twice"),
    ("rank", "blue, red, purple", "`purple` is not one of the options (red, green, blue)"),
    ("top_k", "blue", "1 option given; choose exactly 2"),
    ("top_k", "blue, red, green", "3 options given; choose exactly 2"),
    ("top_k", "blue, blue", "`blue` is given twice"),
    (
        "budget",
        '{"red": 50, "green": 30}',
        "no amount for `blue`; give every option an amount (0 for none)",
    ),
    ("budget", '{"red": 50, "green": 30, "blue": 10}', "the amounts add up to 90, not 100"),
    ("budget", '{"red": 120, "green": -20, "blue": 0}', "the amount for `green` is negative (-20)"),
    (
        "budget",
        '{"red": 50, "green": "half", "blue": 0}',
        "the amount for `green` (`half`) is not a number",
    ),
    (
        "budget",
        '{"red": 50, "pink": 50, "blue": 0}',
        "`pink` is not one of the options (red, green, blue)",
    ),
    ("budget", '{"red": 50, "Red": 50, "blue": 0}', "`red` is given twice"),
    (
        "budget",
        '{"red": true, "green": 50, "blue": 50}',
        "the amount for `red` (`true`) is not a number",
    ),
    ("budget", '{"red": 50,', '`{"red": 50,` is not a valid JSON object'),
    (
        "budget",
        "all of it to red",
        "`all of it to red` is not a `name: value` pair; expected a JSON object",
    ),
    ("matrix", '{"price": "good"}', "no option for `taste`; answer every item"),
    (
        "matrix",
        '{"price": "good", "taste": "meh"}',
        "`meh` for `taste` is not one of the options (good, bad)",
    ),
    (
        "matrix",
        '{"price": "good", "taste": "bad", "size": "good"}',
        "`size` is not one of the items (price, taste)",
    ),
    ("matrix", '{"price": "good", "price": "bad", "taste": "bad"}', "`price` is given twice"),
    ("extract", '{"name": "Ann", "age": 34, "ok": true}', "missing field `height`"),
    (
        "extract",
        '{"name": "Ann", "age": 34.5, "height": 1, "ok": true}',
        "field `age` should be a whole number, not `34.5`",
    ),
    (
        "extract",
        '{"name": "Ann", "age": "34", "height": 1, "ok": true}',
        "field `age` should be a whole number, not `34`",
    ),
    (
        "extract",
        '{"name": 7, "age": 34, "height": 1, "ok": true}',
        "field `name` should be a text, not `7`",
    ),
    (
        "extract",
        '{"name": "Ann", "age": 34, "height": 1, "ok": "yes"}',
        "field `ok` should be true or false, not `yes`",
    ),
    (
        "extract",
        '{"name": "Ann", "age": 34, "height": true, "ok": true}',
        "field `height` should be a number, not `true`",
    ),
    (
        "extract",
        '{"name": "Ann", "age": 34, "height": 1, "ok": true, "x": 1}',
        "`x` is not one of the fields (name, age, height, ok)",
    ),
    (
        "extract",
        "name: Ann\nage: old\nheight: 1\nok: no",
        "field `age` should be a whole number, not `old`",
    ),
    ("extract", "Ann, 34", "`Ann` is not a `name: value` pair; expected a JSON object"),
]


@pytest.mark.parametrize(("kind", "reply", "why"), INVALID)
def test_invalid(kind: str, reply: str, why: str) -> None:
    assert reason(build(kind, **QUESTIONS[kind]), reply) == why


def test_checkbox_bounds_and_none() -> None:
    anything = build("checkbox", options=COLOURS, min_selections=0)
    assert anything.parse("none").answer == []
    assert anything.parse("ANSWER: []").answer == []
    assert anything.parse("red, green, blue").answer == COLOURS
    two = build("checkbox", options=COLOURS, min_selections=2)
    assert reason(two, "red") == "1 option given; choose at least 2"
    exact = build("checkbox", options=COLOURS, min_selections=2, max_selections=2)
    assert reason(exact, "red, green, blue") == "3 options given; choose exactly 2"
    # an option called `None` is an option, not the empty answer
    with_none = build("checkbox", options=["None", "red"], min_selections=0)
    assert with_none.parse("none").answer == ["None"]


def test_options_containing_commas_are_answered_whole_and_in_json() -> None:
    question = build("multiple_choice", options=["Yes, often", "No, never"])
    assert question.parse("yes, often").answer == "Yes, often"
    assert reason(question, "Yes, often, No, never").startswith(
        "`Yes, often, No, never` is not one of the options"
    )
    several = build("checkbox", options=["Yes, often", "No, never", "Rarely"])
    assert several.parse('["No, never", "Rarely"]').answer == ["No, never", "Rarely"]
    assert "JSON list" in several.instructions


def test_numbers_as_options_and_numeric_matrix_options() -> None:
    question = build("multiple_choice", options=[1, 2.5, "3"])
    assert question.options == ["1", "2.5", "3"]
    assert question.parse("2.5").answer == "2.5"
    grid = build("matrix", items=["a"], options=[1, 2])
    assert grid.parse('{"a": 2}').answer == {"a": "2"}


def test_numerical_without_bounds_and_huge_numbers() -> None:
    question = build("numerical")
    assert question.parse("-12,345.5").answer == -12345.5
    assert question.parse("1,000").answer == 1000
    assert question.parse("0.1").answer == 0.1
    assert question.parse("12345678901234567890").answer == 12345678901234567890
    assert reason(question, "9" * 5000).startswith("`999")


def test_answer_marker_and_comment_shapes() -> None:
    question = build("multiple_choice", options=COLOURS)
    # the last answer marker counts; a comment's own text may say "answer"
    assert question.parse("ANSWER: red\nANSWER: blue") == Parsed("blue", None)
    assert question.parse("ANSWER: red\nCOMMENT: my answer: red") == Parsed("red", "my answer: red")
    assert question.parse("ANSWER: red COMMENT: quick") == Parsed("red", "quick")
    assert question.parse("answer: red\ncomment:") == Parsed("red", None)
    assert question.parse("> **Answer**: blue") == Parsed("blue", None)


def test_summary_and_options_for_counting() -> None:
    expected = {
        "free_text": ("text", None),
        "multiple_choice": ("choice", COLOURS),
        "checkbox": ("multi", COLOURS),
        "yes_no": ("choice", ["Yes", "No"]),
        "linear_scale": ("choice", ["1", "2", "3", "4", "5"]),
        "likert_five": (
            "choice",
            ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"],
        ),
        "numerical": ("number", None),
        "list": ("list", None),
        "rank": ("multi", COLOURS),
        "top_k": ("multi", COLOURS),
        "budget": ("mapping", COLOURS),
        "matrix": ("mapping", ["good", "bad"]),
        "extract": ("mapping", None),
    }
    for kind, fields in QUESTIONS.items():
        question = build(kind, **fields)
        assert question.type == kind
        assert (question.summary, question.options) == expected[kind], kind


TO_TEXT: list[tuple[str, Any, str]] = [
    ("free_text", "Because.", "Because."),
    ("multiple_choice", "blue", "blue"),
    ("checkbox", ["red", "blue"], "red, blue"),
    ("yes_no", "No", "No"),
    ("linear_scale", 4, "4"),
    ("likert_five", "Agree", "Agree"),
    ("numerical", 2.5, "2.5"),
    ("numerical", 3, "3"),
    ("list", ["tea", "coffee"], "tea, coffee"),
    ("rank", ["blue", "red", "green"], "blue, red, green"),
    ("top_k", ["blue", "red"], "blue, red"),
    ("budget", {"red": 50, "green": 25.5, "blue": 24.5}, "red: 50; green: 25.5; blue: 24.5"),
    ("matrix", {"price": "bad", "taste": "good"}, "price: bad; taste: good"),
    (
        "extract",
        {"name": "Ann", "age": 34, "height": 1.7, "ok": True},
        "name: Ann; age: 34; height: 1.7; ok: true",
    ),
]


@pytest.mark.parametrize(("kind", "answer", "text"), TO_TEXT)
def test_to_text(kind: str, answer: Any, text: str) -> None:
    assert build(kind, **QUESTIONS[kind]).to_text(answer) == text


def test_every_parsed_answer_reads_back() -> None:
    """What a type parses, it can pipe: `to_text` of a valid answer parses to itself
    (mapping types aside, whose text form is `k: v; ...`, and list items holding commas)."""
    for kind, reply, answer, _ in VALID:
        question = build(kind, **QUESTIONS[kind])
        if question.summary == "mapping" or (kind == "list" and "," in "".join(answer)):
            continue
        assert question.parse(question.to_text(answer)).answer == answer, (kind, reply)


def test_instructions() -> None:
    choice = build("multiple_choice", options=COLOURS).instructions
    assert choice == (
        "Choose exactly one of these options:\n- red\n- green\n- blue\n"
        "Reply on one line with the option as written: ANSWER: <option>\n"
        "You may add a short comment on its own line after the answer: COMMENT: <comment>"
    )
    scale = build("linear_scale", **QUESTIONS["linear_scale"]).instructions
    assert scale.startswith(
        "Answer with a whole number from 1 to 5, where:\n1 = not at all\n5 = very much\n"
        "Reply on one line: ANSWER: <number>\n"
    )
    assert build("linear_scale", scale=[0, 10]).instructions.startswith(
        "Answer with a whole number from 0 to 10.\nReply"
    )
    assert build("yes_no").instructions.startswith("Answer Yes or No, on one line: ANSWER: Yes")
    assert "from 0 to 100" in build("numerical", min_value=0, max_value=100).instructions
    assert "of at least 0," in build("numerical", min_value=0).instructions
    assert (
        "Choose from 1 to 2 of these options:"
        in build("checkbox", **QUESTIONS["checkbox"]).instructions
    )
    assert (
        "Choose any number (possibly none)"
        in build("checkbox", options=COLOURS, min_selections=0).instructions
    )
    assert (
        "Rank your top 2 of these options, best first:"
        in build("rank", options=COLOURS, num_selections=2).instructions
    )
    assert "Divide 100 among these options" in build("budget", options=COLOURS).instructions
    assert (
        'ANSWER: {"name": "<text>", "age": <integer>, "height": <number>, "ok": <true or false>}'
        in (build("extract", **QUESTIONS["extract"]).instructions)
    )
    for kind, fields in QUESTIONS.items():
        text = build(kind, **fields).instructions
        assert "ANSWER:" in text and text.endswith("COMMENT: <comment>"), kind
        assert "{{" not in text and "{%" not in text, kind


FACTORY_ERRORS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "multiple_choice",
        {"options": []},
        "`options` needs at least one option",
        "questions/2/options",
    ),
    (
        "multiple_choice",
        {"options": ["red", "blue", "red"]},
        "option `red` is listed twice",
        "questions/2/options/2",
    ),
    (
        "multiple_choice",
        {"options": ["red", "Red "]},
        "option `Red` is the same as `red` (answers ignore case)",
        "questions/2/options/1",
    ),
    ("multiple_choice", {"options": ["red", " "]}, "option 2 is empty", "questions/2/options/1"),
    (
        "multiple_choice",
        {"options": ["red", True]},
        "option 2 is the YAML boolean `true`; quote it to keep it as text",
        "questions/2/options/1",
    ),
    (
        "checkbox",
        {"options": COLOURS, "max_selections": 4},
        "`max_selections` is 4; it must be from 1 to 3",
        "questions/2/max_selections",
    ),
    (
        "checkbox",
        {"options": COLOURS, "min_selections": 3, "max_selections": 2},
        "`min_selections` is 3; it must be from 0 to 2",
        "questions/2/min_selections",
    ),
    (
        "linear_scale",
        {"scale": [5, 1]},
        "`scale` is [5, 1]; the first bound must be below the second",
        "questions/2/scale",
    ),
    (
        "linear_scale",
        {"scale": [1, 1]},
        "`scale` is [1, 1]; the first bound must be below the second",
        "questions/2/scale",
    ),
    (
        "linear_scale",
        {"scale": [1, 5], "labels": {0: "none"}},
        "label 0 is outside the scale 1 to 5",
        "questions/2/labels/0",
    ),
    (
        "numerical",
        {"min_value": 10, "max_value": 1},
        "`min_value` 10 is above `max_value` 1",
        "questions/2/min_value",
    ),
    (
        "list",
        {"max_list_items": 0},
        "`max_list_items` is 0; it must be at least 1",
        "questions/2/max_list_items",
    ),
    (
        "rank",
        {"options": COLOURS, "num_selections": 4},
        "`num_selections` is 4; it must be from 1 to 3",
        "questions/2/num_selections",
    ),
    ("top_k", {"options": COLOURS, "k": 0}, "`k` is 0; it must be from 1 to 3", "questions/2/k"),
    ("top_k", {"options": COLOURS, "k": 4}, "`k` is 4; it must be from 1 to 3", "questions/2/k"),
    (
        "top_k",
        {"options": ["a", "a"], "k": 1},
        "option `a` is listed twice",
        "questions/2/options/1",
    ),
    (
        "budget",
        {"options": COLOURS, "budget_sum": 0},
        "`budget_sum` is 0; it must be above 0",
        "questions/2/budget_sum",
    ),
    (
        "matrix",
        {"items": ["a", "a"], "options": ["x"]},
        "item `a` is listed twice",
        "questions/2/items/1",
    ),
    (
        "matrix",
        {"items": ["a"], "options": []},
        "`options` needs at least one option",
        "questions/2/options",
    ),
    ("extract", {"fields": {}}, "`fields` needs at least one field", "questions/2/fields"),
    (
        "extract",
        {"fields": {"age": "int"}},
        "field `age` has unknown type `int`; did you mean `integer`? (types: text, number, integer, boolean)",
        "questions/2/fields/age",
    ),
    (
        "extract",
        {"fields": {"age": "numbr"}},
        "field `age` has unknown type `numbr`; did you mean `number`? (types: text, number, integer, boolean)",
        "questions/2/fields/age",
    ),
]


@pytest.mark.parametrize(("kind", "fields", "message", "where"), FACTORY_ERRORS)
def test_factory_errors_are_located(
    kind: str, fields: dict[str, Any], message: str, where: str
) -> None:
    assert located(kind, **fields) == (message, where)


@pytest.mark.parametrize(
    ("kind", "fields", "wrong"),
    [
        ("multiple_choice", {}, "options"),
        ("top_k", {"options": COLOURS}, "k"),
        ("matrix", {"options": COLOURS}, "items"),
        ("extract", {}, "fields"),
        ("linear_scale", {}, "scale"),
        ("linear_scale", {"scale": [1, 2, 3]}, "scale"),
        ("multiple_choice", {"options": COLOURS, "option": 1}, "option"),
        ("yes_no", {"options": COLOURS}, "options"),
        ("multiple_choice", {"options": [["red"]]}, "options"),
    ],
)
def test_field_errors_come_from_the_signature(
    kind: str, fields: dict[str, Any], wrong: str
) -> None:
    """Missing, unknown or mistyped fields are the registry's: a ValidationError whose
    location the loader turns into the key's line, as for scorers' arguments."""
    with pytest.raises(ValidationError) as info:
        build(kind, **fields)
    error = info.value.errors()[0]
    assert (error["loc"][0] if error["loc"] else error["ctx"]["key"]) == wrong


def test_unknown_field_lists_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match=r"did you mean `options`\? \(allowed: options\)"):
        build("multiple_choice", options=COLOURS, optons=1)


def test_answers_are_json_values() -> None:
    import json

    for kind, reply, _, _ in VALID:
        parsed = build(kind, **QUESTIONS[kind]).parse(reply)
        assert json.loads(json.dumps(parsed.answer)) == parsed.answer

"""`evalrun survey flow`: the question graph as Mermaid and DOT, exactly; labels that
would break either format's parser escaped."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from conftest import TASKS

from evalrun.survey import load_survey
from evalrun.survey._flow import flow
from evalrun.survey._model import Question, Rule, Survey


@dataclass(frozen=True)
class Condition:
    """What the flow reads of a parsed condition: its text."""

    source: str


def rule(kind: str, question: str, condition: str, to: str | None = None, reads=()) -> Rule:
    return Rule(kind, question, to, Condition(condition), tuple(reads))  # type: ignore[arg-type]


def colours() -> Survey:
    """The example survey's graph: a skip, a stop, a jump, a pipe, memory `last`."""
    return Survey(
        name="colours",
        questions=(
            Question("has_favourite", "yes_no", "Do you have a favourite colour?"),
            Question("favourite", "multiple_choice", "Which?", memory=("has_favourite",)),
            Question(
                "how_much",
                "linear_scale",
                "How much do you like {{ favourite.answer }}?",
                pipes=("favourite",),
                memory=("favourite",),
            ),
            Question("why", "free_text", "Why?", memory=("how_much",)),
        ),
        rules=(
            rule("skip", "favourite", "has_favourite == 'No'", reads=["has_favourite"]),
            rule("stop_after", "has_favourite", "has_favourite == 'No'", reads=["has_favourite"]),
            rule("jump", "favourite", 'favourite == "other"', to="why", reads=["favourite"]),
        ),
    )


MERMAID = """\
flowchart TD
    q_has_favourite["has_favourite<br/>yes_no"]
    q_favourite["favourite<br/>multiple_choice"]
    q_how_much["how_much<br/>linear_scale"]
    q_why["why<br/>free_text"]
    END(["end"])
    q_has_favourite --> q_favourite
    q_favourite --> q_how_much
    q_how_much --> q_why
    q_why --> END
    q_has_favourite -.->|"skip if has_favourite == 'No'"| q_favourite
    q_has_favourite -->|"stop if has_favourite == 'No'"| END
    q_favourite -->|"jump if favourite == #quot;other#quot;"| q_why
    q_favourite -.->|"pipes"| q_how_much
    q_has_favourite -.->|"memory"| q_favourite
    q_favourite -.->|"memory"| q_how_much
    q_how_much -.->|"memory"| q_why
    linkStyle 4 stroke-dasharray: 8 4
"""

DOT = """\
digraph survey {
    node [shape=box];
    "q_has_favourite" [label="has_favourite\\nyes_no"];
    "q_favourite" [label="favourite\\nmultiple_choice"];
    "q_how_much" [label="how_much\\nlinear_scale"];
    "q_why" [label="why\\nfree_text"];
    "END" [label="end", shape=oval];
    "q_has_favourite" -> "q_favourite";
    "q_favourite" -> "q_how_much";
    "q_how_much" -> "q_why";
    "q_why" -> "END";
    "q_has_favourite" -> "q_favourite" [style=dashed, label="skip if has_favourite == 'No'"];
    "q_has_favourite" -> "END" [label="stop if has_favourite == 'No'"];
    "q_favourite" -> "q_why" [label="jump if favourite == \\"other\\""];
    "q_favourite" -> "q_how_much" [style=dotted, label="pipes"];
    "q_has_favourite" -> "q_favourite" [style=dotted, label="memory"];
    "q_favourite" -> "q_how_much" [style=dotted, label="memory"];
    "q_how_much" -> "q_why" [style=dotted, label="memory"];
}
"""


def test_mermaid_exactly() -> None:
    assert flow(colours()) == MERMAID
    assert flow(colours(), "mermaid") == MERMAID


def test_dot_exactly() -> None:
    assert flow(colours(), "dot") == DOT


def test_a_skip_on_the_agent_or_scenario_starts_before_the_question() -> None:
    """No earlier answer decides it: the edge leaves the question before (or `start`)."""
    survey = Survey(
        name="s",
        questions=(Question("a", "yes_no", "A?"), Question("b", "numerical", "B?")),
        rules=(
            rule("skip", "a", "agent.age < 18"),
            rule("skip", "b", "scenario.kind in ['x', 'y']"),
        ),
    )
    assert flow(survey) == (
        "flowchart TD\n"
        '    q_a["a<br/>yes_no"]\n'
        '    q_b["b<br/>numerical"]\n'
        '    START(["start"])\n'
        '    END(["end"])\n'
        "    q_a --> q_b\n"
        "    q_b --> END\n"
        '    START -.->|"skip if agent.age #lt; 18"| q_a\n'
        "    q_a -.->|\"skip if scenario.kind in ['x', 'y']\"| q_b\n"
        "    linkStyle 2,3 stroke-dasharray: 8 4\n"
    )
    dot = flow(survey, "dot")
    assert '"START" [label="start", shape=oval];' in dot
    assert '"START" -> "q_a" [style=dashed, label="skip if agent.age < 18"];' in dot


def test_a_skip_leaves_from_the_latest_question_it_reads() -> None:
    survey = Survey(
        name="s",
        questions=tuple(Question(n, "yes_no", "?") for n in ("a", "b", "c", "d")),
        rules=(rule("skip", "d", "a == 'Yes' and b == 'No'", reads=["b", "a"]),),
    )
    assert "    q_b -.->|\"skip if a == 'Yes' and b == 'No'\"| q_d\n" in flow(survey)


@pytest.mark.parametrize(
    ("condition", "mermaid", "dot"),
    [
        ('x == "a"', "x == #quot;a#quot;", 'x == \\"a\\"'),
        ("x in ['[a]', '(b)']", "x in ['[a]', '(b)']", "x in ['[a]', '(b)']"),
        ("x > 1 and x <= 3", "x #gt; 1 and x #lt;= 3", "x > 1 and x <= 3"),
        ("x == '#1;'", "x == '#35;1;'", "x == '#1;'"),
        ("x == 'a\\nb'", "x == 'a\\nb'", "x == 'a\\\\nb'"),
        ("x == 'a\nb'", "x == 'a<br/>b'", "x == 'a\\nb'"),
        ("x == '|' or y == '}'", "x == '|' or y == '}'", "x == '|' or y == '}'"),
    ],
)
def test_labels_are_escaped(condition: str, mermaid: str, dot: str) -> None:
    """Quotes, brackets, `<`/`>`, `#`, backslashes and newlines in a condition."""
    survey = Survey(
        name="s",
        questions=(Question("a", "yes_no", "A?"), Question("b", "yes_no", "B?")),
        rules=(rule("stop_after", "a", condition, reads=["a"]),),
    )
    assert f'    q_a -->|"stop if {mermaid}"| END\n' in flow(survey)
    assert f'    "q_a" -> "END" [label="stop if {dot}"];\n' in flow(survey, "dot")


def test_names_that_are_keywords_are_no_problem() -> None:
    """`end`, `graph`, `node` are keywords of Mermaid or DOT; ids carry a prefix."""
    survey = Survey(
        name="s",
        questions=tuple(Question(n, "free_text", "?") for n in ("end", "graph", "node")),
    )
    assert flow(survey).splitlines()[1:4] == [
        '    q_end["end<br/>free_text"]',
        '    q_graph["graph<br/>free_text"]',
        '    q_node["node<br/>free_text"]',
    ]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format `svg`"):
        flow(colours(), "svg")  # type: ignore[arg-type]


# --- the command, on real files --------------------------------------------------------


def test_the_command_prints_the_example_survey(evalrun) -> None:
    """The loader's `reads`, `pipes` and `memory` (full) as edges; DOT with --format."""
    path = str(TASKS / "colours.survey.yaml")
    mermaid = evalrun("survey", "flow", path)
    assert mermaid.code == 0, mermaid.output
    assert mermaid.out == flow(load_survey(path))
    lines = mermaid.out.splitlines()
    assert lines[0] == "flowchart TD"
    for edge in (
        "q_has_favourite -.->|\"skip if has_favourite == 'No'\"| q_favourite",
        "q_has_favourite -->|\"stop if has_favourite == 'No'\"| END",
        "q_favourite -->|\"jump if favourite == 'other'\"| q_why",
        'q_favourite -.->|"pipes"| q_how_much',
        'q_has_favourite -.->|"memory"| q_why',
    ):
        assert f"    {edge}" in lines
    assert sum('|"memory"|' in line for line in lines) == 6  # full: 1 + 2 + 3
    dot = evalrun("survey", "flow", path, "--format", "dot")
    assert dot.code == 0 and dot.out == flow(load_survey(path), "dot")
    assert dot.out.startswith("digraph survey {\n") and dot.out.endswith("}\n")


def test_a_rule_on_the_agent_in_a_file_based_survey(evalrun) -> None:
    out = evalrun("survey", "flow", str(TASKS / "coffee.survey.yaml")).out
    assert "    q_budget -.->|\"skip if agent.habit == 'rarely'\"| q_times\n" in out
    assert '    q_max_price -.->|"skip if max_price #lt; scenario.price / 2"| q_value\n' in out
    assert '    q_max_price -.->|"memory"| q_value\n' in out
    assert '    q_max_price -.->|"pipes"| q_times\n' in out


def test_command_errors(evalrun, tmp_path) -> None:
    path = str(TASKS / "colours.survey.yaml")
    wrong = evalrun("survey", "flow", path, "--format", "svg")
    assert (wrong.code, wrong.err) == (2, "--format: `svg` is not one of mermaid, dot\n")
    task = evalrun("survey", "flow", str(TASKS / "arithmetic.yaml"))
    assert task.code == 2 and "not a survey file" in task.err
    missing = evalrun("survey", "flow", "nothing.yaml")
    assert missing.code == 2 and "nothing.yaml" in missing.err and "file not found" in missing.err
    (tmp_path / "bad.survey.yaml").write_text(
        "kind: survey\nquestions:\n  - {name: a, type: yes_no, text: A?}\n"
        "rules:\n  - skip: b\n    if: \"a == 'No'\"\n"
    )
    bad = evalrun("survey", "flow", "bad.survey.yaml")
    assert (bad.code, bad.out) == (2, "")
    assert bad.err.startswith("bad.survey.yaml:5:11: ") and "`b`" in bad.err

"""The question graph of a survey as text a renderer draws: Mermaid (GitHub, notebooks,
issues render it inline) or Graphviz DOT.

Nodes are the questions, in order, and an `end` node. Edges:

- order: each question to the next, the last one to `end` (solid);
- skip: dashed, into the skipped question, from the latest earlier question its
  condition reads (else from the question before it; a `start` node when it is first);
- jump: from the question it leaves to the one it lands on, labelled with its condition;
- stop_after: from the question to `end`, labelled;
- piping and memory: dotted, from the earlier question to the one that pipes it in or
  sees its turn, labelled `pipes` / `memory`.

Labels are escaped for each format (quotes, brackets, `<`, `>`, `#`, newlines), so a
condition such as `x in ["a", "b"] and y >= 2` draws as written. Node ids are the
question names prefixed with `q_` (a question named `end` or `graph` is no keyword).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from evalrun.survey._model import Rule, Survey

Format = Literal["mermaid", "dot"]
FORMATS: tuple[Format, ...] = ("mermaid", "dot")

EdgeKind = Literal["order", "skip", "jump", "stop", "pipes", "memory"]

START, END = "START", "END"


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str | None = None


def flow(survey: Survey, fmt: Format = "mermaid") -> str:
    """The survey's question graph as Mermaid `flowchart TD` or a DOT `digraph`, ending
    with a newline."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format `{fmt}` (expected mermaid or dot)")
    nodes, ends, edges = graph(survey)
    return (_mermaid if fmt == "mermaid" else _dot)(nodes, ends, edges)


def graph(survey: Survey) -> tuple[list[tuple[str, str]], list[str], list[Edge]]:
    """The picture's parts: the question nodes (id, `name\ntype`) in order, the end
    nodes (`START` when a skip leaves from before the first question, `END`), and the
    edges (the viewer draws them itself)."""
    edges = _edges(survey)
    nodes = [(_id(q.name), f"{q.name}\n{q.type}") for q in survey.questions]
    ends = [START] if any(e.source == START for e in edges) else []
    ends.append(END)
    return nodes, ends, edges


def _id(question: str) -> str:
    return f"q_{question}"


def _edges(survey: Survey) -> list[Edge]:
    names = [q.name for q in survey.questions]
    position = {name: i for i, name in enumerate(names)}
    edges = [Edge(_id(a), _id(b), "order") for a, b in pairwise(names)]
    if names:
        edges.append(Edge(_id(names[-1]), END, "order"))
    for rule in survey.rules:
        condition = rule.condition.source
        if rule.kind == "skip":
            source = _skip_source(rule, names, position)
            edges.append(Edge(source, _id(rule.question), "skip", f"skip if {condition}"))
        elif rule.kind == "jump":
            assert rule.to is not None
            edges.append(Edge(_id(rule.question), _id(rule.to), "jump", f"jump if {condition}"))
        else:
            edges.append(Edge(_id(rule.question), END, "stop", f"stop if {condition}"))
    for question in survey.questions:
        edges.extend(Edge(_id(p), _id(question.name), "pipes", "pipes") for p in question.pipes)
    for question in survey.questions:
        edges.extend(Edge(_id(m), _id(question.name), "memory", "memory") for m in question.memory)
    return edges


def _skip_source(rule: Rule, names: list[str], position: dict[str, int]) -> str:
    """Where a skip is decided: the latest earlier question its condition reads; else
    the question just before (the condition reads only the agent or scenario)."""
    at = position[rule.question]
    read = [position[r] for r in rule.reads if r in position and position[r] < at]
    if read:
        return _id(names[max(read)])
    return _id(names[at - 1]) if at > 0 else START


# --- Mermaid ----------------------------------------------------------------------------

_MERMAID_ARROWS: dict[EdgeKind, str] = {
    "order": "-->",
    "jump": "-->",
    "stop": "-->",
    "skip": "-.->",
    "pipes": "-.->",
    "memory": "-.->",
}


def _mermaid_text(text: str) -> str:
    """A label inside Mermaid's double quotes: entity codes for the characters its
    parser or the HTML label would take (`#` first, since codes start with it)."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text.replace("\r\n", "\n").replace("\n", "<br/>")


def _mermaid(nodes: list[tuple[str, str]], ends: list[str], edges: list[Edge]) -> str:
    lines = ["flowchart TD"]
    lines += [f'    {node}["{_mermaid_text(label)}"]' for node, label in nodes]
    lines += [f'    {end}(["{end.lower()}"])' for end in ends]
    for edge in edges:
        arrow = _MERMAID_ARROWS[edge.kind]
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"    {edge.source} {arrow}{label} {edge.target}")
    # Mermaid draws `-.->` dotted; a skip is dashed, set per link by its index
    dashed = [str(i) for i, edge in enumerate(edges) if edge.kind == "skip"]
    if dashed:
        lines.append(f"    linkStyle {','.join(dashed)} stroke-dasharray: 8 4")
    return "\n".join(lines) + "\n"


# --- DOT --------------------------------------------------------------------------------

_DOT_STYLES: dict[EdgeKind, str] = {
    "order": "",
    "jump": "",
    "stop": "",
    "skip": "style=dashed",
    "pipes": "style=dotted",
    "memory": "style=dotted",
}


def _dot_text(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, newlines as `\\n`."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _dot(nodes: list[tuple[str, str]], ends: list[str], edges: list[Edge]) -> str:
    lines = ["digraph survey {", "    node [shape=box];"]
    lines += [f'    "{node}" [label="{_dot_text(label)}"];' for node, label in nodes]
    lines += [f'    "{end}" [label="{end.lower()}", shape=oval];' for end in ends]
    for edge in edges:
        attributes = [a for a in (_DOT_STYLES[edge.kind],) if a]
        if edge.label:
            attributes.append(f'label="{_dot_text(edge.label)}"')
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f'    "{edge.source}" -> "{edge.target}"{suffix};')
    lines.append("}")
    return "\n".join(lines) + "\n"

"""The terminal summary: per question, a bar per option (count and share), numbers' mean /
median / std / min / max, invalid and skipped counts; per group when there are several.

Lines are laid out here as plain text for a given width (bars shrink to fit, long labels
are cut with `…`), so that the output fits any terminal and reads the same in a file; rich
is imported only to print them (`print_summary`).
"""

from __future__ import annotations

from typing import Any

from evalrun.rows._rows import QuestionInfo
from evalrun.rows._summary import ALL, Answers, NumberStats, Summary

#: bars never grow past this, however wide the terminal
MAX_BAR = 40
MIN_BAR = 4
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(share: float, width: int) -> str:
    """A bar `share` (0..1) of `width` cells, in eighths of a cell, padded with `·`."""
    share = min(max(share, 0.0), 1.0)
    eighths = round(share * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text + "·" * (width - len(text))


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with `…` when longer."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def number(value: float | None) -> str:
    """A number as a reader wants it: whole numbers bare, others to two decimals."""
    if value is None:
        return "-"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def wrap(parts: list[str], width: int, indent: str) -> list[str]:
    """Parts joined by `  ` into lines of at most `width` cells."""
    lines: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}  {part}" if current else indent + part
        if current and len(candidate) > width:
            lines.append(current)
            current = indent + part
        else:
            current = candidate
    if current:
        lines.append(fit(current, width))
    return lines


def heading(title: str, rest: str, width: int, indent: str = "  ") -> list[str]:
    """`title rest` on one line when it fits, else `rest` on the next line (indented)."""
    if len(title) + 1 + len(rest) <= width:
        return [f"{title} {rest}"]
    return [fit(title, width), fit(indent + rest, width)]


def _counts(answers: Answers) -> str:
    text = f"{answers.valid:,} valid, {answers.invalid:,} invalid, {answers.skipped:,} skipped"
    return text + (f", {answers.missing:,} not asked" if answers.missing else "")


def _stats(stats: NumberStats, width: int, indent: str, what: str = "") -> list[str]:
    parts = [
        f"{what}mean {number(stats.mean)}",
        f"median {number(stats.median)}",
        f"std {number(stats.std)}",
        f"min {number(stats.min)}",
        f"max {number(stats.max)}",
    ]
    return wrap(parts, width, indent)


def _bars(rows: list[tuple[str, int, float]], width: int, indent: str) -> list[str]:
    """`label  ███····  count  share%` lines, columns aligned, within `width`."""
    if not rows:
        return []
    count_w = max(len(f"{count:,}") for _, count, _ in rows)
    fixed = len(indent) + 2 + 1 + count_w + 1 + 4  # gaps, count, share
    label_w = min(max(len(label) for label, _, _ in rows), max((width - fixed) // 3, 6))
    bar_w = max(min(width - fixed - label_w, MAX_BAR), MIN_BAR)
    return [
        f"{indent}{fit(label, label_w):<{label_w}} {bar(share, bar_w)} "
        f"{count:>{count_w},} {share:>4.0%}"
        for label, count, share in rows
    ]


def _question(question: QuestionInfo, answers: Answers, width: int, indent: str) -> list[str]:
    kind = question.summary
    lines: list[str] = []
    if not answers.valid:
        return lines  # the counts line says it all
    if kind in ("choice", "multi", "list"):
        rows = answers.options(question)
        if kind == "list":
            rows = rows[:5]
            lines.append(f"{indent}most named:")
        if question.type == "rank":
            lines.append(f"{indent}ranked first:")
        lines += _bars(rows, width, indent)
    if question.type == "rank" and answers.ranks:
        places = [f"{item} {number(mean)}" for item, mean in answers.mean_ranks(question)]
        lines += wrap(["mean place:", *places], width, indent)
    stats = answers.number_stats()
    if stats is not None and kind in ("choice", "number"):
        lines += _stats(stats, width, indent)
    if stats is not None and kind == "list":
        lines += _stats(stats, width, indent, "items: ")
    if kind == "mapping":
        for key, key_stats, common in answers.key_stats():
            if key_stats is not None:
                lines += _stats(key_stats, width, indent, f"{key}: ")
            else:
                shown = ", ".join(f"{value} {count:,}" for value, count in common[:3])
                lines.append(fit(f"{indent}{key}: {shown}", width))
    return lines


def summary_lines(summary: Summary, width: int = 80) -> list[str]:
    """The summary as plain lines of at most `width` cells."""
    width = max(width, 40)
    groups = list(summary.groups)
    split = groups != [ALL]
    what = "interviews" if summary.kind == "survey" else "samples × epochs"
    errored = sum(g.errored for g in summary.groups.values())
    head = f"{', '.join(summary.tasks)}: {summary.rows:,} {what}"
    if errored:
        head += f", {errored:,} errored"
    if split:
        head += f"; by {' / '.join(summary.by or ['model'])}"
    lines = [fit(head, width)]
    if split:
        for name in groups:
            group = summary.groups[name]
            lines.append(
                fit(
                    f"  {name}: {group.rows:,}"
                    + (f", {group.errored:,} errored" if group.errored else ""),
                    width,
                )
            )
    if summary.kind == "survey":
        for question, per_group in summary.questions:
            lines.append("")
            total = Answers()
            for answers in per_group.values():
                total.valid += answers.valid
                total.invalid += answers.invalid
                total.skipped += answers.skipped
                total.missing += answers.missing
            lines += heading(f"{question.name} ({question.type}):", _counts(total), width)
            for name in groups:
                answers = per_group.get(name) or Answers()
                indent = "  "
                if split:
                    lines += heading(f"  {name}:", _counts(answers), width, "    ")
                    indent = "    "
                lines += _question(question, answers, width, indent)
    else:
        for scorer, scored in summary.scorers.items():
            lines.append("")
            lines.append(fit(f"score.{scorer}: mean", width))
            rows = []
            for name in groups:
                scores = scored.get(name)
                if scores is None or scores.mean is None:
                    continue
                label = name if split else "all"
                rows.append((label, scores.count, scores.mean))
            lines += _score_bars(rows, width)
    return lines


def _score_bars(rows: list[tuple[str, int, float]], width: int) -> list[str]:
    """`group  ███····  0.800  (40 scored)`: a bar when the mean is a share (0..1)."""
    if not rows:
        return ["  no scores"]
    indent = "  "
    count_w = max(len(f"({count:,} scored)") for _, count, _ in rows)
    mean_w = max(len(number(mean) if not 0 <= mean <= 1 else f"{mean:.3f}") for _, _, mean in rows)
    fixed = len(indent) + 3 + mean_w + count_w
    label_w = min(max(len(label) for label, _, _ in rows), max((width - fixed) // 3, 6))
    bar_w = max(min(width - fixed - label_w, MAX_BAR), MIN_BAR)
    lines = []
    for label, count, mean in rows:
        share = 0 <= mean <= 1
        shown = f"{mean:.3f}" if share else number(mean)
        drawn = bar(mean, bar_w) if share else " " * bar_w
        lines.append(
            f"{indent}{fit(label, label_w):<{label_w}} {drawn} {shown:>{mean_w}} "
            f"{f'({count:,} scored)':>{count_w}}"
        )
    return lines


def print_summary(summary: Summary, console: Any) -> None:
    """Print the summary on a rich console, at its width (at most 100 cells wide), with
    question names in bold."""
    from rich.text import Text

    width = min(console.width, 100)
    for line in summary_lines(summary, width):
        text = Text(line)
        if line and not line.startswith(" "):
            text.stylize("bold", 0, line.find(" (") if " (" in line else len(line))
        console.print(text, soft_wrap=True)

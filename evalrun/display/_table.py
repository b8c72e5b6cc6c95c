"""The results table printed at the end of a run, readable in any terminal.

Numbers are never cut. The table is laid out when it is drawn, for the width it gets:
one table with a row per task x model x scorer where it fits; else task and model
stacked in one cell; else, per run, a heading line and a `scorer | metric | value`
table, which fits any terminal. Tokens, cost and time always go to the line under the
table that gives each run's counts (`log.SampleCounts`, in the words every view uses).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from evalrun.engine import EvalResult

#: the header of the count column: it counts samples x epochs (done/total), not samples
COUNT_HEADER = "samples\n×epochs"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cost(usage: dict[str, object]) -> str:
    """US dollars; `unknown` when some call's price is not known."""
    if not usage or usage.get("unpriced"):
        return "unknown"
    cost = float(usage.get("cost", 0.0) or 0.0)  # type: ignore[arg-type]
    return f"${cost:.4f}" if cost < 100 else f"${cost:,.2f}"


def _header(name: str) -> str:
    """A long metric name on several lines, broken after its underscores."""
    return name.replace("_", "_\n") if len(name) > 8 else name


def _status(result: EvalResult) -> str:
    return result.status if result.ok else f"[red]{result.status}[/red]"


def _scorer(result: EvalResult, score: dict[str, Any]) -> str:
    """`match`, or `choice (pass_at_2)` when the run has several reducers."""
    several = len({s["reducer"] for s in result.scores}) > 1
    return score["scorer"] + (f" ({score['reducer']})" if several else "")


def run_line(result: EvalResult) -> tuple[str, str]:
    """(`arithmetic × mockllm/model:`, `completed 20/20, scored 20, ...; 662 tokens, $0.0000, 0.4s`)."""
    tokens = result.usage.get("total_tokens", 0) if result.usage else 0
    return (
        f"{result.task} × {result.model}:",
        f"{result.counts.describe()}; {tokens:,} tokens, {_cost(result.usage)}, "
        f"{result.duration:.1f}s",
    )


class ResultsTable:
    """A renderable that picks, at drawing time, the widest layout that fits unclipped."""

    def __init__(self, results: list[EvalResult]) -> None:
        self.results = results
        self.metrics: list[str] = []
        for result in results:
            for score in result.scores:
                self.metrics.extend(m for m in score["metrics"] if m not in self.metrics)
        self.unparsed = any(s.get("unparsed") for r in results for s in r.scores)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Any]:
        width = options.max_width
        unbounded = options.update_width(1_000_000)  # a measure not clamped to the width
        yield Text("Results", style="bold")
        for layout in (self._wide(stacked=False), self._wide(stacked=True)):
            if Measurement.get(console, unbounded, layout).maximum <= width:
                yield layout
                yield from self._run_lines(self.results, width)
                return
        for result in self.results:
            yield from self._per_run(result)
            yield Padding(Text(run_line(result)[1]), (0, 0, 0, 2))

    def _run_lines(self, results: list[EvalResult], width: int) -> Iterator[RenderableType]:
        """Under a wide table: each run's counts, usage and time, beside or under its name."""
        runs = [run_line(result) for result in results]
        if max(len(label) for label, _ in runs) <= width // 3:
            lines = Table.grid(padding=(0, 1))
            lines.add_column(no_wrap=True)
            lines.add_column()
            for label, counts in runs:
                lines.add_row(label, counts)
            yield lines
        else:
            for label, counts in runs:
                yield Text(label)
                yield Padding(Text(counts), (0, 0, 0, 2))

    def _table(self) -> Table:
        return Table(
            box=box.SIMPLE_HEAD, header_style="bold", collapse_padding=True, show_edge=False
        )

    def _wide(self, *, stacked: bool) -> Table:
        """One row per task x model x scorer; `stacked` puts task and model in one cell."""
        table = self._table()
        names = ["task\nmodel"] if stacked else ["task", "model"]
        for name in names:
            table.add_column(name, overflow="fold")
        table.add_column("scorer", overflow="fold")
        numbers = [*self.metrics, COUNT_HEADER, "errors"]
        if self.unparsed:
            numbers.append("unparsed")
        for name in numbers:
            table.add_column(_header(name), justify="right", no_wrap=True)
        table.add_column("status", no_wrap=True)
        for result in self.results:
            rows = result.scores or [{"scorer": "-", "reducer": "", "metrics": {}}]
            for i, score in enumerate(rows):
                first = i == 0
                who = [f"{result.task}\n{result.model}"] if stacked else [result.task, result.model]
                table.add_row(
                    *(who if first else [""] * len(who)),
                    _scorer(result, score),
                    *[
                        _fmt(score["metrics"][m]) if m in score["metrics"] else ""
                        for m in self.metrics
                    ],
                    f"{result.completed:,}/{result.total:,}" if first else "",
                    f"{result.errored:,}" if first else "",
                    *([str(score.get("unparsed", 0))] if self.unparsed else []),
                    _status(result) if first else "",
                )
        return table

    def _per_run(self, result: EvalResult) -> Iterator[RenderableType]:
        """For narrow terminals: a run's name and status, then `scorer | metric | value`."""
        yield Text.from_markup(f"[bold]{result.task} × {result.model}[/bold]  {_status(result)}")
        table = self._table()
        table.add_column("scorer", overflow="fold")
        table.add_column("metric", overflow="fold")
        table.add_column("value", justify="right", no_wrap=True)
        for score in result.scores:
            label = _scorer(result, score)
            entries = list(score["metrics"].items())
            if score.get("unparsed"):
                entries.append(("unparsed", score["unparsed"]))
            for j, (name, value) in enumerate(entries):
                shown = str(value) if name == "unparsed" else _fmt(value)
                table.add_row(label if j == 0 else "", name, shown)
        yield table


def results_table(results: list[EvalResult]) -> RenderableType:
    """The results of a run, laid out for the console that draws it."""
    return Group(ResultsTable(results))


def threshold_lines(results: list[EvalResult]) -> list[str]:
    """One line per threshold: `task x model: accuracy 0.800 >= 0.7 pass`."""
    lines = []
    for result in results:
        for check in result.thresholds:
            status = check.get("status") or ("pass" if check["passed"] else "fail")
            verdict = {"pass": "[green]pass[/green]", "fail": "[red]below threshold[/red]"}.get(
                status, "[yellow]not checked (the run did not complete)[/yellow]"
            )
            lines.append(
                f"threshold {result.task} x {result.model}: {check['metric']} "
                f"{_fmt(check['value'])} >= {check['threshold']:g}: {verdict}"
            )
    return lines

"""The results table printed at the end of a run."""

from __future__ import annotations

from rich.table import Table

from evalrun.engine import EvalResult


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cost(usage: dict[str, object]) -> str:
    """US dollars; `unknown` when some call's price is not known."""
    if not usage or usage.get("unpriced"):
        return "unknown"
    cost = float(usage.get("cost", 0.0) or 0.0)  # type: ignore[arg-type]
    return f"${cost:.4f}" if cost < 100 else f"${cost:,.2f}"


def results_table(results: list[EvalResult]) -> Table:
    """One row per task x model x scorer (x reducer when several), one column per metric."""
    metric_names: list[str] = []
    for result in results:
        for score in result.scores:
            metric_names.extend(m for m in score["metrics"] if m not in metric_names)
    table = Table(title="Results", title_justify="left", header_style="bold")
    for column in (
        "task",
        "model",
        "samples",
        "scorer",
        *metric_names,
        "errors",
        "tokens",
        "cost",
        "time",
        "status",
    ):
        numeric = column in ("samples", "errors", "tokens", "cost", "time", *metric_names)
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for result in results:
        multi_reducer = len({s["reducer"] for s in result.scores}) > 1
        rows = result.scores or [{"scorer": "-", "reducer": "", "metrics": {}}]
        status = result.status if result.ok else f"[red]{result.status}[/red]"
        for i, score in enumerate(rows):
            first = i == 0
            scorer = score["scorer"] + (f" ({score['reducer']})" if multi_reducer else "")
            table.add_row(
                result.task if first else "",
                result.model if first else "",
                f"{result.completed}/{result.total}" if first else "",
                scorer,
                *[_fmt(score["metrics"][m]) if m in score["metrics"] else "" for m in metric_names],
                str(result.errored) if first else "",
                f"{result.usage.get('total_tokens', 0):,}" if first else "",
                _cost(result.usage) if first else "",
                f"{result.duration:.1f}s" if first else "",
                status if first else "",
            )
    return table


def threshold_lines(results: list[EvalResult]) -> list[str]:
    """One line per threshold: `task x model: accuracy 0.800 >= 0.7 pass`."""
    lines = []
    for result in results:
        for check in result.thresholds:
            verdict = "[green]pass[/green]" if check["passed"] else "[red]below threshold[/red]"
            lines.append(
                f"threshold {result.task} x {result.model}: {check['metric']} "
                f"{_fmt(check['value'])} >= {check['threshold']:g}: {verdict}"
            )
    return lines

"""`evalrun diff LOG_A LOG_B`: a paired comparison of two runs of the same task."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalrun.cli._app import EXIT_FAILED, app, guarded

_FORMATS = ("table", "json", "markdown")


@app.command("diff", short_help="Compare two runs of a task, paired by sample.")
@guarded
def diff_command(
    log_a: Annotated[Path, typer.Argument(metavar="LOG_A", help="The first run (A).")],
    log_b: Annotated[Path, typer.Argument(metavar="LOG_B", help="The run compared with it (B).")],
    output: Annotated[
        str, typer.Option("--format", metavar="table|json|markdown", help="Output format.")
    ] = "table",
    fail_on_regression: Annotated[
        bool,
        typer.Option(
            "--fail-on-regression",
            help="Exit 1 when B is significantly worse than A on any scorer.",
        ),
    ] = False,
    alpha: Annotated[
        float,
        typer.Option(
            help="Significance level of the tests; the intervals are at 1 - alpha.",
        ),
    ] = 0.05,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and permutations.")] = 0,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 2000,
) -> None:
    """Compare run B with run A of the same task, sample by sample.

    Samples are paired by id, with each run's epochs reduced by its own reducer. For each
    scorer: the metric in each run, the difference B - A with a paired bootstrap interval,
    and a paired test (McNemar's exact test for correct/incorrect scores, a permutation or
    Wilcoxon signed-rank test for numeric ones); the samples that got worse (regressions)
    and better, and the samples present in one run only.
    """
    import json

    from evalrun._diff import diff, format_markdown, format_table
    from evalrun.errors import InputError

    if output not in _FORMATS:
        raise InputError(f"--format: `{output}` is not one of {', '.join(_FORMATS)}")
    comparison = diff(log_a, log_b, alpha=alpha, seed=seed, resamples=resamples)
    if output == "json":
        print(json.dumps(comparison.to_dict(), indent=2))
    elif output == "markdown":
        print(format_markdown(comparison), end="")
    else:
        print(format_table(comparison))
    if fail_on_regression and comparison.regressed:
        worse = ", ".join(s.scorer for s in comparison.scorers if s.worse)
        import sys

        print(f"regression: B is significantly worse on {worse}", file=sys.stderr)
        raise typer.Exit(EXIT_FAILED)

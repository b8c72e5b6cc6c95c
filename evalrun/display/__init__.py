"""Terminal output: progress reporters (live, plain, none) and the results table."""

from evalrun.display._report import FullReporter, PlainReporter, SilentReporter, reporter_for
from evalrun.display._table import results_table, threshold_lines

__all__ = [
    "FullReporter",
    "PlainReporter",
    "SilentReporter",
    "reporter_for",
    "results_table",
    "threshold_lines",
]

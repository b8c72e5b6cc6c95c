"""Terminal output: the results table (rich) and progress reporters."""

from evalrun.display._report import PlainReporter, reporter_for
from evalrun.display._table import results_table, threshold_lines

__all__ = ["PlainReporter", "reporter_for", "results_table", "threshold_lines"]

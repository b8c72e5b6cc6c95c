"""Terminal output: progress reporters (live, plain, none) and the results table; reports
for CI (JUnit XML, summary JSON, GitHub Actions step summary and annotations)."""

from evalrun.display._ci import junit_xml, summary, write_reports
from evalrun.display._report import FullReporter, PlainReporter, SilentReporter, reporter_for
from evalrun.display._table import results_table, threshold_lines

__all__ = [
    "FullReporter",
    "PlainReporter",
    "SilentReporter",
    "junit_xml",
    "reporter_for",
    "results_table",
    "summary",
    "threshold_lines",
    "write_reports",
]

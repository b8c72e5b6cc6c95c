"""Datasets: `Sample`, loaders for inline/.jsonl/.json/.csv data, shuffling and slicing."""

from evalrun.dataset._interviews import interview_samples, read_table
from evalrun.dataset._load import FieldMap, read_rows, rows_to_samples, select, shuffled
from evalrun.dataset._sample import Sample

__all__ = [
    "FieldMap",
    "Sample",
    "interview_samples",
    "read_rows",
    "read_table",
    "rows_to_samples",
    "select",
    "shuffled",
]

"""Reports for CI: JUnit XML, a JSON summary, and GitHub Actions' step summary and
annotations. Each says the same thing as the exit status (see the README's CI contract):
a unit (task x model) passes when `EvalResult.failure` is None, and fails otherwise.

JUnit: one `<testcase>` per unit (classname the task, name the model, time its duration)
in one `<testsuite>` under a `<testsuites>` root. A unit that ran to the end (status
`success`) but missed a threshold, or left samples unfinished, gets a `<failure>`: the
evaluation ran and gave a verdict. A unit whose run did not end (status `error`,
`cancelled`, or `started`) gets an `<error>`: there is no verdict, its thresholds were
not checked. Both are failed tests to GitHub, GitLab and Jenkins; the split only tells
"the model is not good enough" from "the run broke". The element's `message` is the
reason (`EvalResult.failure`); its text adds the status, the counts, the scores, the
thresholds and the log path. `<system-out>` has the unit's counts, usage and log.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalrun.display._table import _fmt, _scorer, run_line
from evalrun.engine import EvalResult

#: characters XML 1.0 cannot hold at all, even escaped (a model's answer may have them)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: the summary JSON's format: raised when a key changes meaning or goes away
SUMMARY_FORMAT = 1


def _label(result: EvalResult) -> str:
    return f"{result.task} x {result.model}"


def _xml_text(text: str) -> str:
    """`text` with the characters XML cannot hold replaced (ElementTree escapes the rest)."""
    return _NOT_XML.sub("\ufffd", text)


def _status_of(check: Mapping[str, Any]) -> str:
    return check.get("status") or ("pass" if check["passed"] else "fail")


def score_lines(result: EvalResult) -> list[str]:
    """`match: accuracy 0.800, stderr 0.092`, one per scorer (and reducer)."""
    return [
        f"{_scorer(result, score)}: "
        + ", ".join(f"{name} {_fmt(value)}" for name, value in score["metrics"].items())
        for score in result.scores
    ]


def threshold_text(check: Mapping[str, Any]) -> str:
    """`accuracy 0.000 >= 0.7: fail`, `accuracy >= 0.7: not checked`."""
    status = _status_of(check)
    value = "" if status == "not checked" else f" {_fmt(check['value'])}"
    return f"{check['metric']}{value} >= {check['threshold']:g}: {status}"


def failure_text(result: EvalResult) -> str:
    """The body of a unit's JUnit failure: why, then what the run gave and where its log is."""
    lines = [
        f"reason: {result.failure}",
        f"status: {result.status}",
        f"samples: {result.counts.describe()}",
        "scores:" if result.scores else "scores: none",
        *(f"  {line}" for line in score_lines(result)),
        "thresholds:" if result.thresholds else "thresholds: none",
        *(f"  {threshold_text(check)}" for check in result.thresholds),
        f"log: {result.log_path}",
    ]
    return "\n".join(lines)


def _is_error(result: EvalResult) -> bool:
    """A run that did not end (no verdict): a JUnit `<error>`, not a `<failure>`."""
    return result.status != "success"


def junit_xml(results: list[EvalResult], suite: str = "evalrun") -> bytes:
    """The JUnit XML document of a run (UTF-8, with its declaration)."""
    from xml.etree import ElementTree as ET

    errors = sum(1 for r in results if r.failure is not None and _is_error(r))
    failures = sum(1 for r in results if r.failure is not None and not _is_error(r))
    total_time = f"{sum(r.duration for r in results):.3f}"
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": str(errors)}
    root = ET.Element("testsuites", {"name": suite, **counts, "time": total_time})
    testsuite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": suite,
            **counts,
            "skipped": "0",
            "time": total_time,
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    for result in results:
        case = ET.SubElement(
            testsuite,
            "testcase",
            {
                "classname": _xml_text(result.task),
                "name": _xml_text(result.model),
                "time": f"{result.duration:.3f}",
            },
        )
        if result.failure is not None:
            kind = "error" if _is_error(result) else "failure"
            element = ET.SubElement(
                case,
                kind,
                {
                    "message": _xml_text(result.failure),
                    "type": result.status if kind == "error" else "threshold",
                },
            )
            element.text = _xml_text(failure_text(result))
        out = ET.SubElement(case, "system-out")
        out.text = _xml_text(f"{run_line(result)[1]}\nlog: {result.log_path}\n")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def unit_summary(result: EvalResult) -> dict[str, Any]:
    """One unit of the summary JSON."""
    return {
        "task": result.task,
        "model": result.model,
        "status": result.status,
        "passed": result.failure is None,
        "failure": result.failure,
        "error": result.error,
        "counts": result.counts.to_dict(),
        "scores": result.scores,
        "thresholds": result.thresholds,
        "usage": result.usage,
        "duration": round(result.duration, 3),
        "log_path": str(result.log_path),
    }


def summary(results: list[EvalResult], exit_status: int) -> dict[str, Any]:
    """The summary JSON of a run: whether it passed, its exit status, and each unit."""
    return {
        "format": SUMMARY_FORMAT,
        "passed": all(r.failure is None for r in results),
        "exit_status": exit_status,
        "units": [unit_summary(r) for r in results],
    }


def _cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, lines joined."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def step_summary(results: list[EvalResult], title: str = "evalrun") -> str:
    """A Markdown results table (for `GITHUB_STEP_SUMMARY`), then each failure's reason."""
    failed = [r for r in results if r.failure is not None]
    verdict = f"{len(failed)} of {len(results)} failed" if failed else f"all {len(results)} passed"
    lines = [
        f"### {title}: {verdict}",
        "",
        "| task | model | status | metrics | thresholds | samples |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        mark = "✅" if result.failure is None else "❌"
        samples = f"{result.completed:,}/{result.total:,}"
        if result.errored:
            samples += f", {result.errored:,} errored"
        cells = [
            result.task,
            result.model,
            f"{mark} {result.status}",
            "\n".join(score_lines(result)) or "-",
            "\n".join(threshold_text(c) for c in result.thresholds) or "-",
            samples,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if failed:
        lines.append("")
        for result in failed:
            reason = " ".join(str(result.failure).split())
            lines.append(f"- **{_label(result)}**: {reason} (log: `{result.log_path}`)")
    return "\n".join(lines) + "\n\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(results: list[EvalResult]) -> list[str]:
    """A GitHub Actions `::error` workflow command per failed unit."""
    return [
        f"::error title={_escape_property(f'evalrun {_label(r)} failed')}::"
        f"{_escape_data(f'{r.failure}{chr(10)}log: {r.log_path}')}"
        for r in results
        if r.failure is not None
    ]


def _write(path: Path, data: bytes, what: str) -> None:
    from evalrun.errors import InputError

    try:
        try:
            path.write_bytes(data)
        except FileNotFoundError:  # its folders are made, as pytest's --junitxml makes them
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None


def write_reports(
    results: list[EvalResult],
    exit_status: int,
    *,
    junit: Path | None = None,
    summary_json: Path | None = None,
    suite: str = "evalrun",
    env: Mapping[str, str] | None = None,
) -> Iterable[str]:
    """Write the reports asked for (`--junit`, `--summary-json`) and, under GitHub Actions,
    append the step summary; return the lines to print on standard output (the `::error`
    annotations when `GITHUB_ACTIONS=true`).

    A report's missing folders are made; a report that cannot be written raises
    `InputError` (exit status 2: the logs are safe already); the step summary, the
    environment's file, only warns on standard error.
    """
    import sys

    env = os.environ if env is None else env
    if summary_json is not None:
        text = json.dumps(summary(results, exit_status), indent=2, ensure_ascii=False)
        _write(summary_json, (text + "\n").encode("utf-8"), "summary JSON")
    if junit is not None:
        _write(junit, junit_xml(results, suite), "JUnit report")
    step_file = env.get("GITHUB_STEP_SUMMARY")
    if step_file:
        try:
            with open(step_file, "a", encoding="utf-8") as file:
                file.write(step_summary(results, suite))
        except OSError as exc:
            print(
                f"warning: GITHUB_STEP_SUMMARY {step_file}: cannot append the results: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )
    return github_annotations(results) if env.get("GITHUB_ACTIONS") == "true" else []

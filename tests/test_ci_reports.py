"""Reports for CI (issue 12): `--junit`, `--summary-json`, GitHub Actions' step summary and
`::error` annotations, and the plain display when output is not a terminal. Real runs
through the CLI; each report is checked against the logs the run wrote."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from conftest import TASKS, logs_in, raw_log

ARITHMETIC = str(TASKS / "arithmetic.yaml")


def _logs_by_model(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    found = {}
    for path in logs_in(folder):
        log = raw_log(path)
        found[log["header"]["model"]] = (path, log)
    return found


def _relative(path: Path, tmp_path: Path) -> str:
    return str(path.relative_to(tmp_path))


def _pass_and_fail(evalrun, tmp_path: Path, env: dict[str, str] | None = None) -> Any:
    """arithmetic on mockllm/model (accuracy 0.8 >= its threshold 0.7: passes) and on
    mockllm/echo (0.0: fails), logs in tmp_path/logs (relative paths, as CI has them)."""
    return evalrun(
        "eval", ARITHMETIC, "-m", "mockllm/model", "-m", "mockllm/echo",
        "--log-dir", "logs", "--junit", "report/junit.xml", "--summary-json", "summary.json",
        env=env,
    )  # fmt: skip


def test_junit_and_summary_of_a_pass_and_a_fail(evalrun, tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    run = _pass_and_fail(evalrun, tmp_path)
    assert run.code == 1, run.output
    logs = _logs_by_model(tmp_path / "logs")
    good_path = logs["mockllm/model"][0]
    bad_path = logs["mockllm/echo"][0]
    good_rel, bad_rel = _relative(good_path, tmp_path), _relative(bad_path, tmp_path)

    root = ET.parse(tmp_path / "report/junit.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    [suite] = root
    assert suite.tag == "testsuite" and suite.get("name") == "evalrun"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"mockllm/model", "mockllm/echo"}
    assert {case.get("classname") for case in cases.values()} == {"arithmetic"}
    for model, case in cases.items():
        assert float(case.get("time") or "x") == pytest.approx(
            logs[model][1]["stats"]["duration"], abs=0.002
        )
    good, bad = cases["mockllm/model"], cases["mockllm/echo"]
    assert good.find("failure") is None and good.find("error") is None
    assert good.findtext("system-out", "").endswith(f"\nlog: {good_rel}\n")
    assert "completed 20/20, scored 20, errored 0" in good.findtext("system-out", "")

    failure = bad.find("failure")
    assert failure is not None and bad.find("error") is None
    assert failure.get("message") == "threshold accuracy 0 < 0.7"
    assert failure.get("type") == "threshold"
    assert failure.text == (
        "reason: threshold accuracy 0 < 0.7\n"
        "status: success\n"
        "samples: completed 20/20, scored 20, errored 0, limited 0, reused 0, cached 0\n"
        "scores:\n"
        "  match: accuracy 0.000, stderr 0.000\n"
        "thresholds:\n"
        "  accuracy 0.000 >= 0.7: fail\n"
        f"log: {bad_rel}"
    )

    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["passed"] is False and summary["exit_status"] == 1
    units = {unit["model"]: unit for unit in summary["units"]}
    assert [u["model"] for u in summary["units"]] == ["mockllm/model", "mockllm/echo"]
    for model, (path, log) in logs.items():
        unit, results = units[model], log["results"]
        assert unit["task"] == log["header"]["task"] == "arithmetic"
        assert unit["status"] == log["status"] == "success"
        assert unit["log_path"] == _relative(path, tmp_path)
        assert unit["counts"] == {
            name: results[f"{name}_samples"]
            for name in ("total", "completed", "scored", "errored", "limited", "reused", "cached")
        }
        assert unit["scores"] == results["scores"]
        assert unit["thresholds"] == results["thresholds"]
        assert unit["usage"] == log["stats"]["usage"]
        assert unit["duration"] == pytest.approx(log["stats"]["duration"], abs=0.002)
    assert units["mockllm/model"]["passed"] is True and units["mockllm/model"]["failure"] is None
    assert units["mockllm/echo"]["passed"] is False
    assert units["mockllm/echo"]["failure"] == "threshold accuracy 0 < 0.7"
    assert units["mockllm/echo"]["thresholds"] == [
        {"metric": "accuracy", "threshold": 0.7, "value": 0.0, "passed": False, "status": "fail"}
    ]
    assert "::error" not in run.out  # not under GitHub Actions
    assert bad_rel in run.out and good_rel in run.out  # the table and log lines stay


def test_all_passing_exits_0_and_says_so(evalrun, tmp_path: Path) -> None:
    run = evalrun(
        "eval", ARITHMETIC, "-m", "mockllm/model", "--junit", "j.xml", "--summary-json", "s.json"
    )
    assert run.code == 0, run.output
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert (summary["passed"], summary["exit_status"]) == (True, 0)
    assert summary["units"][0]["thresholds"][0]["status"] == "pass"


def test_github_step_summary_and_annotations(evalrun, tmp_path: Path) -> None:
    step = tmp_path / "step-summary.md"
    step.write_text("## Earlier step\n\n", encoding="utf-8")  # appended to, never replaced
    (tmp_path / "report").mkdir()
    run = _pass_and_fail(
        evalrun, tmp_path, env={"GITHUB_STEP_SUMMARY": str(step), "GITHUB_ACTIONS": "true"}
    )
    assert run.code == 1, run.output
    logs = _logs_by_model(tmp_path / "logs")
    good = _relative(logs["mockllm/model"][0], tmp_path)
    bad = _relative(logs["mockllm/echo"][0], tmp_path)
    assert step.read_text(encoding="utf-8") == (
        "## Earlier step\n\n"
        "### evalrun: 1 of 2 failed\n"
        "\n"
        "| task | model | status | metrics | thresholds | samples |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        "| arithmetic | mockllm/model | ✅ success | match: accuracy 0.800, stderr 0.092"
        " | accuracy 0.800 >= 0.7: pass | 20/20 |\n"
        "| arithmetic | mockllm/echo | ❌ success | match: accuracy 0.000, stderr 0.000"
        " | accuracy 0.000 >= 0.7: fail | 20/20 |\n"
        "\n"
        f"- **arithmetic x mockllm/echo**: threshold accuracy 0 < 0.7 (log: `{bad}`)\n"
        "\n"
    )
    errors = [line for line in run.out.splitlines() if line.startswith("::")]
    assert errors == [
        "::error title=evalrun arithmetic x mockllm/echo failed::"
        f"threshold accuracy 0 < 0.7%0Alog: {bad}"
    ]
    assert good not in "".join(errors)


def test_an_errored_run_fails_with_thresholds_not_checked(evalrun, tmp_path: Path) -> None:
    step = tmp_path / "step.md"
    run = evalrun(
        "eval", ARITHMETIC, "-m", "mockllm/model", "-M", "error_rate=1", "--log-dir", "logs",
        "--junit", "j.xml", "--summary-json", "s.json",
        env={"GITHUB_STEP_SUMMARY": str(step), "GITHUB_ACTIONS": "true"},
    )  # fmt: skip
    assert run.code == 1, run.output
    [path] = logs_in(tmp_path / "logs")
    log, rel = raw_log(path), _relative(path, tmp_path)
    assert log["status"] == "error"
    reason = f"error: {log['error']['message']}"
    assert "simulated transient error (error_rate=1)" in reason

    root = ET.parse(tmp_path / "j.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "1")
    [case] = root.iter("testcase")
    assert case.find("failure") is None
    error = case.find("error")
    assert error is not None
    assert (error.get("message"), error.get("type")) == (reason, "error")
    text = error.text or ""
    assert "\nstatus: error\n" in text
    assert "\nscores:\n  match: accuracy -, stderr -\n" in text  # no value: nothing scored
    assert "\nthresholds:\n  accuracy >= 0.7: not checked\n" in text
    assert text.endswith(f"\nlog: {rel}")

    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert (summary["passed"], summary["exit_status"]) == (False, 1)
    [unit] = summary["units"]
    assert unit["status"] == "error" and unit["passed"] is False
    assert unit["failure"] == reason and unit["error"] == log["error"]["message"]
    assert unit["thresholds"] == log["results"]["thresholds"] == [
        {"metric": "accuracy", "threshold": 0.7, "value": None, "passed": False,
         "status": "not checked"}
    ]  # fmt: skip
    assert unit["counts"]["completed"] < unit["counts"]["total"] == 20

    table_row = next(line for line in step.read_text().splitlines() if "mockllm/model" in line)
    assert table_row.startswith(
        "| arithmetic | mockllm/model | ❌ error | match: accuracy -, stderr - |"
    )
    assert "| accuracy >= 0.7: not checked |" in table_row
    escaped = reason.replace("%", "%25")  # (the message keeps its commas and colons)
    assert [line for line in run.out.splitlines() if line.startswith("::")] == [
        f"::error title=evalrun arithmetic x mockllm/model failed::{escaped}%0Alog: {rel}"
    ]


def test_a_cancelled_unit_is_an_error_with_thresholds_not_checked(tmp_path: Path) -> None:
    """Every status but a complete success is failed (and an `<error>`) in the reports."""
    from evalrun.display import junit_xml, summary
    from evalrun.display._ci import github_annotations, step_summary
    from evalrun.engine import EvalResult
    from evalrun.log import SampleCounts

    checks = [{"metric": "accuracy", "threshold": 0.7, "value": None, "passed": False,
               "status": "not checked"}]  # fmt: skip
    results = [
        EvalResult("t", "m", status, tmp_path / f"{status}.eval", SampleCounts(total=4, scored=2),
                   thresholds=checks, error="interrupted; 2 samples×epochs not run")
        for status in ("cancelled", "started", "error")
    ]  # fmt: skip
    root = ET.fromstring(junit_xml(results))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "0", "3")
    assert [e.get("type") for e in root.iter("error")] == ["cancelled", "started", "error"]
    assert all(u["passed"] is False for u in summary(results, 1)["units"])
    assert "accuracy >= 0.7: not checked" in step_summary(results)
    assert len(github_annotations(results)) == 3


def test_text_that_xml_and_markdown_cannot_hold_is_escaped(tmp_path: Path) -> None:
    from evalrun.display import junit_xml
    from evalrun.display._ci import github_annotations, step_summary
    from evalrun.engine import EvalResult
    from evalrun.log import SampleCounts

    nasty = 'a <b> & "c" | d\x00\x1b]\n100%, e: f\r'
    result = EvalResult("t|1", "m,2:x", "error", tmp_path / "x.eval", SampleCounts(total=1),
                        error=nasty)  # fmt: skip
    error = ET.fromstring(junit_xml([result])).find("testsuite/testcase/error")
    assert error is not None
    assert error.get("message") == 'error: a <b> & "c" | d\ufffd\ufffd]\n100%, e: f\r'
    row = step_summary([result]).splitlines()[4]
    assert row.startswith("| t\\|1 | m,2:x | ❌ error |")
    [line] = github_annotations([result])
    assert line == (
        "::error title=evalrun t|1 x m%2C2%3Ax failed::"
        'error: a <b> & "c" | d\x00\x1b]%0A100%25, e: f%0D%0Alog: ' + str(tmp_path / "x.eval")
    )


def test_a_report_s_folders_are_made(evalrun, tmp_path: Path) -> None:
    run = evalrun("eval", ARITHMETIC, "-m", "mockllm/model", "--junit", "new/dir/junit.xml")
    assert run.code == 0, run.output
    assert ET.parse(tmp_path / "new/dir/junit.xml").getroot().get("tests") == "1"


def test_an_unwritable_report_is_one_line_and_exit_2(evalrun, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    for option, what in (("--junit", "JUnit report"), ("--summary-json", "summary JSON")):
        run = evalrun("eval", ARITHMETIC, "-m", "mockllm/model", option, "a-file/report")
        assert run.code == 2, run.output
        assert (
            run.err.splitlines()[-1] == f"a-file/report: cannot write the {what}: Not a directory"
        )
        assert "Traceback" not in run.err
    assert len(logs_in(tmp_path / "logs")) == 2  # the runs' logs are safe, and complete
    assert all(raw_log(p)["status"] == "success" for p in logs_in(tmp_path / "logs"))


def test_eval_retry_writes_the_reports(evalrun, tmp_path: Path) -> None:
    first = evalrun("eval", ARITHMETIC, "-m", "mockllm/model", "-M", "error_rate=1")
    assert first.code == 1
    [log] = logs_in(tmp_path / "logs")
    run = evalrun(
        "eval-retry", str(log), "-M", "error_rate=0", "--junit", "j.xml", "--summary-json", "s.json"
    )
    assert run.code == 0, run.output
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["passed"] is True and summary["units"][0]["counts"]["completed"] == 20


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("stdout", "stderr", "expected"),
    [(True, True, "FullReporter"), (False, True, "PlainReporter"),
     (True, False, "PlainReporter"), (False, False, "PlainReporter")],
)  # fmt: skip
def test_the_display_is_plain_unless_both_streams_are_terminals(
    monkeypatch: pytest.MonkeyPatch, stdout: bool, stderr: bool, expected: str
) -> None:
    from evalrun.display import reporter_for

    monkeypatch.setattr("sys.stdout", _Stream(stdout))
    monkeypatch.setattr("sys.stderr", _Stream(stderr))
    assert type(reporter_for(None)).__name__ == expected

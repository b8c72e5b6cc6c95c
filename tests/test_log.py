"""Logs: what they hold, reading them back, and damaged logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TASKS, logs_in, only_log, raw_log, run_evalrun, write_jsonl

from evalrun.errors import InputError
from evalrun.log import LOG_VERSION, read_log, read_summary


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_log_holds_resolved_task_run_config_samples_and_results(
    fmt: str, evalrun, tmp_path: Path
) -> None:
    result = evalrun(
        "eval", str(TASKS / "arithmetic.yaml"), "--epochs", "2", "--max-samples", "3", "--job", "nightly",
        "--log-format", fmt,
    )  # fmt: skip
    assert result.code == 0, result.output
    assert logs_in(tmp_path / "logs")[0].suffix == f".{fmt}"
    log = only_log(tmp_path / "logs")
    assert log["version"] == LOG_VERSION == 2 and log["status"] == "success"
    header = log["header"]
    assert header["task"] == "arithmetic" and header["model"] == "mockllm/model"
    assert header["task_spec"]["epochs"]["count"] == 2  # the resolved task, overrides applied
    assert header["task_spec"]["solver"][1] == {"prompt_template": "{{ input }}\n{{ instruction }}"}
    assert header["run_config"]["max_samples"] == 3 and header["job"] == "nightly"
    assert header["model_args"]["responses"].endswith("arithmetic.responses.jsonl")
    assert len(log["dataset"]) == 20 and log["dataset"][0]["metadata"] == {"topic": "small"}
    assert len(log["samples"]) == 40
    sample = log["samples"][0]
    for key in (
        "id",
        "epoch",
        "input",
        "target",
        "messages",
        "output",
        "scores",
        "error",
        "usage",
        "started_at",
        "total_time",
    ):
        assert key in sample
    assert sample["messages"][0] == {"role": "system", "content": "You are a careful calculator."}
    assert sample["output"]["usage"]["total_tokens"] > 0
    assert sample["scores"]["match"]["value"] in ("C", "I")
    results = log["results"]
    assert results["total_samples"] == 40 and results["completed_samples"] == 40
    assert results["scores"][0]["metrics"]["accuracy"] == pytest.approx(0.8)
    assert log["stats"]["usage"]["calls"] == 40


def test_json_log_is_plain_json(evalrun, tmp_path: Path) -> None:
    assert evalrun("eval", str(TASKS / "dates.yaml"), "--log-format", "json").code == 0
    data = json.loads(logs_in(tmp_path / "logs")[0].read_text())
    assert list(data) == [
        "version",
        "header",
        "dataset",
        "samples",
        "status",
        "results",
        "stats",
        "error",
    ]


def test_log_commands(evalrun, tmp_path: Path) -> None:
    assert evalrun("eval", str(TASKS / "arithmetic.yaml"), str(TASKS / "dates.yaml")).code == 0
    listing = evalrun("log", "list", str(tmp_path / "logs"))
    assert listing.code == 0
    assert (
        "arithmetic" in listing.out
        and "match.accuracy 0.800" in listing.out
        and "20/20" in listing.out
    )
    rows = [
        json.loads(line)
        for line in evalrun("log", "list", str(tmp_path / "logs"), "--json").out.splitlines()
    ]
    assert {r["task"] for r in rows} == {"arithmetic", "dates"}
    assert all(r["status"] == "success" for r in rows)
    assert evalrun("log", "list", str(tmp_path / "logs"), "--status", "error", "--json").out == ""
    succeeded = evalrun("log", "list", str(tmp_path / "logs"), "--status", "success", "--json")
    assert len(succeeded.out.splitlines()) == 2
    path = next(Path(r["path"]) for r in rows if r["task"] == "dates")
    show = evalrun("log", "show", str(path))
    assert (
        show.code == 0
        and "status:  success" in show.out
        and "completed 8/8" in show.out
        and "pattern" in show.out
    )
    dump = json.loads(evalrun("log", "dump", str(path)).out)
    assert len(dump["samples"]) == 8 and dump["results"]["completed_samples"] == 8
    head = json.loads(evalrun("log", "dump", str(path), "--header-only").out)
    assert (
        "samples" not in head and head["header"]["task"] == "dates" and head["status"] == "success"
    )


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_truncated_and_corrupted_logs(fmt: str, evalrun, tmp_path: Path) -> None:
    """Cut a log at many byte offsets and flip bytes: each read is either a recovered
    partial log or one clear line with exit status 2, never a traceback."""
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(400)])
    (tmp_path / "t.yaml").write_text("dataset: {path: d.jsonl}\nscorer: [includes]\n")
    result = evalrun(
        "eval", str(tmp_path / "t.yaml"), "-m", "mockllm/echo", "-M", "latency=0.02",
        "--max-samples", "10", "--log-format", fmt,
    )  # fmt: skip
    assert result.code == 0, result.output
    path = logs_in(tmp_path / "logs")[0]
    data = path.read_bytes()
    full = raw_log(path)
    damaged_dir = tmp_path / "damaged"
    damaged_dir.mkdir()
    offsets = sorted(
        {
            0,
            1,
            4,
            30,
            100,
            len(data) // 4,
            len(data) // 2,
            len(data) - 200,
            len(data) - 30,
            len(data) - 1,
        }
    )
    variants = {f"cut{n}": data[:n] for n in offsets if n >= 0}
    for at in (len(data) // 3, len(data) // 2, len(data) - 60):
        flipped = bytearray(data)
        flipped[at] ^= 0xFF
        variants[f"flip{at}"] = bytes(flipped)
    recovered: list[int] = []
    for name, content in variants.items():
        damaged = damaged_dir / f"{name}.{fmt}"
        damaged.write_bytes(content)
        for command in (["log", "dump", str(damaged)], ["log", "show", str(damaged)]):
            result = evalrun(*command)
            assert "Traceback" not in result.output, (name, result.output)
            assert result.code in (0, 2), (name, result.output)
            if name == "cut0":  # nothing at all to read
                assert result.code == 2
            if result.code == 2:
                assert len(result.err.strip().splitlines()) == 1 and str(damaged) in result.err
        try:
            log = read_log(damaged)
        except InputError:
            continue
        recovered.append(len(log.samples))
        assert {s.id for s in log.samples} <= {s["id"] for s in full["samples"]}
        for sample in log.samples:  # a damaged entry is never read as a valid sample
            assert sample.model_dump(mode="json", exclude_unset=True) in full["samples"]
    assert len(recovered) >= 3
    assert any(0 < n < len(full["samples"]) for n in recovered)  # cut logs read in part
    listing = evalrun("log", "list", str(damaged_dir))
    assert listing.code == 0 and "Traceback" not in listing.output


def test_retry_of_a_damaged_log_is_a_clear_error(evalrun, tmp_path: Path) -> None:
    assert evalrun("eval", str(TASKS / "dates.yaml")).code == 0
    path = logs_in(tmp_path / "logs")[0]
    damaged = tmp_path / "cut.eval"
    damaged.write_bytes(path.read_bytes()[:50])
    result = evalrun("eval-retry", str(damaged))
    assert result.code == 2 and "Traceback" not in result.output
    assert result.err.strip() == f"{damaged}: log is damaged: its header is missing or incomplete"


def test_api_eval_and_read_log(tmp_path: Path) -> None:
    import evalrun

    results = evalrun.eval([TASKS / "trivia.yaml"], log_dir=str(tmp_path), epochs=2)
    assert len(results) == 1 and results[0].ok and results[0].completed == 14
    log = evalrun.read_log(results[0].log_path)
    assert log.results is not None and log.results.scores[0].scorer == "f1"
    assert read_summary(results[0].log_path).samples_done == 14
    assert run_evalrun("log", "show", str(results[0].log_path)).code == 0

"""`evalrun log samples` and `evalrun log sample`: a log's samples in the terminal, on real
logs written by running tasks through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import TASKS, logs_in, raw_log, run_forked, write_jsonl

ARITHMETIC = str(TASKS / "arithmetic.yaml")


def _run(folder: Path, *args: str, cwd: Path | None = None):
    return run_forked(*args, cwd=cwd or folder, env={"EVALRUN_LOG_DIR": str(folder / "logs")})


@pytest.fixture(scope="module")
def arithmetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Arithmetic with failures (wrong answers) and errors (a model failing 30% of calls)."""
    folder = tmp_path_factory.mktemp("arithmetic")
    result = _run(folder, "eval", ARITHMETIC, "-M", "error_rate=0.3", "--no-fail-on-error")
    assert result.code == 0, result.output
    (path,) = logs_in(folder / "logs")
    return path


@pytest.fixture(scope="module")
def arithmetic_log(arithmetic: Path) -> dict:
    return raw_log(arithmetic)


def json_rows(*args: str, cwd: Path) -> list[dict]:
    result = _run(cwd, "log", "samples", *args, "--json")
    assert result.code == 0, result.output
    return [json.loads(line) for line in result.out.splitlines()]


def table_rows(out: str) -> list[list[str]]:
    """The table's rows as their cells (the header and the closing note left out)."""
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "ep", "match"], out
    return [line.split() for line in lines[1:-1]]


def test_table_has_a_row_per_sample_with_its_fields(arithmetic: Path, arithmetic_log) -> None:
    result = _run(arithmetic.parent, "log", "samples", str(arithmetic))
    assert result.code == 0, result.output
    lines = result.out.splitlines()
    assert lines[0].split() == ["id", "ep", "match", "answer", "error", "tokens", "time"]
    assert lines[-1] == "20 samples"
    rows = {cells[0]: cells for cells in table_rows(result.out)}
    samples = arithmetic_log["samples"]
    assert list(rows) == [s["id"] for s in samples]
    for sample in samples:
        cells = rows[sample["id"]]
        assert cells[1] == "1"
        if sample["error"]:
            assert cells[2:6] == ["-", "-", "model", "0"]
        else:
            match = sample["scores"]["match"]
            assert cells[2:4] == [match["value"], match["answer"]]
            assert cells[4] == "-"
            assert cells[5] == f"{sample['usage']['total_tokens']:,}"
    assert all(len(line) <= 80 for line in lines)


def test_json_rows_hold_exact_fields(arithmetic: Path, arithmetic_log) -> None:
    rows = json_rows(str(arithmetic), cwd=arithmetic.parent)
    assert len(rows) == 20
    for row, sample in zip(rows, arithmetic_log["samples"], strict=True):
        assert row["id"] == sample["id"] and row["epoch"] == sample["epoch"]
        assert row["scores"] == {k: v["value"] for k, v in sample["scores"].items()}
        assert row["tokens"] == sample["usage"]["total_tokens"]
        assert row["time"] == sample["total_time"]
        assert row["metadata"] == sample["metadata"]
        assert row["cached"] is False and row["reused"] is False
        if sample["error"]:
            assert row["error"] == "model" and row["answer"] is None
            assert row["error_message"] == sample["error"]["message"]
        else:
            assert row["error"] is None and row["answer"] == sample["scores"]["match"]["answer"]


def test_failed_and_errors(arithmetic: Path, arithmetic_log) -> None:
    samples = arithmetic_log["samples"]
    errored = [s["id"] for s in samples if s["error"]]
    wrong = [s["id"] for s in samples if not s["error"] and s["scores"]["match"]["value"] != "C"]
    assert errored and wrong  # the run has both
    rows = json_rows(str(arithmetic), "--errors", cwd=arithmetic.parent)
    assert [r["id"] for r in rows] == errored
    rows = json_rows(str(arithmetic), "--failed", cwd=arithmetic.parent)
    assert sorted(r["id"] for r in rows) == sorted(errored + wrong)
    result = _run(arithmetic.parent, "log", "samples", str(arithmetic), "--failed")
    assert result.out.splitlines()[-1] == f"{len(errored) + len(wrong)} matching samples"


def test_where_over_scores_metadata_and_fields(arithmetic: Path, arithmetic_log) -> None:
    samples = arithmetic_log["samples"]

    def ids(expr: str) -> list[str]:
        return [r["id"] for r in json_rows(str(arithmetic), "--where", expr, cwd=arithmetic.parent)]

    assert ids("score.match == 'I'") == [
        s["id"] for s in samples if s["scores"].get("match", {}).get("value") == "I"
    ]
    assert ids("metadata.topic == 'large' and error == null") == [
        s["id"] for s in samples if s["metadata"]["topic"] == "large" and not s["error"]
    ]
    assert ids("error == 'model'") == [s["id"] for s in samples if s["error"]]
    assert ids("tokens > 35") == [s["id"] for s in samples if s["usage"]["total_tokens"] > 35]
    assert ids("id in ['add-01', 'add-03'] and epoch == 1") == ["add-01", "add-03"]
    assert ids("'5' in answer") == [
        s["id"] for s in samples if not s["error"] and "5" in s["scores"]["match"]["answer"]
    ]


def test_sort_and_limit(arithmetic: Path, arithmetic_log) -> None:
    samples = arithmetic_log["samples"]
    tokens = [s["usage"]["total_tokens"] for s in samples]
    rows = json_rows(str(arithmetic), "--sort", "-tokens", "--limit", "3", cwd=arithmetic.parent)
    assert [r["tokens"] for r in rows] == sorted(tokens, reverse=True)[:3]
    rows = json_rows(str(arithmetic), "--sort", "tokens", "--limit", "0", cwd=arithmetic.parent)
    assert [r["tokens"] for r in rows] == sorted(tokens)
    # scores: I before C ascending; errored samples (no score) last either way
    rows = json_rows(
        str(arithmetic), "--sort", "score.match", "--limit", "0", cwd=arithmetic.parent
    )
    values = [r["scores"].get("match") for r in rows]
    scored = [v for v in values if v is not None]
    assert scored == sorted(scored, key=lambda v: v != "I") and values[len(scored) :] == [None] * (
        len(values) - len(scored)
    )
    rows = json_rows(
        str(arithmetic), "--sort", "-score.match", "--limit", "0", cwd=arithmetic.parent
    )
    assert [r["scores"].get("match") for r in rows][-1] is None
    assert rows[0]["scores"]["match"] == "C"
    rows = json_rows(str(arithmetic), "--sort", "-id", "--limit", "2", cwd=arithmetic.parent)
    assert [r["id"] for r in rows] == ["add-20", "add-19"]
    result = _run(arithmetic.parent, "log", "samples", str(arithmetic), "--limit", "4")
    assert len(table_rows(result.out)) == 4
    assert result.out.splitlines()[-1] == "4 of 20 samples shown; --limit 0 shows all"
    assert len(json_rows(str(arithmetic), "--limit", "4", cwd=arithmetic.parent)) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "len(x) > 1"], "--where: calls are not allowed: `len(...)` at column 4"),
        (["--sort", "tokns"], "--sort: unknown key `tokns`; did you mean `tokens`?"),
        (["--sort", "score.mtch"], "--sort: no scorer `mtch` in this log; did you mean `match`?"),
        (["--limit", "-1"], "--limit: -1 is negative"),
    ],
)
def test_bad_options_are_one_line(arithmetic: Path, args: list[str], message: str) -> None:
    result = _run(arithmetic.parent, "log", "samples", str(arithmetic), *args)
    assert result.code == 2
    assert result.err.startswith(message) and result.err.count("\n") == 1, result.err
    assert result.out == ""


def test_unreadable_log(tmp_path: Path) -> None:
    bad = tmp_path / "bad.eval"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    for command in (["samples", str(bad)], ["sample", str(bad), "x"]):
        result = _run(tmp_path, "log", *command)
        assert result.code == 2 and result.err.count("\n") == 1, result.output
        assert "bad.eval" in result.err and "Traceback" not in result.err
    result = _run(tmp_path, "log", "samples", str(tmp_path / "missing.eval"))
    assert result.code == 2 and "log file not found" in result.err


def test_sample_shows_transcript_score_and_answer(arithmetic: Path, arithmetic_log) -> None:
    sample = next(s for s in arithmetic_log["samples"] if not s["error"])
    result = _run(arithmetic.parent, "log", "sample", str(arithmetic), sample["id"])
    assert result.code == 0, result.output
    out = result.out
    lines = out.splitlines()
    assert lines[0] == f"sample {sample['id']}  epoch 1  attempt 1"
    assert f"input: {sample['input']}" in lines
    assert f"target: {sample['target']}" in lines
    # the transcript: each message under its role, whole
    for message in sample["messages"]:
        header = next(
            i for i, line in enumerate(lines) if line.startswith(f"── {message['role']} ")
        )
        body = message["content"].splitlines()
        assert lines[header + 1 : header + 1 + len(body)] == body
    match = sample["scores"]["match"]
    assert f"  match: {match['value']}  (answer: {match['answer']})" in lines
    usage = sample["usage"]
    assert f"usage: {usage['total_tokens']} tokens ({usage['input_tokens']} in, " in out
    assert not any(line.startswith("trajectory") for line in lines)  # no agent step ran


def test_sample_unknown_id_and_epoch(arithmetic: Path) -> None:
    result = _run(arithmetic.parent, "log", "sample", str(arithmetic), "ad-01")
    assert result.code == 2
    assert result.err == f"{arithmetic}: no sample with id `ad-01`; did you mean `add-01`?\n"
    result = _run(arithmetic.parent, "log", "sample", str(arithmetic), "add-01", "--epoch", "3")
    assert result.code == 2
    assert result.err == "--epoch: sample `add-01` has no epoch 3 (epochs: 1)\n"


def test_sample_errors_retries_and_earlier_attempts(tmp_path: Path) -> None:
    result = _run(
        tmp_path, "eval", ARITHMETIC, "-M", "error_rate=0.5", "--max-retries", "1",
        "--retry-on-error", "1", "--no-fail-on-error",
    )  # fmt: skip
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    samples = raw_log(path)["samples"]
    failed = next(s for s in samples if s["error"] and s["errors"] and s["retries"])
    out = _run(tmp_path, "log", "sample", str(path), failed["id"]).out
    lines = out.splitlines()
    assert lines[0] == f"sample {failed['id']}  epoch 1  attempt 2"
    assert f"error: model: {failed['error']['message']}" in lines
    assert f"earlier attempts ({len(failed['errors'])})" in lines
    assert f"  attempt 1: model: {failed['errors'][0]['message']}" in lines
    assert f"model call retries ({len(failed['retries'])})" in lines
    assert f"  {failed['retries'][-1]['error']}  (gave up)" in lines
    assert "scores: none" in lines
    # retried calls that then answered: the retries of a scored sample
    rows = json_rows(str(path), "--where", "error == null", "--limit", "0", cwd=tmp_path)
    recovered = next(s for s in samples if not s["error"] and s["retries"])
    assert recovered["id"] in [r["id"] for r in rows]
    out = _run(tmp_path, "log", "sample", str(path), recovered["id"]).out
    wait = recovered["retries"][0]["wait"]
    assert f"  {recovered['retries'][0]['error']}  (waited {wait:.2f}s)" in out.splitlines()


def test_sample_error_traceback(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "boom", "input": "boom"}])
    (tmp_path / "bad_scorer.py").write_text("def score(state, target):\n    return 1 / 0\n")
    (tmp_path / "t.yaml").write_text(
        "dataset: {path: d.jsonl}\nscorer: [{python: 'bad_scorer:score'}]\n"
    )
    result = _run(tmp_path, "eval", "t.yaml", "-m", "mockllm/model")
    assert result.code == 1
    (path,) = logs_in(tmp_path / "logs")
    out = _run(tmp_path, "log", "sample", str(path), "boom").out
    lines = out.splitlines()
    assert "error: error: ZeroDivisionError: division by zero" in lines
    at = lines.index("  traceback:")
    assert lines[at + 1] == "    Traceback (most recent call last):"
    assert any("bad_scorer.py" in line for line in lines[at:])
    rows = json_rows(str(path), "--errors", cwd=tmp_path)
    assert [(r["id"], r["error"], r["error_message"]) for r in rows] == [
        ("boom", "error", "ZeroDivisionError: division by zero")
    ]


GRADED_TASK = """
dataset: {path: q.jsonl}
model: mockllm/model
model_args: {responses: answers.jsonl}
scorer:
  - model_graded_fact:
      grader: {model: mockllm/model, model_args: {responses: grades.jsonl}}
epochs: 2
fail_on_error: false
"""


def test_graded_scores_show_explanation_prompt_and_reply(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"id": "fr", "input": "Capital of France?", "target": "Paris"},
            {"id": "es", "input": "Capital of Spain?", "target": "Madrid"},
        ],
    )
    write_jsonl(
        tmp_path / "answers.jsonl",
        [{"match": "France", "output": "Paris"}, {"match": "Spain", "output": "Barcelona"}],
    )
    write_jsonl(
        tmp_path / "grades.jsonl",
        [
            {"match": r"Submission\]: Paris", "output": "Right city.\nGRADE: C"},
            {"match": r"Submission\]: Barcelona", "output": "Wrong city.\nGRADE: I"},
        ],
    )
    (tmp_path / "t.yaml").write_text(textwrap.dedent(GRADED_TASK))
    result = _run(tmp_path, "eval", "t.yaml")
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    samples = [s for s in raw_log(path)["samples"] if s["id"] == "es"]
    # both epochs, in order, when no --epoch is given
    out = _run(tmp_path, "log", "sample", str(path), "es").out
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("sample es")] == [
        "sample es  epoch 1  attempt 1",
        "sample es  epoch 2  attempt 1",
    ]
    score = samples[0]["scores"]["model_graded_fact"]
    grader = score["metadata"]["grader"]
    assert "  model_graded_fact: I" in lines[lines.index("scores") + 1]
    assert "    explanation:" in lines
    assert "      Wrong city." in lines and "      GRADE: I" in lines
    assert "    grader: mockllm/model" in lines
    prompt = lines.index("    grader prompt:")
    body = ["      " + line for line in grader["prompt"].splitlines()]
    assert lines[prompt + 1 : prompt + 1 + len(body)] == body
    reply = lines.index("    grader reply:")
    assert lines[reply + 1 : reply + 3] == ["      Wrong city.", "      GRADE: I"]
    one = _run(tmp_path, "log", "sample", str(path), "es", "--epoch", "2").out
    assert one.splitlines()[0] == "sample es  epoch 2  attempt 1"
    assert "sample es  epoch 1" not in one
    # the table: two epochs each, the grader's value
    rows = json_rows(str(path), "--sort", "-epoch", "--limit", "0", cwd=tmp_path)
    assert [r["epoch"] for r in rows] == [2, 2, 1, 1]
    assert {(r["id"], r["scores"]["model_graded_fact"]) for r in rows} == {("fr", "C"), ("es", "I")}
    assert [r["id"] for r in json_rows(str(path), "--failed", cwd=tmp_path)] == ["es", "es"]


def test_survey_answers(tmp_path: Path) -> None:
    result = _run(tmp_path, "eval", str(TASKS / "colours.survey.yaml"))
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    sample = raw_log(path)["samples"][0]
    out = _run(tmp_path, "log", "sample", str(path), str(sample["id"]), "--epoch", "1").out
    lines = out.splitlines()
    answers = sample["store"]["survey"]["answers"]
    assert f"survey answers ({len(answers)})" in lines
    for name, entry in answers.items():
        answer = "-" if entry["answer"] is None else entry["answer"]
        assert f"  {name}: {answer}  [{entry['status']}]" in lines
        if entry.get("comment"):
            assert f"    comment: {entry['comment']}" in lines


def test_reused_samples_of_an_eval_retry(arithmetic: Path, tmp_path: Path) -> None:
    before = logs_in(arithmetic.parent)
    result = _run(tmp_path, "eval-retry", str(arithmetic))
    assert result.code in (0, 1), result.output
    (path,) = [p for p in logs_in(arithmetic.parent) if p not in before]  # beside the first
    rows = json_rows(str(path), "--limit", "0", cwd=tmp_path)
    scored = {s["id"] for s in raw_log(arithmetic)["samples"] if not s["error"]}
    assert {r["id"] for r in rows if r["reused"]} == scored
    table = _run(tmp_path, "log", "samples", str(path), "--where", "reused").out
    assert all(cells[-1] == "reused" for cells in table_rows(table))


BIG = """
import json, sys
from pathlib import Path
from evalrun.log import open_log, open_writer

src, dst, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
reader = open_log(src)
header = dict(reader.header())
header.pop("version", None)
records = [json.loads(raw) for raw, _ in reader.iter_samples()]
reader.close()
header.update(samples=n, dataset_digest=None)
pad = " padding" * 250
writer = open_writer(dst, header, ({"id": f"s{i}", "input": "q"} for i in range(n)))
for i in range(n):
    record = dict(records[i % len(records)], id=f"s{i}")
    record["messages"] = [dict(m, content=m["content"] + pad) for m in record["messages"]]
    writer.write_raw(json.dumps(record).encode())
    if i % 1000 == 0:
        writer.flush()
writer.close("success", None, {}, None)
"""


MEASURE = """
import resource, subprocess, sys
proc = subprocess.run([sys.executable, "-m", "evalrun", *sys.argv[1:]])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak-kb {peak}", file=sys.stderr)
sys.exit(proc.returncode)
"""


def _peak_rss_mb(*args: str) -> tuple[float, str]:
    """Run `python -m evalrun ARGS` in a fresh process: its peak RSS in MB, and its output.
    Measured by a parent of its own (RUSAGE_CHILDREN: its only child), not by this one,
    whose other children (the fork server) would count."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    kb = int(proc.stderr.rsplit("peak-kb ", 1)[1])
    return kb / 1024, proc.stdout


def test_big_log_is_streamed(arithmetic: Path, tmp_path: Path) -> None:
    """50,000 samples of ~2 KB each (100 MB of messages): a table, sorted, in bounded memory."""
    big = tmp_path / "big.eval"
    subprocess.run(
        [sys.executable, "-c", BIG, str(arithmetic), str(big), "50000"], check=True, timeout=300
    )
    peak, out = _peak_rss_mb("log", "samples", str(big), "--sort", "-tokens")
    lines = out.splitlines()
    assert lines[-1] == "50 of 50,000 samples shown; --limit 0 shows all"
    assert len(lines) == 52 and all(len(line) <= 80 for line in lines)
    assert peak < 150, f"log samples peaked at {peak:.0f} MB"
    peak, out = _peak_rss_mb("log", "sample", str(big), "s49999")
    assert out.startswith("sample s49999  epoch 1")
    assert peak < 150, f"log sample peaked at {peak:.0f} MB"

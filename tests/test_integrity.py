"""Nothing lost, nothing run twice: damaged logs say so, and eval-retry re-runs exactly
what cannot be read; a log cut while its dataset was written is never resumed as a
smaller run; a retry killed before its first flush loses none of the samples it reused."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import logs_in, raw_log, run_forked, write_jsonl
from test_retry import start, wait_for_samples

from evalrun.log import read_log


def make_log(tmp_path: Path, rows: int, *options: str, fmt: str = "eval") -> Path:
    """A finished log of `rows` echo samples (scored `exact`, half right)."""
    data = [
        {"id": f"s{i}", "input": f"q{i}", "target": f"q{i}" if i % 2 else "x"} for i in range(rows)
    ]
    write_jsonl(tmp_path / "d.jsonl", data)
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nscorer: [exact]\n")
    logs = tmp_path / "logs"
    result = run_forked(
        "eval", str(task), "-m", "mockllm/echo", "--log-dir", str(logs), "--log-format", fmt,
        *options,
    )  # fmt: skip
    assert result.code == 0, result.output
    (path,) = logs_in(logs)
    return path


def sample_chunks(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as archive:
        return [i for i in archive.infolist() if i.filename.startswith("samples/")]


def chunk_ids(path: Path, info: zipfile.ZipInfo) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return {json.loads(line)["id"] for line in archive.read(info).splitlines()}


def damage_entry(path: Path, info: zipfile.ZipInfo) -> None:
    """Overwrite 64 bytes in the middle of an entry's compressed data."""
    data = bytearray(path.read_bytes())
    name_len, extra_len = (int.from_bytes(data[info.header_offset + k : info.header_offset + k + 2], "little") for k in (26, 28))  # fmt: skip
    middle = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    data[middle : middle + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


def retry(path: Path, *options: str) -> dict:
    """eval-retry `path`; the new log (the only one in its folder besides `path`)."""
    result = run_forked("eval-retry", str(path), *options)
    assert result.code == 0, result.output
    (new,) = [p for p in logs_in(path.parent) if p != path]
    return raw_log(new)


def rerun_ids(final: dict) -> set[str]:
    """Samples the retry ran itself (reused ones keep their first run's attempt count)."""
    reused = final["results"]["reused_samples"]
    return {s["id"] for s in final["samples"][reused:]}


def test_a_damaged_chunk_of_a_finished_log_is_reported_and_rerun(tmp_path: Path) -> None:
    path = make_log(tmp_path, 600, "-M", "latency=0.02", "--max-samples", "10")
    chunks = sample_chunks(path)
    assert len(chunks) >= 3  # the run spans several flushes
    lost = chunk_ids(path, chunks[1])
    damage_entry(path, chunks[1])
    log = read_log(path)
    assert log.status == "success" and len(log.samples) == 600 - len(lost)
    assert log.damage == {"parts": [chunks[1].filename], "samples": len(lost), "missing_rows": 0, "duplicates": 0}  # fmt: skip
    shown = run_forked("log", "show", str(path))
    assert shown.code == 0, shown.output
    assert "completed 600/600" in shown.out  # what the run did; the damage line says what is lost
    assert f"damaged: {len(lost)} sample records unreadable ({chunks[1].filename})" in shown.out
    listed = run_forked("log", "list", str(path.parent))
    assert "success (damaged)" in listed.out and "600/600" in listed.out
    dumped = run_forked("log", "dump", str(path))
    assert "damaged" in dumped.err and "Traceback" not in dumped.output
    document = json.loads(dumped.out)
    assert len(document["samples"]) == 600 - len(lost)
    assert document["damage"]["samples"] == len(lost)
    final = retry(path)
    assert final["status"] == "success" and final["results"]["completed_samples"] == 600
    assert final["results"]["reused_samples"] == 600 - len(lost)
    assert rerun_ids(final) == lost  # exactly the unreadable samples ran again


def test_a_damaged_line_of_a_json_log_is_reported_and_rerun(tmp_path: Path) -> None:
    path = make_log(tmp_path, 50, fmt="json")
    lines = path.read_bytes().split(b"\n")
    first = lines.index(b'"samples": [') + 1
    target = lines[first + 20]
    lost = json.loads(target.rstrip(b","))["id"]
    lines[first + 20] = target[:30] + b"#" * 20 + target[50:]
    path.write_bytes(b"\n".join(lines))
    log = read_log(path)
    assert len(log.samples) == 49 and log.damage is not None and log.damage["samples"] == 1
    shown = run_forked("log", "show", str(path))
    assert "damaged: 1 sample records unreadable (samples line 21)" in shown.out
    final = retry(path)
    assert final["results"]["reused_samples"] == 49 and rerun_ids(final) == {lost}


def test_intact_chunks_after_a_damaged_one_are_kept_in_an_unfinished_log(tmp_path: Path) -> None:
    path = make_log(tmp_path, 600, "-M", "latency=0.02", "--max-samples", "10")
    chunks = sample_chunks(path)
    assert len(chunks) >= 3
    lost = chunk_ids(path, chunks[1])
    with zipfile.ZipFile(path) as archive:
        end = archive.getinfo("summary.json").header_offset
    path.write_bytes(path.read_bytes()[:end])  # as if killed before the summary was written
    damage_entry(path, chunks[1])
    log = read_log(path)
    assert log.status == "started"
    assert log.damage is not None and log.damage["parts"] == [chunks[1].filename]
    assert log.damage["samples"] == len(lost)
    assert {s.id for s in log.samples} == {f"s{i}" for i in range(600)} - lost  # later chunks too
    final = retry(path)
    assert final["results"]["reused_samples"] == 600 - len(lost)
    assert rerun_ids(final) == lost


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_a_log_cut_while_its_dataset_was_written_is_resumed_whole(fmt: str, tmp_path: Path) -> None:
    """(What a SIGKILL or a file size limit does while 25,000 rows are written.)"""
    path = make_log(tmp_path, 25_000, fmt=fmt)
    data = path.read_bytes()
    if fmt == "eval":
        with zipfile.ZipFile(path) as archive:
            cut = archive.getinfo("dataset/000002.jsonl").header_offset + 500
    else:
        cut = data.index(b'{"id":"s12345"')
    cut_dir = tmp_path / "cut"
    cut_dir.mkdir()
    cut_log = cut_dir / path.name
    cut_log.write_bytes(data[:cut])
    assert read_log(cut_log).damage["missing_rows"] > 10_000
    final = retry(cut_log)
    assert final["status"] == "success" and final["header"]["samples"] == 25_000
    assert len(final["samples"]) == final["results"]["completed_samples"] == 25_000
    # the data file changed since: the missing rows cannot be trusted, so no run at all
    rows = (tmp_path / "d.jsonl").read_text().replace('"q7"', '"q7 changed"', 1)
    (tmp_path / "d.jsonl").write_text(rows)
    for new in logs_in(cut_dir):
        if new != cut_log:
            new.unlink()
    refused = run_forked("eval-retry", str(cut_log))
    assert refused.code == 2 and "Traceback" not in refused.output
    assert refused.err.strip().startswith(
        f"{cut_log}: cannot resume: the log's dataset is incomplete"
    )
    assert logs_in(cut_dir) == [cut_log]


def test_a_retry_killed_before_its_first_flush_loses_no_reused_sample(tmp_path: Path) -> None:
    rows = [{"id": f"s{i}", "input": f"q{i}", "target": f"q{i}"} for i in range(60)]
    write_jsonl(tmp_path / "d.jsonl", rows)
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nepochs: 2\nscorer: [exact]\n")
    logs = tmp_path / "logs"
    proc = start(task, logs)
    first = wait_for_samples(logs, 20)
    proc.kill()
    proc.wait()
    finished = {(s["id"], s["epoch"]): s for s in raw_log(first)["samples"] if s["error"] is None}
    assert run_forked("eval-retry", str(first)).code == 0
    (second,) = [p for p in logs_in(logs) if p != first]
    with zipfile.ZipFile(second) as archive:  # killed before its first flush: no samples yet
        cut = min(i.header_offset for i in archive.infolist() if i.filename.startswith("samples/"))
    second.write_bytes(second.read_bytes()[:cut])
    assert read_log(second).samples == []
    assert run_forked("eval-retry", str(second)).code == 0
    (third,) = [p for p in logs_in(logs) if p not in (first, second)]
    final = raw_log(third)
    assert final["results"]["reused_samples"] == len(finished)
    after = {(s["id"], s["epoch"]): s for s in final["samples"]}
    assert len(after) == len(final["samples"]) == 120
    for key, sample in finished.items():
        assert after[key] == sample  # the first run's record: it did not run again


def test_dump_leaves_out_invalid_and_repeated_records(tmp_path: Path) -> None:
    path = make_log(tmp_path, 10, fmt="json")
    lines = path.read_bytes().split(b"\n")
    first = lines.index(b'"samples": [') + 1
    lines.insert(first + 3, lines[first + 2])  # a repeated record
    lines.insert(first + 5, b'{"id": "s99", "epoch": 1},')  # JSON, but not a sample
    path.write_bytes(b"\n".join(lines))
    dumped = run_forked("log", "dump", str(path))
    assert dumped.code == 0
    document = json.loads(dumped.out)
    keys = [(s["id"], s["epoch"]) for s in document["samples"]]
    assert len(keys) == len(set(keys)) == 10 and ("s99", 1) not in keys
    assert document["damage"] == {"parts": ["samples line 6"], "samples": 1, "missing_rows": 0, "duplicates": 1}  # fmt: skip
    assert "1 repeated sample records left out" in dumped.err

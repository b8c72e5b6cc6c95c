"""`evalrun view`'s JSON API (issue 13), on real logs written by running tasks through the
CLI: the runs list and its filters, a run, paged and filtered samples, one sample, and
traversal attempts refused (no file outside the log dir can be read)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import TASKS, Viewer, logs_in, raw_log, run_forked
from starlette.testclient import TestClient

from evalrun.view import create_app


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs: arithmetic (job `sums`, some answers wrong) and dates (job `when`)."""
    folder = tmp_path_factory.mktemp("view")
    env = {"EVALRUN_LOG_DIR": str(folder / "logs")}
    for task, job in (("arithmetic", "sums"), ("dates", "when")):
        result = run_forked(
            "eval", str(TASKS / f"{task}.yaml"), "--job", job, "--display", "none",
            "--no-fail-on-error", cwd=folder, env=env,
        )  # fmt: skip
        assert result.code == 0, result.output
    return folder / "logs"


@pytest.fixture(scope="module")
def client(log_dir: Path) -> TestClient:
    return TestClient(create_app(log_dir))


def _log(log_dir: Path, task: str) -> Path:
    (path,) = [p for p in logs_in(log_dir) if raw_log(p)["header"]["task"] == task]
    return path


def test_runs_list_and_filters(client: TestClient, log_dir: Path) -> None:
    response = client.get("/api/runs")
    assert response.status_code == 200
    runs = response.json()["runs"]
    assert sorted(r["task"] for r in runs) == ["arithmetic", "dates"]
    arithmetic = next(r for r in runs if r["task"] == "arithmetic")
    assert arithmetic["name"] == _log(log_dir, "arithmetic").name
    assert arithmetic["model"] == "mockllm/model"
    assert arithmetic["status"] == "success"
    assert arithmetic["job"] == "sums"
    assert arithmetic["counts"]["total"] == 20
    assert set(arithmetic["metrics"]["match"]) >= {"accuracy", "stderr"}
    assert arithmetic["created"]
    for query, tasks in (
        ("task=dates", ["dates"]),
        ("job=sums", ["arithmetic"]),
        ("model=mockllm/model", ["arithmetic", "dates"]),
        ("status=success", ["arithmetic", "dates"]),
        ("status=error", []),
        ("task=nothing", []),
    ):
        found = client.get(f"/api/runs?{query}").json()["runs"]
        assert sorted(r["task"] for r in found) == tasks, query


def test_a_run(client: TestClient, log_dir: Path) -> None:
    path = _log(log_dir, "arithmetic")
    log = raw_log(path)
    body = client.get(f"/api/runs/{path.name}").json()
    assert body["header"]["task"] == "arithmetic"
    assert body["header"]["task_spec"] == log["header"]["task_spec"]
    assert body["header"]["run_config"] == log["header"]["run_config"]
    assert body["status"] == "success"
    assert body["results"]["scores"] == log["results"]["scores"]
    assert body["results"]["thresholds"] == log["results"]["thresholds"]
    assert body["stats"]["usage"] == log["stats"]["usage"]
    assert body["counts"]["total"] == 20


def test_samples_paged_sorted_and_filtered(client: TestClient, log_dir: Path) -> None:
    path = _log(log_dir, "arithmetic")
    samples = raw_log(path)["samples"]
    ids = [s["id"] for s in samples]
    url = f"/api/runs/{path.name}/samples"
    first = client.get(url, params={"limit": 5}).json()
    assert first["total"] == 20 and first["scorers"] == ["match"]
    assert [r["id"] for r in first["rows"]] == ids[:5]
    page = client.get(url, params={"offset": 15, "limit": 10}).json()
    assert [r["id"] for r in page["rows"]] == ids[15:]
    row = page["rows"][0]
    assert set(row) >= {"id", "epoch", "scores", "answer", "error", "tokens", "time"}
    wrong = [s["id"] for s in samples if s["scores"]["match"]["value"] != "C"]
    assert wrong, "the arithmetic task has wrong answers"
    where = client.get(url, params={"where": "score.match == 'I'", "limit": 100}).json()
    assert [r["id"] for r in where["rows"]] == wrong and where["total"] == len(wrong)
    failed = client.get(url, params={"failed": "1", "limit": 100}).json()
    assert [r["id"] for r in failed["rows"]] == wrong
    by_tokens = client.get(url, params={"sort": "-tokens", "limit": 3}).json()["rows"]
    most = sorted((s["usage"]["total_tokens"] for s in samples), reverse=True)[:3]
    assert [r["tokens"] for r in by_tokens] == most
    for bad in ({"where": "score.match =="}, {"sort": "colour"}, {"limit": "x"}, {"limit": 0}):
        response = client.get(url, params=bad)
        assert response.status_code == 400, bad
        assert str(log_dir) not in response.text


def test_one_sample(client: TestClient, log_dir: Path) -> None:
    path = _log(log_dir, "arithmetic")
    sample = raw_log(path)["samples"][3]
    body = client.get(f"/api/runs/{path.name}/samples/{sample['id']}").json()
    (shown,) = body["samples"]
    assert shown["id"] == sample["id"] and shown["messages"] == sample["messages"]
    for scorer, score in sample["scores"].items():  # every field (unset ones as null)
        assert shown["scores"][scorer] == {**shown["scores"][scorer], **score}
    assert shown["target"] == sample["target"] and shown["usage"] == sample["usage"]
    one = client.get(f"/api/runs/{path.name}/samples/{sample['id']}", params={"epoch": 1})
    assert one.status_code == 200 and len(one.json()["samples"]) == 1
    missing = client.get(f"/api/runs/{path.name}/samples/{sample['id']}", params={"epoch": 7})
    assert missing.status_code == 404
    unknown = client.get(f"/api/runs/{path.name}/samples/no-such-id")
    assert unknown.status_code == 404 and str(log_dir) not in unknown.text


def test_unknown_logs_are_404(client: TestClient) -> None:
    for name in ("nothing.eval", "sub/nothing.json", "nothing.eval/samples", "x.eval/samples/1"):
        assert client.get(f"/api/runs/{name}").status_code == 404, name


def test_only_get(client: TestClient, log_dir: Path) -> None:
    name = _log(log_dir, "dates").name
    for method in ("post", "put", "delete", "patch"):
        assert client.request(method, f"/api/runs/{name}").status_code == 405
        assert client.request(method, "/api/runs").status_code == 405
    assert _log(log_dir, "dates").exists()


def test_traversal_is_refused(tmp_path: Path, log_dir: Path) -> None:
    """A log outside the log dir, reached by `..`, `%2e%2e`, an absolute path or a symlink;
    a hidden file inside it; a file that is not a log: none is read."""
    source = _log(log_dir, "dates")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "outside.eval"
    outside.write_bytes(source.read_bytes())
    (root / "sub" / "inner.eval").write_bytes(source.read_bytes())
    (root / ".hidden.eval").write_bytes(source.read_bytes())
    (root / "notes.txt").write_text("secret")
    (root / "link.eval").symlink_to(outside)
    (root / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    client = TestClient(create_app(root))
    assert client.get("/api/runs/sub/inner.eval").status_code == 200
    attempts = [
        "../outside.eval",
        "%2e%2e/outside.eval",
        "sub/%2e%2e/%2e%2e/outside.eval",
        "sub/..%2f..%2foutside.eval",
        "%2Ftmp%2Foutside.eval",
        "/" + str(outside).lstrip("/"),
        str(outside).replace("/", "%2F"),
        "link.eval",
        "linkdir/outside.eval",
        ".hidden.eval",
        "notes.txt",
        "sub/inner.eval%00.txt",
        "..",
    ]
    for name in attempts:
        for suffix in ("", "/samples", "/samples/1"):
            response = client.get(f"/api/runs/{name}{suffix}")
            assert response.status_code in (400, 404), (name, suffix, response.text)
            assert str(tmp_path) not in response.text and "secret" not in response.text
    names = [r["name"] for r in client.get("/api/runs").json()["runs"]]
    assert names == []  # find_logs is not recursive: link.eval points out, and is not listed
    # the resolver itself, on the same attempts without URL decoding
    from evalrun.view._paths import LogNameError, resolve_log

    for name in ("../outside.eval", str(outside), "link.eval", ".hidden.eval", "a\x00.eval"):
        with pytest.raises(LogNameError):
            resolve_log(root, name)
    assert resolve_log(root, "sub/inner.eval") == (root / "sub" / "inner.eval").resolve()


def test_view_serves_over_http(log_dir: Path) -> None:
    server = Viewer(log_dir)
    try:
        response = server.api("api/runs")
        assert response.status_code == 200
        assert sorted(r["task"] for r in response.json()["runs"]) == ["arithmetic", "dates"]
        assert server.api("").headers["content-type"].startswith("text/html")
    finally:
        server.stop()


def test_one_log_shows_only_that_log(log_dir: Path) -> None:
    dates, arithmetic = _log(log_dir, "dates"), _log(log_dir, "arithmetic")
    client = TestClient(create_app(log_dir, dates))
    assert [r["name"] for r in client.get("/api/runs").json()["runs"]] == [dates.name]
    assert client.get(f"/api/runs/{dates.name}").status_code == 200
    assert client.get(f"/api/runs/{arithmetic.name}").status_code == 404


def test_a_runs_intervals_and_score_distribution(client: TestClient, log_dir: Path) -> None:
    path = _log(log_dir, "arithmetic")
    log = raw_log(path)
    body = client.get(f"/api/runs/{path.name}").json()
    assert body["survey"] is False
    assert client.get(f"/api/runs/{path.name}/survey").status_code == 404
    (score,) = log["results"]["scores"]
    interval = body["intervals"]["match"]
    accuracy, stderr = score["metrics"]["accuracy"], score["metrics"]["stderr"]
    assert interval["metric"] == "accuracy" and interval["value"] == accuracy
    assert interval["low"] == pytest.approx(max(0.0, accuracy - 1.959964 * stderr))
    assert interval["high"] == pytest.approx(min(1.0, accuracy + 1.959964 * stderr))
    values = [s["scores"]["match"]["value"] for s in log["samples"]]
    scores = client.get(f"/api/runs/{path.name}/scores").json()
    assert scores["rows"] == 20
    assert scores["scorers"]["match"] == {
        "kind": "binary",
        "count": 20,
        "bins": [
            {"label": "C", "count": values.count("C")},
            {"label": "I", "count": values.count("I")},
        ],
    }


def test_a_survey_page(tmp_path: Path) -> None:
    """Per-question answers as `evalrun results` counts them, and the flow graph's nodes
    and edges as `survey flow` draws them; a task's log is not a survey's (404)."""
    env = {"EVALRUN_LOG_DIR": str(tmp_path / "logs")}
    survey_file = TASKS / "coffee.survey.yaml"
    result = run_forked("eval", str(survey_file), "--display", "none", cwd=tmp_path, env=env)
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    client = TestClient(create_app(tmp_path / "logs"))
    assert client.get(f"/api/runs/{path.name}").json()["survey"] is True
    body = client.get(f"/api/runs/{path.name}/survey").json()
    names = [q["name"] for q in body["questions"]]
    assert names == ["drinks", "max_price", "value", "priorities", "budget", "times"]
    answers = [s["store"]["survey"]["answers"] for s in raw_log(path)["samples"]]
    for question in body["questions"]:  # each status counted as the interviews recorded it
        shown, name = question["answers"], question["name"]
        for status in ("valid", "invalid", "skipped"):
            assert shown[status] == sum(
                1 for a in answers if a.get(name, {}).get("status") == status
            ), (name, status)
    chosen = [o for a in answers if a["drinks"]["status"] == "valid" for o in a["drinks"]["answer"]]
    assert body["questions"][0]["answers"]["counts"] == {
        option: chosen.count(option) for option in body["questions"][0]["options"]
    }
    drinks = body["questions"][0]
    assert drinks["type"] == "checkbox" and "espresso" in drinks["options"]
    assert sum(drinks["answers"]["counts"].values()) >= drinks["answers"]["valid"] > 0
    flow = body["flow"]
    assert [n["id"] for n in flow["nodes"] if n["kind"] == "question"] == [f"q_{n}" for n in names]
    assert flow["nodes"][-1] == {"id": "END", "label": "end", "kind": "end"}
    mermaid = run_forked("survey", "flow", str(survey_file), cwd=tmp_path, env=env).out
    for edge in flow["edges"]:  # every edge drawn by `survey flow` too
        assert f"{edge['source']} " in mermaid and edge["target"] in mermaid
    assert {e["kind"] for e in flow["edges"]} >= {"order", "skip", "pipes", "memory"}


def test_the_comparison_of_two_runs(client: TestClient, log_dir: Path, tmp_path: Path) -> None:
    """`/api/compare` answers what `evalrun diff --format json` prints; two runs of
    different tasks are a 400 that names them as asked."""
    a, b = _log(log_dir, "arithmetic"), _log(log_dir, "arithmetic")
    body = client.get("/api/compare", params={"a": a.name, "b": b.name}).json()
    printed = run_forked("diff", str(a), str(b), "--format", "json", cwd=tmp_path)
    assert printed.code == 0, printed.output
    expected = json.loads(printed.out)
    expected["a"]["log"] = expected["b"]["log"] = a.name
    assert body == expected
    assert body["scorers"][0]["p_value"] == 1.0 and body["regressed"] is False
    other = client.get("/api/compare", params={"a": a.name, "b": _log(log_dir, "dates").name})
    assert other.status_code == 400 and "not runs of the same task" in other.json()["error"]
    assert str(log_dir) not in other.text
    assert client.get("/api/compare", params={"a": a.name}).status_code == 400
    assert client.get("/api/compare", params={"a": a.name, "b": "../x.eval"}).status_code == 400


def test_a_log_being_written_shows_new_samples(log_dir: Path, tmp_path: Path) -> None:
    """A log written in steps, as a run writes it: each request sees the samples flushed
    so far (no restart), `live` until the log is closed; then its final status."""
    from evalrun.log import open_writer

    source = raw_log(_log(log_dir, "arithmetic"))
    folder = tmp_path / "live"
    folder.mkdir()
    client = TestClient(create_app(folder))
    path = folder / "growing.eval"
    writer = open_writer(path, source["header"], source["dataset"])
    url = "/api/runs/growing.eval/samples"
    try:
        seen = []
        for start in (0, 5, 12):
            for sample in source["samples"][start : start + (5 if start == 0 else 7)]:
                writer.write_raw(json.dumps(sample, separators=(",", ":")).encode())
            writer.flush()
            body = client.get(url, params={"limit": 100}).json()
            seen.append((body["total"], body["live"]))
            assert [r["id"] for r in body["rows"]] == [
                s["id"] for s in source["samples"][: body["total"]]
            ]
        assert seen == [(5, True), (12, True), (19, True)]
        assert client.get("/api/runs").json()["runs"][0]["status"] == "started"
    finally:
        for sample in source["samples"][19:]:
            writer.write_raw(json.dumps(sample, separators=(",", ":")).encode())
        writer.close("success", None, {}, None)
    body = client.get(url, params={"limit": 100}).json()
    assert (body["total"], body["live"]) == (20, False)
    assert client.get("/api/runs/growing.eval").json()["status"] == "success"


def test_runs_list_reads_the_job_index(log_dir: Path, tmp_path: Path) -> None:
    """With a job index, the list comes from it (`source: index`) and says what a scan
    says; a log copied in, which the index does not know, is listed too."""
    client = TestClient(create_app(log_dir))
    indexed = client.get("/api/runs").json()
    assert indexed["source"] == "index"
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in logs_in(log_dir):
        (folder / path.name).write_bytes(path.read_bytes())
    scanned = TestClient(create_app(folder)).get("/api/runs").json()
    assert scanned["source"] == "scan"
    pick = ("name", "task", "model", "status", "created", "job", "metrics")
    assert [{k: r[k] for k in pick} for r in indexed["runs"]] == [
        {k: r[k] for k in pick} for r in scanned["runs"]
    ]
    for index_row, scan_row in zip(indexed["runs"], scanned["runs"], strict=True):
        for key, value in index_row["counts"].items():
            assert scan_row["counts"][key] == value


def test_a_big_log_is_answered_while_it_is_read(
    log_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log too big for one read slice (here a slice of no time: 256 rows): the first
    request answers with the rows read so far (`complete` false, `live`), a thread reads
    on, and the pages come to hold every row once, in order; its samples are then found
    by their line, and an unknown id is a 404 naming a near one."""
    import evalrun.view._rows as rows_module
    from evalrun.log import open_writer

    monkeypatch.setattr(rows_module, "READ_SLICE", 0.0)
    source = raw_log(_log(log_dir, "arithmetic"))
    folder = tmp_path / "big"
    folder.mkdir()
    writer = open_writer(folder / "big.eval", source["header"], source["dataset"])
    template = source["samples"]
    for i in range(1000):
        record = dict(template[i % len(template)], id=f"s{i}")
        writer.write_raw(json.dumps(record, separators=(",", ":")).encode())
        if i % 300 == 0:
            writer.flush()
    writer.close("success", None, {}, None)
    client = TestClient(create_app(folder))
    url = "/api/runs/big.eval/samples"
    first = client.get(url, params={"limit": 1000}).json()
    assert (first["total"], first["complete"], first["live"]) == (256, False, True)
    assert [r["id"] for r in first["rows"]] == [f"s{i}" for i in range(256)]
    deadline = time.monotonic() + 30
    while not (body := client.get(url, params={"limit": 1000}).json())["complete"]:
        assert time.monotonic() < deadline, body["total"]
        time.sleep(0.02)
    assert body["live"] is False and body["total"] == body["indexed"] == 1000
    assert [r["id"] for r in body["rows"]] == [f"s{i}" for i in range(1000)]
    found = client.get(f"{url}/s999").json()["samples"]
    assert [s["id"] for s in found] == ["s999"]
    assert found[0]["messages"] == template[999 % len(template)]["messages"]
    unknown = client.get(f"{url}/s10000")
    assert unknown.status_code == 404 and "did you mean `s100`" in unknown.json()["error"]


def test_an_id_holding_a_slash(log_dir: Path, tmp_path: Path) -> None:
    """A survey's ids are `agent/scenario`: found whether the `/` is sent as it is or
    encoded."""
    from evalrun.log import open_writer

    source = raw_log(_log(log_dir, "dates"))
    folder = tmp_path / "slash"
    folder.mkdir()
    writer = open_writer(folder / "s.eval", source["header"], source["dataset"])
    record = dict(source["samples"][0], id="student/scenario1")
    writer.write_raw(json.dumps(record, separators=(",", ":")).encode())
    writer.close("success", None, {}, None)
    client = TestClient(create_app(folder))
    for url in ("samples/student/scenario1", "samples/student%2Fscenario1"):
        response = client.get(f"/api/runs/s.eval/{url}")
        assert response.status_code == 200, url
        assert response.json()["samples"][0]["id"] == "student/scenario1"
    assert client.get("/api/runs/s.eval/samples/student").status_code == 404


def test_an_agents_trajectory_and_its_rows(log_dir: Path, tmp_path: Path) -> None:
    """An agentic sample's record comes whole, its trajectory with it (every step, as the
    log holds it); its rows carry turns, tool errors and end, sortable and filtered on;
    other logs' rows are as they were."""
    from test_trajectory_views import agent_task

    task = agent_task(tmp_path)
    result = run_forked(
        "eval", str(task), "--display", "none", cwd=tmp_path,
        env={"EVALRUN_LOG_DIR": str(tmp_path / "logs")},
    )  # fmt: skip
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    samples = raw_log(path)["samples"]
    client = TestClient(create_app(tmp_path / "logs"))
    url = f"/api/runs/{path.name}/samples"
    for sample in samples:
        (shown,) = client.get(f"{url}/{sample['id']}").json()["samples"]
        assert shown["trajectory"] == sample["trajectory"]
        assert shown["messages"] == sample["messages"]
    ends = {s["id"]: s["trajectory"]["end"] for s in samples}
    assert ends == {"sum": "submit", "city": "no_tool_calls", "loop": "max_turns"}
    rows = client.get(url).json()["rows"]
    for row, sample in zip(rows, samples, strict=True):
        t = sample["trajectory"]
        assert (row["id"], row["turns"], row["tool_errors"], row["end"]) == (
            sample["id"], t["turns"], t["tool_errors"], t["end"],
        )  # fmt: skip
    by_turns = client.get(url, params={"sort": "-turns"}).json()["rows"]
    assert [r["id"] for r in by_turns] == ["loop", "sum", "city"]
    ended = client.get(url, params={"where": "end == 'max_turns'"}).json()["rows"]
    assert [r["id"] for r in ended] == ["loop"]
    plain = TestClient(create_app(log_dir)).get(
        f"/api/runs/{_log(log_dir, 'arithmetic').name}/samples"
    )
    assert all("turns" not in row and "end" not in row for row in plain.json()["rows"])

"""`evalrun view` in a browser (issue 13): Playwright drives Debian's chromium against the
real command (`python -m evalrun view DIR --port 0`) over logs written by running tasks
through the CLI. Every test asserts on what the page shows, against the logs themselves.

The logs: arithmetic twice (A answers every sample right; B is the task's own responses,
four of them wrong, so A -> B has four regressions) and the coffee survey. The live test
has a log dir and a viewer of its own, so the slow run it starts changes no other test's
runs list.

CI installs chromium (`.ci/run`) and playwright (the `test` extra); when either is missing
these tests fail, saying so, rather than skip.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from conftest import TASKS, Viewer, logs_in, raw_log, write_jsonl

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: a model's answer, and a job name, that would run script if put into the page as HTML
HOSTILE = '<img src=x onerror="window.pwned=1"><b>1969-07-20</b><script>window.pwned=2</script>'
HOSTILE_JOB = "<script>window.pwned=3</script>"
#: mockllm failing some calls (seed 1: some samples error, some succeed on their retry)
FLAKY = ["-M", "error_rate=0.4", "-M", "seed=1", "--max-retries", "1"]
#: how long an expectation waits for the page (ms)
WAIT = 10_000


@dataclass
class Logs:
    folder: Path
    a: Path  # arithmetic, every answer right
    b: Path  # arithmetic, the task's own responses: four wrong
    survey: Path  # coffee.survey.yaml
    epochs: Path  # arithmetic's first three samples, two epochs each
    graded: Path  # two capitals, graded by a (mock) model: its prompt and reply in the score
    hostile: Path  # dates, answering HTML and script, under a job named like a script tag;
    # some of its model calls fail: errored samples, and retried ones


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}


def _graded_task(folder: Path) -> Path:
    """A task scored by model_graded_fact, the grader a mockllm with its own replies."""
    write_jsonl(folder / "capitals.jsonl", [
        {"id": "fr", "input": "Capital of France?", "target": "Paris"},
        {"id": "es", "input": "Capital of Spain?", "target": "Madrid"},
    ])  # fmt: skip
    write_jsonl(folder / "answers.jsonl", [
        {"match": "France", "output": "Paris"}, {"match": "Spain", "output": "Barcelona"},
    ])  # fmt: skip
    write_jsonl(folder / "grades.jsonl", [
        {"match": r"Submission\]: Paris", "output": "Right city.\nGRADE: C"},
        {"match": r"Submission\]: Barcelona", "output": "Wrong city.\nGRADE: I"},
    ])  # fmt: skip
    task = folder / "graded.yaml"
    task.write_text(
        "name: capitals-graded\ndataset: {path: capitals.jsonl}\nmodel: mockllm/model\n"
        "model_args: {responses: answers.jsonl}\nscorer:\n  - model_graded_fact:\n"
        "      grader: {model: mockllm/model, model_args: {responses: grades.jsonl}}\n"
    )
    return task


def _start_eval(folder: Path, logs: Path, *args: str) -> subprocess.Popen[str]:
    """`python -m evalrun eval ARGS` into `logs`, started (not waited for)."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "evalrun", "eval", *args, "--log-dir", str(logs),
            "--display", "none", "--no-fail-on-error",
        ],
        cwd=folder, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Logs:
    """The three runs, as `python -m evalrun eval` processes side by side (about a second
    each; one after the other, or forked from a cold fork server, takes several)."""
    folder = tmp_path_factory.mktemp("browser")
    logs = folder / "logs"
    data = [json.loads(line) for line in (TASKS / "data" / "arithmetic.jsonl").open()]
    right = write_jsonl(
        folder / "right.jsonl",
        [{"match": re.escape(row["question"]), "output": row["answer"]} for row in data],
    )
    hostile = write_jsonl(folder / "hostile.jsonl", [{"match": ".", "output": HOSTILE}])
    arithmetic = str(TASKS / "arithmetic.yaml")
    runs = {
        "baseline": [arithmetic, "-M", f"responses={right}"],
        "candidate": [arithmetic],
        "survey": [str(TASKS / "coffee.survey.yaml")],
        "epochs": [arithmetic, "--epochs", "2", "--limit", "3"],
        "graded": [str(_graded_task(folder))],
        # some calls fail (a transient error, one retry): errored samples, retried ones
        HOSTILE_JOB: [str(TASKS / "dates.yaml"), "-M", f"responses={hostile}", *FLAKY],
    }
    procs = {job: _start_eval(folder, logs, *args, "--job", job) for job, args in runs.items()}
    for proc in procs.values():
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output
    by_job = {raw_log(path)["header"]["job"]: path for path in logs_in(logs)}
    assert sorted(by_job) == sorted(runs)
    return Logs(
        folder,
        by_job["baseline"],
        by_job["candidate"],
        by_job["survey"],
        by_job["epochs"],
        by_job["graded"],
        by_job[HOSTILE_JOB],
    )


@pytest.fixture(scope="module")
def viewer(logs: Logs) -> Iterator[Viewer]:
    server = Viewer(logs.folder / "logs")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium (Debian's, not a downloaded one) for the module."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install 'playwright>=1.40' (the test extra)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; a script error on it fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def route(name: str, *parts: str) -> str:
    """The front-end's hash route of a log name (each segment URL-encoded, as app.js does)."""
    return "#/run/" + "/".join(quote(p, safe="") for p in name.split("/")) + "".join(parts)


def shoot(page: Any, path: Path) -> None:
    page.screenshot(path=path, full_page=True)
    assert path.exists() and path.stat().st_size > 0


def texts(locator: Any) -> list[str]:
    return [t.strip() for t in locator.all_inner_texts()]


# ---------------------------------------------------------------- the pages


def test_runs_list(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    page.goto(viewer.url)
    rows = page.get_by_test_id("run-row")
    expect(rows).to_have_count(6)
    for path, job in ((logs.a, "baseline"), (logs.b, "candidate"), (logs.survey, "survey")):
        log = raw_log(path)
        row = page.locator(f'[data-testid="run-row"][data-name="{path.name}"]')
        expect(row.get_by_test_id("run-link")).to_have_text(log["header"]["task"])
        expect(row.get_by_test_id("status")).to_have_text("success")
        expect(row).to_contain_text(job)
        expect(row).to_contain_text("mockllm/model")
        counts = f"{log['results']['completed_samples']}/{log['results']['total_samples']}"
        expect(row.get_by_test_id("run-counts")).to_have_text(counts)
    for path in (logs.a, logs.b):
        (score,) = raw_log(path)["results"]["scores"]
        row = page.locator(f'[data-testid="run-row"][data-name="{path.name}"]')
        metric = f"{score['metrics']['accuracy']:.3f} match accuracy"
        expect(row.get_by_test_id("run-metric")).to_have_text(metric)
    assert raw_log(logs.a)["results"]["scores"][0]["metrics"]["accuracy"] == 1.0
    shoot(page, tmp_path / "runs.png")

    # a filter asks the server (the query string) and keeps the others' choices
    expect(page.get_by_test_id("filter-task").locator("option")).to_have_text(
        ["any task", "arithmetic", "capitals-graded", "coffee", "dates"]
    )
    page.get_by_test_id("filter-task").select_option("coffee")
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("run-link")).to_have_text("coffee")
    assert "task=coffee" in page.url
    page.get_by_test_id("filter-job").select_option("candidate")
    expect(page.get_by_test_id("no-runs")).to_be_visible()
    page.get_by_test_id("clear-filters").click()
    expect(rows).to_have_count(6)


def test_run_page(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    log = raw_log(logs.b)
    (score,) = log["results"]["scores"]
    (threshold,) = log["results"]["thresholds"]
    page.goto(viewer.url + route(logs.b.name))
    expect(page.get_by_test_id("run-task")).to_have_text("arithmetic")
    expect(page.get_by_test_id("run-model")).to_have_text("mockllm/model")
    accuracy = page.locator('[data-testid="metric-row"][data-metric="accuracy"]')
    expect(accuracy.get_by_test_id("metric-value")).to_have_text(
        f"{score['metrics']['accuracy']:.3f}"
    )
    stderr = page.locator('[data-testid="metric-row"][data-metric="stderr"]')
    expect(stderr.get_by_test_id("metric-value")).to_have_text(f"{score['metrics']['stderr']:.3f}")
    # 0.8 against the task's threshold of 0.7
    assert (threshold["value"], threshold["threshold"], threshold["status"]) == (0.8, 0.7, "pass")
    expect(page.get_by_test_id("threshold-status")).to_have_text("pass")
    # the 95% normal interval of the accuracy, from its stderr
    acc, se = score["metrics"]["accuracy"], score["metrics"]["stderr"]
    low, high = max(0.0, acc - 1.959964 * se), min(1.0, acc + 1.959964 * se)
    expect(accuracy.get_by_test_id("metric-interval")).to_have_text(f"[{low:.3f}, {high:.3f}] 95%")
    # the score distribution: two bars, 16 correct and 4 wrong
    chart = page.locator('[data-testid="score-chart"][data-scorer="match"]')
    expect(chart.locator("rect.bar")).to_have_count(2)
    right = sum(1 for s in log["samples"] if s["scores"]["match"]["value"] == "C")
    assert right == 16
    expect(chart.locator('g.bin[data-label="C"]')).to_have_attribute("data-count", "16")
    expect(chart.locator('g.bin[data-label="I"]')).to_have_attribute("data-count", "4")
    expect(page.get_by_test_id("threshold-value")).to_have_text("0.800")
    usage = log["stats"]["usage"]
    expect(page.get_by_test_id("total-tokens")).to_have_text(f"{usage['total_tokens']:,}")
    expect(page.get_by_test_id("count-total").locator("b")).to_have_text("20")
    expect(page.get_by_test_id("count-errored").locator("b")).to_have_text("0")
    # the run config, and the task spec behind a toggle
    expect(page.get_by_test_id("run-config")).to_contain_text("candidate")
    expect(page.get_by_test_id("task-spec")).to_be_hidden()
    page.get_by_text("Task spec").click()
    expect(page.get_by_test_id("task-spec")).to_contain_text("You are a careful calculator.")
    expect(page.get_by_test_id("survey-link")).to_have_count(0)
    shoot(page, tmp_path / "run.png")


def test_click_through_to_a_failed_sample(
    page: Any, viewer: Viewer, logs: Logs, tmp_path: Path
) -> None:
    samples = raw_log(logs.b)["samples"]
    wrong = [s for s in samples if s["scores"]["match"]["value"] != "C"]
    assert len(wrong) == 4
    page.goto(viewer.url)
    page.locator(f'[data-testid="run-row"][data-name="{logs.b.name}"]').get_by_test_id(
        "run-link"
    ).click()
    expect(page.get_by_test_id("run-task")).to_have_text("arithmetic")
    page.get_by_test_id("samples-link").click()
    rows = page.get_by_test_id("sample-row")
    expect(rows).to_have_count(20)
    expect(page.get_by_test_id("rows-info")).to_have_text("rows 1–20 of 20")
    shoot(page, tmp_path / "samples.png")

    page.get_by_test_id("failed-only").check()
    expect(rows).to_have_count(4)
    expect(page.get_by_test_id("rows-info")).to_have_text("rows 1–4 of 4")
    assert "failed=1" in page.url
    assert [r.get_attribute("data-id") for r in rows.all()] == [s["id"] for s in wrong]

    first = wrong[0]
    rows.first.click()
    expect(page.get_by_test_id("sample-id")).to_have_text(str(first["id"]))
    messages = page.get_by_test_id("message")
    expect(messages).to_have_count(len(first["messages"]))
    assert [m.get_attribute("data-role") for m in messages.all()] == [
        m["role"] for m in first["messages"]
    ]
    reply = first["messages"][-1]["content"]
    assert reply == "Let me add them. The answer is 125"  # the model's wrong answer
    expect(messages.last).to_contain_text(reply)
    user = first["messages"][1]["content"]
    assert "\n" in user  # shown with its line break (a <pre> keeps whitespace)
    assert messages.nth(1).locator("pre").inner_text() == user
    expect(page.get_by_test_id("sample-target")).to_have_text(first["target"])
    expect(page.get_by_test_id("score-value")).to_have_text("I")
    expect(page.get_by_test_id("sample-usage")).to_contain_text(str(first["usage"]["total_tokens"]))
    shoot(page, tmp_path / "sample.png")
    page.go_back()  # back to the filtered page
    expect(rows).to_have_count(4)
    expect(page.get_by_test_id("failed-only")).to_be_checked()


def test_where_filter_and_its_error(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    samples = raw_log(logs.b)["samples"]
    page.goto(viewer.url + route(logs.b.name, "/samples"))
    rows = page.get_by_test_id("sample-row")
    expect(rows).to_have_count(20)
    where = page.get_by_test_id("where-input")
    where.fill("score.match == 'I' or tokens > 36")
    where.press("Enter")
    wanted = [
        s["id"]
        for s in samples
        if s["scores"]["match"]["value"] == "I" or s["usage"]["total_tokens"] > 36
    ]
    assert 4 < len(wanted) < 20
    expect(rows).to_have_count(len(wanted))
    expect(page.get_by_test_id("rows-info")).to_have_text(f"rows 1–{len(wanted)} of {len(wanted)}")
    assert [r.get_attribute("data-id") for r in rows.all()] == wanted
    expect(page.get_by_test_id("where-error")).to_be_hidden()

    bad = "score.match =="
    message = viewer.api(f"api/runs/{logs.b.name}/samples", where=bad).json()["error"]
    where.fill(bad)
    page.get_by_test_id("where-apply").click()
    expect(page.get_by_test_id("where-error")).to_be_visible()
    expect(page.get_by_test_id("where-error")).to_have_text(message)
    expect(rows).to_have_count(0)
    shoot(page, tmp_path / "where-error.png")
    where.fill("")
    where.press("Enter")
    expect(rows).to_have_count(20)
    expect(page.get_by_test_id("where-error")).to_be_hidden()


def test_sort_by_a_column(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    samples = raw_log(logs.b)["samples"]
    page.goto(viewer.url + route(logs.b.name, "/samples"))
    rows = page.get_by_test_id("sample-row")
    expect(rows.first).to_have_attribute("data-id", "add-01")
    page.get_by_test_id("sort-id").click()  # ascending: as it was
    expect(page.get_by_test_id("sort-id")).to_contain_text("▲")
    page.get_by_test_id("sort-id").click()  # descending
    expect(page.get_by_test_id("sort-id")).to_contain_text("▼")
    expect(rows.first).to_have_attribute("data-id", "add-20")
    assert [r.get_attribute("data-id") for r in rows.all()] == sorted(
        (s["id"] for s in samples), reverse=True
    )
    assert "sort=-id" in page.url

    page.get_by_test_id("sort-tokens").click()
    page.get_by_test_id("sort-tokens").click()
    expect(page.get_by_test_id("sort-tokens")).to_contain_text("▼")
    tokens = [int(t) for t in texts(page.get_by_test_id("cell-tokens"))]
    assert tokens == sorted((s["usage"]["total_tokens"] for s in samples), reverse=True)
    shoot(page, tmp_path / "sorted.png")


def test_paging(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    """Prev / next through B's 20 samples, 8 a page, failed only kept while paging back."""
    ids = [s["id"] for s in raw_log(logs.b)["samples"]]
    page.goto(viewer.url + route(logs.b.name, "/samples?limit=8"))
    rows = page.get_by_test_id("sample-row")
    info = page.get_by_test_id("rows-info")
    expect(info).to_have_text("rows 1–8 of 20")
    expect(page.get_by_test_id("prev")).to_be_disabled()
    for first, last in ((9, 16), (17, 20)):
        page.get_by_test_id("next").click()
        expect(info).to_have_text(f"rows {first}–{last} of 20")
        assert [r.get_attribute("data-id") for r in rows.all()] == ids[first - 1 : last]
    expect(page.get_by_test_id("next")).to_be_disabled()
    page.get_by_test_id("prev").click()
    expect(info).to_have_text("rows 9–16 of 20")
    page.get_by_test_id("failed-only").check()  # a filter starts again at the first row
    expect(info).to_have_text("rows 1–4 of 4")
    assert "limit=8" in page.url


def test_epoch_tabs(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    samples = raw_log(logs.epochs)["samples"]
    assert sorted((s["id"], s["epoch"]) for s in samples) == [
        (f"add-0{i}", e) for i in (1, 2, 3) for e in (1, 2)
    ]
    page.goto(viewer.url + route(logs.epochs.name, "/samples?sort=-epoch"))
    rows = page.get_by_test_id("sample-row")
    expect(rows).to_have_count(6)
    expect(rows.first.locator("td").nth(1)).to_have_text("2")
    rows.first.click()
    tabs = page.get_by_test_id("epoch-tab")
    expect(tabs).to_have_text(["epoch 1", "epoch 2"])
    expect(page.locator(".tab.active")).to_have_text("epoch 2")
    assert page.url.endswith("epoch=2")
    tabs.first.click()
    expect(page.locator(".tab.active")).to_have_text("epoch 1")
    assert page.url.endswith("epoch=1")
    shoot(page, tmp_path / "epochs.png")


def test_a_graders_prompt_and_reply(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    (sample,) = [s for s in raw_log(logs.graded)["samples"] if s["id"] == "es"]
    score = sample["scores"]["model_graded_fact"]
    grader = score["metadata"]["grader"]
    assert score["value"] == "I" and grader["reply"] == "Wrong city.\nGRADE: I"
    page.goto(viewer.url + route(logs.graded.name, "/samples"))
    page.get_by_test_id("failed-only").check()
    expect(page.get_by_test_id("sample-row")).to_have_count(1)
    page.get_by_test_id("sample-row").click()
    block = page.locator('[data-testid="score"][data-scorer="model_graded_fact"]')
    expect(block.get_by_test_id("score-value")).to_have_text("I")
    expect(block).to_contain_text("Barcelona")
    prompt = block.locator('[data-testid="score-meta-text"][data-key="grader.prompt"]')
    reply = block.locator('[data-testid="score-meta-text"][data-key="grader.reply"]')
    assert prompt.inner_text() == grader["prompt"]  # whole, its lines kept
    assert reply.inner_text() == grader["reply"]
    expect(block.get_by_test_id("score-metadata")).to_contain_text("mockllm/model")
    shoot(page, tmp_path / "graded.png")


def test_compare_from_the_runs_list(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    import evalrun

    expected = evalrun.diff(logs.a, logs.b).to_dict()
    (scorer,) = expected["scorers"]
    regressions = ["add-05", "add-10", "add-15", "add-20"]
    assert scorer["regressions"] == regressions and scorer["p_value"] == 2 * 0.5**4

    page.goto(viewer.url)
    compare = page.get_by_test_id("compare-button")
    expect(compare).to_be_disabled()
    for path in (logs.a, logs.b):  # ticked in order: A, then B
        page.locator(f'[data-testid="run-row"][data-name="{path.name}"]').get_by_test_id(
            "pick"
        ).check()
    expect(compare).to_be_enabled()
    compare.click()

    expect(page.get_by_test_id("compare-run-a")).to_contain_text(logs.a.name)
    expect(page.get_by_test_id("compare-run-b")).to_contain_text(logs.b.name)
    block = page.locator('[data-testid="compare-scorer"][data-scorer="match"]')
    expect(block.get_by_test_id("value-a")).to_have_text("1.000")
    expect(block.get_by_test_id("value-b")).to_have_text("0.800")
    expect(block.get_by_test_id("difference")).to_have_text("-0.200")
    expect(block.get_by_test_id("test")).to_have_text("mcnemar")
    expect(block.get_by_test_id("p-value")).to_have_text("0.125")
    expect(block.get_by_test_id("interval")).to_have_text(
        f"[{scorer['ci_low']:.3f}, {scorer['ci_high']:.3f}]"
    )
    verdict = "no significant difference" if not scorer["significant"] else "B significantly worse"
    expect(block.get_by_test_id("verdict")).to_have_text(verdict)
    expect(block.get_by_test_id("cell-a-only")).to_have_text("4")
    expect(block.get_by_test_id("cell-both-correct")).to_have_text("16")
    links = block.get_by_test_id("regressions").get_by_test_id("id-link")
    expect(links).to_have_text(regressions)
    expect(block.get_by_test_id("improvements")).to_have_text("none")
    expect(page.get_by_test_id("only-a")).to_have_text("none")
    shoot(page, tmp_path / "compare.png")

    links.first.click()  # a regression opens the sample in run B
    expect(page.get_by_test_id("sample-id")).to_have_text("add-05")
    expect(page.get_by_test_id("crumb-run")).to_have_text(logs.b.name)
    expect(page.get_by_test_id("message").last).to_contain_text("The answer is 125")

    # two runs of different tasks: the server's error is shown
    message = viewer.api("api/compare", a=logs.a.name, b=logs.survey.name).json()["error"]
    page.goto(viewer.url + f"#/compare?a={logs.a.name}&b={logs.survey.name}")
    expect(page.get_by_test_id("compare-error")).to_have_text(message)


def test_survey_page(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    spec = yaml.safe_load((TASKS / "coffee.survey.yaml").read_text())
    names = [q["name"] for q in spec["questions"]]
    survey = viewer.api(f"api/runs/{logs.survey.name}/survey").json()
    page.goto(viewer.url + route(logs.survey.name))
    expect(page.get_by_test_id("run-task")).to_have_text("coffee")
    page.get_by_test_id("survey-link").click()
    expect(page.get_by_test_id("question")).to_have_count(len(names))
    expect(page.get_by_test_id("question-name")).to_have_text(names)
    # drinks: a bar per option, the counts of the six interviews' answers
    drinks = [s["store"]["survey"]["answers"]["drinks"] for s in raw_log(logs.survey)["samples"]]
    assert len(drinks) == 6 and all(d["status"] == "valid" for d in drinks)
    chosen = Counter(option for d in drinks for option in d["answer"])
    block = page.locator('[data-testid="question"][data-name="drinks"]')
    bins = block.locator("g.bin")
    expect(bins).to_have_count(len(spec["questions"][0]["options"]))
    for option in spec["questions"][0]["options"]:
        expect(block.locator(f'g.bin[data-label="{option}"]')).to_have_attribute(
            "data-count", str(chosen[option])
        )
    expect(block.get_by_test_id("q-valid").locator("b")).to_have_text("6")
    # value is skipped by a rule for one interview; times for the agent who rarely drinks
    for name in ("value", "times"):
        answers = [
            s["store"]["survey"]["answers"].get(name) for s in raw_log(logs.survey)["samples"]
        ]
        skipped = sum(1 for a in answers if a and a["status"] == "skipped")
        assert skipped > 0, name
        question = page.locator(f'[data-testid="question"][data-name="{name}"]')
        expect(question.get_by_test_id("q-skipped").locator("b")).to_have_text(str(skipped))
    price = page.locator('[data-testid="question"][data-name="max_price"]')
    expect(price.get_by_test_id("q-numbers")).to_contain_text("mean")
    # the flow: a box per node (each question, then the end), a path per edge
    flow = survey["flow"]
    ids = [n["id"] for n in flow["nodes"]]
    assert len(ids) >= len(names)
    expect(page.get_by_test_id("flow-node")).to_have_count(len(ids))
    assert [n.get_attribute("data-id") for n in page.get_by_test_id("flow-node").all()] == ids
    expect(page.locator("g.edge")).to_have_count(len(flow["edges"]))
    kinds = Counter(e["kind"] for e in flow["edges"])
    assert kinds["skip"] == len(spec["rules"]) and kinds["memory"] == 1 and kinds["pipes"] == 1
    for kind, count in kinds.items():
        expect(page.locator(f'g.edge[data-kind="{kind}"]')).to_have_count(count)
    expect(page.locator('g.edge[data-kind="skip"]').first).to_contain_text("max_price <")
    shoot(page, tmp_path / "survey.png")


def test_survey_sample(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    """A survey's sample (its id holds `/`: agent/scenario) shows each answer."""
    sample = raw_log(logs.survey)["samples"][0]
    answers = sample["store"]["survey"]["answers"]
    one = viewer.api(f"api/runs/{logs.survey.name}/samples/{quote(sample['id'], safe='')}")
    assert one.status_code == 200, one.text
    page.goto(viewer.url + route(logs.survey.name, "/samples"))
    page.get_by_test_id("sample-row").first.click()
    expect(page.get_by_test_id("sample-id")).to_have_text(str(sample["id"]))
    rows = page.get_by_test_id("survey-answer")
    expect(rows).to_have_count(len(answers))
    price = page.locator('[data-testid="survey-answer"][data-question="max_price"]')
    expect(price).to_contain_text(str(answers["max_price"]["answer"]))
    expect(page.get_by_test_id("message")).to_have_count(len(sample["messages"]))
    shoot(page, tmp_path / "survey-sample.png")


def test_log_contents_are_shown_as_text(
    page: Any, viewer: Viewer, logs: Logs, tmp_path: Path
) -> None:
    """A log is untrusted: HTML in an answer or a job name is shown, never run or drawn."""
    page.goto(viewer.url)
    row = page.locator(f'[data-testid="run-row"][data-name="{logs.hostile.name}"]')
    expect(row).to_contain_text(HOSTILE_JOB)
    page.get_by_test_id("filter-job").select_option(HOSTILE_JOB)
    expect(page.get_by_test_id("run-row")).to_have_count(1)
    scored = next(s for s in raw_log(logs.hostile)["samples"] if not s["error"])
    page.goto(viewer.url + route(logs.hostile.name, "/samples"))
    rows = page.get_by_test_id("sample-row")
    expect(rows).to_have_count(8)
    rows.locator(f'[data-testid="sample-link"]:text-is("{scored["id"]}")').click()
    expect(page.get_by_test_id("sample-id")).to_have_text(str(scored["id"]))
    expect(page.get_by_test_id("message").last.locator("pre")).to_have_text(HOSTILE)
    expect(page.get_by_test_id("sample-answer")).to_contain_text("<b>1969-07-20</b>")
    assert page.locator("#app img, #app script, #app b").count() == 0
    assert page.evaluate("window.pwned") is None
    shoot(page, tmp_path / "hostile.png")


def test_errors_and_retries(page: Any, viewer: Viewer, logs: Logs, tmp_path: Path) -> None:
    samples = raw_log(logs.hostile)["samples"]
    errored = [s for s in samples if s["error"]]
    retried = [s for s in samples if not s["error"] and s["retries"]]
    assert errored and retried, "seed 1 gives both an errored and a retried sample"
    page.goto(viewer.url + route(logs.hostile.name))
    expect(page.get_by_test_id("count-errored").locator("b")).to_have_text(str(len(errored)))
    page.get_by_test_id("samples-link").click()
    rows = page.get_by_test_id("sample-row")
    expect(rows).to_have_count(len(samples))
    page.get_by_test_id("errors-only").check()
    expect(rows).to_have_count(len(errored))
    assert [r.get_attribute("data-id") for r in rows.all()] == [str(s["id"]) for s in errored]
    expect(rows.first).to_contain_text("model")  # the error's kind
    rows.first.click()
    sample = errored[0]
    expect(page.get_by_test_id("sample-id")).to_have_text(str(sample["id"]))
    expect(page.get_by_test_id("sample-error")).to_contain_text(sample["error"]["message"])
    expect(page.get_by_test_id("retry-row")).to_have_count(len(sample["retries"]))
    expect(page.get_by_test_id("retry-row").last).to_contain_text("gave up")
    shoot(page, tmp_path / "errored.png")
    # a sample whose call failed once, then answered: its retry, and no error
    page.goto(viewer.url + route(logs.hostile.name, f"/sample/{retried[0]['id']}"))
    expect(page.get_by_test_id("sample-id")).to_have_text(str(retried[0]["id"]))
    expect(page.get_by_test_id("retry-row")).to_have_count(len(retried[0]["retries"]))
    expect(page.get_by_test_id("retry-row").first).to_contain_text("simulated transient error")
    expect(page.get_by_test_id("sample-error")).to_have_count(0)


def test_an_agents_trajectory(page: Any, tmp_path: Path) -> None:
    """An agentic run (a log dir and a viewer of its own): the samples table shows each
    sample's turns and end; a sample's page its trajectory step by step: model turns with
    their text and the calls they asked for, tool calls with arguments and output, a
    failed one's error highlighted, submit's answer, the end. A tool's output of HTML is
    shown as text."""
    from test_trajectory_views import HOSTILE_OUTPUT, agent_task

    logs = tmp_path / "logs"
    run = _start_eval(tmp_path, logs, str(agent_task(tmp_path)))
    output, _ = run.communicate(timeout=120)
    assert run.returncode == 0, output
    (log,) = logs_in(logs)
    samples = {s["id"]: s for s in raw_log(log)["samples"]}
    server = Viewer(logs)
    try:
        page.goto(server.url + route(log.name, "/samples"))
        rows = page.get_by_test_id("sample-row")
        expect(rows).to_have_count(3)
        for row in rows.all():
            trajectory = samples[row.get_attribute("data-id")]["trajectory"]
            expect(row.get_by_test_id("cell-turns")).to_have_text(str(trajectory["turns"]))
            expect(row.get_by_test_id("cell-end")).to_have_text(trajectory["end"])
        page.get_by_test_id("sort-turns").click()
        expect(rows.first).to_have_attribute("data-id", "city")  # 2 turns

        # city: two calls in one turn, the first answering HTML, the second failing
        rows.locator('[data-testid="sample-link"]:text-is("city")').click()
        expect(page.get_by_test_id("sample-id")).to_have_text("city")
        trajectory = samples["city"]["trajectory"]
        steps = page.get_by_test_id("trajectory-step")
        expect(steps).to_have_count(len(trajectory["steps"]))
        assert [
            (s.get_attribute("data-type"), s.get_attribute("data-name")) for s in steps.all()
        ] == [("model", None), ("tool", "find_place"), ("tool", "find_place"), ("model", None)]
        summary = page.get_by_test_id("trajectory-summary")
        expect(summary.get_by_test_id("trajectory-turns")).to_have_text("2")
        expect(summary.get_by_test_id("trajectory-calls")).to_have_text("2")
        expect(summary.get_by_test_id("trajectory-errors")).to_have_text("1")
        expect(summary.get_by_test_id("trajectory-end")).to_have_text("no_tool_calls")
        expect(summary.get_by_test_id("trajectory-answer")).to_have_text("–")
        first = steps.nth(0)
        expect(first.get_by_test_id("step-completion")).to_have_text("Looking up.")
        expect(first.get_by_test_id("step-tokens")).to_have_text(
            f"{trajectory['steps'][0]['usage']['total_tokens']} tokens"
        )
        calls = first.get_by_test_id("step-call")
        expect(calls).to_have_count(2)
        expect(calls.nth(0)).to_contain_text('find_place{"place":"tower"} call_1')
        expect(calls.nth(1)).to_contain_text('find_place{"place":"moon"} call_2')
        looked = steps.nth(1)
        expect(looked.get_by_test_id("step-arguments")).to_have_text('{"place":"tower"}')
        expect(looked.get_by_test_id("step-output")).to_have_text(HOSTILE_OUTPUT)
        expect(looked.get_by_test_id("step-error")).to_have_count(0)
        failed = steps.nth(2)
        expect(failed).to_have_class(re.compile(r"\bstep-failed\b"))
        expect(failed.get_by_test_id("step-arguments")).to_have_text('{"place":"moon"}')
        expect(failed.get_by_test_id("step-error")).to_have_text(trajectory["steps"][2]["error"])
        expect(failed.get_by_test_id("step-output")).to_have_count(0)  # the error is what it read
        expect(steps.nth(3).get_by_test_id("step-completion")).to_have_text("It is in Paris.")
        assert page.locator("#app img, #app script, #app b:text-is('Paris')").count() == 0
        assert page.evaluate("window.pwned") is None
        # the transcript is there too, behind a click
        expect(page.get_by_test_id("message")).to_have_count(len(samples["city"]["messages"]))
        expect(page.get_by_test_id("message").first).to_be_hidden()
        shoot(page, tmp_path / "trajectory.png")

        # sum: a calculator error, then the right sum, then submit
        page.goto(server.url + route(log.name, "/sample/sum"))
        expect(page.get_by_test_id("sample-id")).to_have_text("sum")
        expect(page.get_by_test_id("trajectory-end")).to_have_text("submit")
        expect(page.get_by_test_id("trajectory-answer")).to_have_text("5")
        tools = page.locator('[data-testid="trajectory-step"][data-type="tool"]')
        expect(tools).to_have_count(3)
        assert [t.get_attribute("data-name") for t in tools.all()] == [
            "calculator", "calculator", "submit",
        ]  # fmt: skip
        expect(tools.nth(0).get_by_test_id("step-error")).to_contain_text("expected an expression")
        expect(tools.nth(1).get_by_test_id("step-output")).to_have_text("5")
        expect(tools.nth(2).get_by_test_id("step-submitted")).to_have_text("5")
        expect(tools.nth(2)).to_contain_text("submitted")

        # loop: out of turns, flagged as a warning
        page.goto(server.url + route(log.name, "/sample/loop"))
        expect(page.get_by_test_id("trajectory-end")).to_have_text("max_turns")
        expect(page.get_by_test_id("trajectory-step")).to_have_count(8)
    finally:
        server.stop()


# ---------------------------------------------------------------- live refresh


def test_live_refresh(page: Any, tmp_path: Path) -> None:
    """A run writing slowly (mockllm with latency, one sample at a time) into the viewed
    dir: its samples page and its run page grow in place, then show it finished."""
    logs = tmp_path / "logs"
    logs.mkdir()
    server = Viewer(logs)
    dates = str(TASKS / "dates.yaml")
    run = _start_eval(tmp_path, logs, dates, "-M", "latency=0.4", "--max-samples", "1")
    try:
        deadline = time.monotonic() + 20
        while not logs_in(logs):
            assert run.poll() is None, run.communicate()[0]
            assert time.monotonic() < deadline, "no log appeared"
            time.sleep(0.05)
        (log,) = logs_in(logs)
        page.goto(server.url + route(log.name, "/samples"))
        page.evaluate("window.sameDocument = true")
        rows = page.get_by_test_id("sample-row")
        expect(page.get_by_test_id("live")).to_be_visible()
        expect(page.get_by_test_id("status")).to_have_text("started")
        expect(rows.first).to_be_visible()
        seen = rows.count()
        assert seen < 8
        # the run page, in a second tab: its samples written so far
        other = page.context.new_page()
        other.goto(server.url + route(log.name))
        expect(other.get_by_test_id("live")).to_be_visible()
        expect(other.get_by_test_id("samples-done")).to_contain_text("samples written so far")
        expect(rows).not_to_have_count(seen, timeout=WAIT)  # more rows, without a reload
        assert rows.count() > seen
        shoot(page, tmp_path / "live.png")
        output, _ = run.communicate(timeout=30)
        assert run.returncode == 0, output
        expect(rows).to_have_count(8, timeout=WAIT)
        expect(page.get_by_test_id("rows-info")).to_have_text("rows 1–8 of 8")
        expect(page.get_by_test_id("status")).to_have_text("success")
        expect(page.get_by_test_id("live")).to_have_count(0)
        assert page.evaluate("window.sameDocument") is True
        # the run page now has the results: its metrics, and no live badge
        expect(other.get_by_test_id("status")).to_have_text("success", timeout=WAIT)
        expect(other.get_by_test_id("live")).to_have_count(0)
        accuracy = raw_log(log)["results"]["scores"][0]["metrics"]["accuracy"]
        expect(other.get_by_test_id("metric-value").first).to_have_text(f"{accuracy:.3f}")
        shoot(other, tmp_path / "live-run.png")
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        server.stop()

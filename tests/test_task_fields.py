"""Every field of docs/task-format.md, run through the CLI, checked in the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import clear_logs, logs_in, metric, only_log, raw_log, write_jsonl

ROWS = [
    {"id": "a", "question": "What is 2+3?", "answer": "5", "topic": "add"},
    {"id": "b", "question": "What is 10-4?", "answer": "6", "topic": "sub"},
    {"id": "c", "question": "What is 3*3?", "answer": "9", "topic": "mul"},
]


def samples_by_id(log: dict) -> dict:
    return {(s["id"], s["epoch"]): s for s in log["samples"]}


def test_name_description_version_tags_metadata(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "hi"}])
    task = write(
        "file_stem.yaml",
        """
        name: greeting
        description: Says hi.
        version: 3
        tags: [smoke, demo]
        dataset: {path: d.jsonl}
        metadata: {owner: me}
        """,
    )
    assert (
        evalrun(
            "eval", str(task), "-m", "mockllm/model", "--tags", "ci", "--metadata", "run=7"
        ).code
        == 0
    )
    log = only_log(tmp_path / "logs")
    header = log["header"]
    assert header["task"] == "greeting"
    assert "greeting" in logs_in(tmp_path / "logs")[0].name
    assert header["task_spec"]["description"] == "Says hi."
    assert header["task_spec"]["version"] == 3
    assert header["tags"] == ["smoke", "demo", "ci"]
    assert header["metadata"] == {"owner": "me", "run": 7}


def test_name_defaults_to_file_stem(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "hi"}])
    task = write("my_task.yaml", "dataset: {path: d.jsonl}\n")
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    assert only_log(tmp_path / "logs")["header"]["task"] == "my_task"


def test_args_reach_templates_and_T_overrides(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "2+2"}])
    task = write(
        "t.yaml",
        """
        args: {instruction: "Answer briefly.", n: 1}
        dataset: {path: d.jsonl}
        solver:
          - prompt_template: "{{ input }} | {{ instruction }} | {{ n + 1 }}"
          - generate
        """,
    )
    assert evalrun("eval", str(task), "-m", "mockllm/echo").code == 0
    log = only_log(tmp_path / "logs")
    assert log["samples"][0]["output"]["completion"] == "2+2 | Answer briefly. | 2"
    clear_logs(tmp_path / "logs")
    assert (
        evalrun(
            "eval", str(task), "-m", "mockllm/echo", "-T", "instruction=Show work.", "-T", "n=41"
        ).code
        == 0
    )
    log = only_log(tmp_path / "logs")
    assert log["samples"][0]["output"]["completion"] == "2+2 | Show work. | 42"
    assert log["header"]["task_spec"]["args"] == {"instruction": "Show work.", "n": 41}


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_dataset_formats_and_field_mapping(fmt: str, evalrun, write, tmp_path: Path) -> None:
    if fmt == "jsonl":
        write_jsonl(tmp_path / "d.jsonl", ROWS)
    elif fmt == "json":
        (tmp_path / "d.json").write_text(json.dumps(ROWS))
    else:
        lines = ["id,question,answer,topic"] + [
            f"{r['id']},{r['question']},{r['answer']},{r['topic']}" for r in ROWS
        ]
        (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    task = write(
        "t.yaml",
        f"""
        dataset:
          path: d.{fmt}
          fields: {{input: question, target: answer, id: id, metadata: [topic]}}
        scorer: [exact]
        model: mockllm/model
        model_args: {{responses: r.jsonl}}
        """,
    )
    write_jsonl(
        tmp_path / "r.jsonl", [{"match": "2\\+3", "output": "5"}, {"match": "10-4", "output": "6"}]
    )
    assert evalrun("eval", str(task)).code == 0, fmt
    log = only_log(tmp_path / "logs")
    assert [d["id"] for d in log["dataset"]] == ["a", "b", "c"]
    sample = samples_by_id(log)[("b", 1)]
    assert sample["input"] == "What is 10-4?"
    assert sample["target"] == "6"
    assert sample["metadata"] == {"topic": "sub"}
    assert metric(log, "accuracy") == pytest.approx(2 / 3)


def test_ids_default_to_row_number_and_target_lists(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl",
        [{"input": "colour?", "target": ["red", "blue"]}, {"input": "x", "target": "y"}],
    )
    write_jsonl(tmp_path / "r.jsonl", [{"match": "colour", "output": "blue"}])
    task = write(
        "t.yaml",
        "dataset: {path: d.jsonl}\nscorer: [exact]\nmodel: mockllm/model\nmodel_args: {responses: r.jsonl}\n",
    )
    assert evalrun("eval", str(task)).code == 0
    log = only_log(tmp_path / "logs")
    assert [d["id"] for d in log["dataset"]] == [1, 2]
    assert samples_by_id(log)[(1, 1)]["scores"]["exact"]["value"] == "C"
    assert samples_by_id(log)[(2, 1)]["scores"]["exact"]["value"] == "I"


def test_inline_samples_with_choices(evalrun, write, tmp_path: Path) -> None:
    task = write(
        "t.yaml",
        """
        dataset:
          samples:
            - {id: q1, input: "Pick red", choices: [blue, red, green], target: B}
            - {id: q2, input: "Pick green", choices: [blue, red, green], target: green}
        solver: [multiple_choice]
        scorer: [choice]
        model: mockllm/model
        model_args: {responses: r.jsonl}
        """,
    )
    write_jsonl(
        tmp_path / "r.jsonl",
        [{"match": "Pick red", "output": "ANSWER: B"}, {"match": "Pick green", "output": "C"}],
    )
    assert evalrun("eval", str(task)).code == 0
    log = only_log(tmp_path / "logs")
    samples = samples_by_id(log)
    assert (
        samples[("q1", 1)]["answer"] == "B"
        and samples[("q1", 1)]["scores"]["choice"]["value"] == "C"
    )
    assert (
        samples[("q2", 1)]["answer"] == "C"
        and samples[("q2", 1)]["scores"]["choice"]["value"] == "C"
    )
    prompt = samples[("q1", 1)]["messages"][0]["content"]
    assert "A) blue\nB) red\nC) green" in prompt and "ANSWER: $LETTER" in prompt


def test_shuffle_with_seed_is_reproducible(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(1, 21)])
    task = write("t.yaml", "dataset: {path: d.jsonl, shuffle: true, seed: 7}\n")
    orders = []
    for _ in range(2):
        assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
        orders.append([d["id"] for d in only_log(tmp_path / "logs")["dataset"]])
        clear_logs(tmp_path / "logs")
    assert orders[0] == orders[1]
    assert orders[0] != list(range(1, 21)) and sorted(orders[0]) == list(range(1, 21))
    assert evalrun("eval", str(task), "-m", "mockllm/model", "--limit", "3").code == 0
    assert [d["id"] for d in only_log(tmp_path / "logs")["dataset"]] == orders[0][:3]


def test_shuffle_without_seed_records_the_seed(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(10)])
    task = write("t.yaml", "dataset: {path: d.jsonl, shuffle: true}\n")
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    assert isinstance(only_log(tmp_path / "logs")["header"]["task_spec"]["dataset"]["seed"], int)


def test_limit_range_and_sample_id(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": f"s{i}", "input": f"q{i}"} for i in range(1, 11)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    assert evalrun("eval", str(task), "-m", "mockllm/model", "--limit", "3-5").code == 0
    assert [s["id"] for s in only_log(tmp_path / "logs")["dataset"]] == ["s3", "s4", "s5"]
    clear_logs(tmp_path / "logs")
    assert evalrun("eval", str(task), "-m", "mockllm/model", "--sample-id", "s9,s2").code == 0
    log = only_log(tmp_path / "logs")
    assert sorted(s["id"] for s in log["samples"]) == ["s2", "s9"]


def test_system_user_prompt_template_and_generate_config(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"input": "one two three four five six seven eight nine ten"}]
    )
    task = write(
        "t.yaml",
        """
        dataset: {path: d.jsonl}
        solver:
          - system_message: "Be terse."
          - prompt_template: "Q: {{ prompt }}"
          - generate: {max_tokens: 2}
          - user_message: "And again, id {{ id }}?"
          - generate
        config: {temperature: 0.5, stop_seqs: [" again"]}
        """,
    )
    assert evalrun("eval", str(task), "-m", "mockllm/echo").code == 0
    sample = only_log(tmp_path / "logs")["samples"][0]
    roles = [m["role"] for m in sample["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    assert sample["messages"][0]["content"] == "Be terse."
    assert sample["messages"][1]["content"].startswith("Q: one two")
    assert sample["messages"][2]["content"] == "Q: one t"  # 2 tokens, about 8 characters
    assert sample["messages"][4]["content"] == "And"  # cut at the task's stop sequence
    assert sample["output"]["stop_reason"] == "stop"
    assert sample["usage"]["calls"] == 2


def test_chain_of_thought_and_self_critique(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "What is 6*7?", "target": "42"}])
    write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"match": "critique the answer", "output": "The answer is wrong; 6*7 is 42."},
            {"match": "improved answer", "output": "ANSWER: 42"},
            {"match": "step-by-step", "output": "6*7 = 40. ANSWER: 40"},
        ],
    )
    task = write(
        "t.yaml",
        """
        dataset: {path: d.jsonl}
        solver: [chain_of_thought, generate, self_critique]
        scorer:
          - pattern: {pattern: 'ANSWER: (\\d+)'}
        model: mockllm/model
        model_args: {responses: r.jsonl}
        """,
    )
    assert evalrun("eval", str(task)).code == 0
    sample = only_log(tmp_path / "logs")["samples"][0]
    assert "step-by-step" in sample["messages"][0]["content"]
    assert sample["messages"][1]["content"] == "6*7 = 40. ANSWER: 40"
    assert "The answer is wrong" in sample["messages"][2]["content"]
    assert sample["output"]["completion"] == "ANSWER: 42"
    assert sample["scores"]["pattern"] == {"value": "C", "answer": "42"}
    assert sample["usage"]["calls"] == 3


def test_python_solver_and_scorer(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"input": "abc", "target": "CBA"}, {"input": "xy", "target": "nope"}]
    )
    write(
        "my_steps.py",
        """
        from evalrun import ChatMessage, Score

        async def reverse_upper(state, suffix=""):
            state.add_message(ChatMessage("user", state.sample.input[::-1].upper() + suffix))
            await state.generate()

        def same(state, target):
            ok = state.completion in target
            return Score("C" if ok else "I", answer=state.completion, explanation="python scorer")

        def length(state, target):
            return {"value": len(state.completion), "answer": state.completion}
        """,
    )
    task = write(
        "t.yaml",
        """
        dataset: {path: d.jsonl}
        solver:
          - python: {function: "my_steps:reverse_upper"}
        scorer:
          - python: "my_steps:same"
          - python: "my_steps:length"
        metrics:
          python: [accuracy]
          python_2: [mean, std]
        """,
    )
    assert evalrun("eval", str(task), "-m", "mockllm/echo").code == 0
    log = only_log(tmp_path / "logs")
    assert metric(log, "accuracy", "python") == 0.5
    assert metric(log, "mean", "python_2") == 2.5
    assert metric(log, "std", "python_2") == pytest.approx(0.70710678, abs=1e-6)
    first = samples_by_id(log)[(1, 1)]
    assert first["scores"]["python"] == {
        "value": "C",
        "answer": "CBA",
        "explanation": "python scorer",
    }


@pytest.mark.parametrize(
    ("scorer", "output", "target", "value"),
    [
        ("exact", "  Paris. ", "paris", "C"),
        ("exact", "Paris, France", "Paris", "I"),
        ("includes", "It is Paris, France", "paris", "C"),
        ("{includes: {ignore_case: false}}", "It is Paris", "paris", "I"),
        ("{match: {location: begin}}", "Paris is the answer", "paris", "C"),
        ("{match: {location: end}}", "The answer is Paris.", "Paris", "C"),
        ("{match: {location: end}}", "Paris is the answer", "Paris", "I"),
        ("{match: {location: any}}", "I think Paris is it", "Paris", "C"),
        ("{match: {location: exact}}", "Paris", "Paris", "C"),
        ("{match: {numeric: true}}", "So 1,234.5 in total", "1234.5", "C"),
        ("{match: {numeric: true}}", "3 apples and 4 pears", "3", "I"),
        ("{match: {numeric: true, location: begin}}", "3 apples and 4 pears", "3", "C"),
        ("{match: {numeric: true, tolerance: 0.01}}", "pi is 3.141", "3.14", "C"),
        ("{match: {numeric: true, tolerance: 0.0001}}", "pi is 3.141", "3.14", "I"),
        ("{pattern: {pattern: 'ANSWER: (\\w+)'}}", "blah ANSWER: yes", "yes", "C"),
        ("{pattern: {pattern: '(\\d+)-(\\d+)', group: 2}}", "range 10-20", "20", "C"),
        ("{pattern: {pattern: 'ANSWER: (\\w+)'}}", "no answer here", "yes", "I"),
        ("choice", "ANSWER: B", "B", "C"),
        ("choice", "ANSWER: A", "B", "I"),
    ],
)
def test_builtin_scorers(
    scorer: str, output: str, target: str, value: str, evalrun, write, tmp_path: Path
) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "q", "target": target, "choices": ["x", "y"]}])
    write_jsonl(tmp_path / "r.jsonl", [{"match": ".", "output": output}])
    task = write(
        "t.yaml",
        f"dataset: {{path: d.jsonl}}\nscorer:\n  - {scorer}\nmodel: mockllm/model\nmodel_args: {{responses: r.jsonl}}\n",
    )
    result = evalrun("eval", str(task))
    assert result.code == 0, result.output
    scores = only_log(tmp_path / "logs")["samples"][0]["scores"]
    assert next(iter(scores.values()))["value"] == value


def test_f1_scorer(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"input": "q", "target": ["the Eiffel Tower", "Tour Eiffel"]}]
    )
    write_jsonl(tmp_path / "r.jsonl", [{"match": ".", "output": "The tall Eiffel tower!"}])
    task = write(
        "t.yaml",
        "dataset: {path: d.jsonl}\nscorer: [f1]\nmodel: mockllm/model\nmodel_args: {responses: r.jsonl}\n",
    )
    assert evalrun("eval", str(task)).code == 0
    log = only_log(tmp_path / "logs")
    # "tall eiffel tower" vs "eiffel tower": precision 2/3, recall 1 -> F1 0.8
    assert log["samples"][0]["scores"]["f1"]["value"] == pytest.approx(0.8)
    assert metric(log, "mean", "f1") == pytest.approx(0.8)


def test_epochs_reducers_and_metrics(evalrun, write, tmp_path: Path) -> None:
    """Two samples x 4 epochs; the echo model answers the epoch-dependent prompt."""
    write_jsonl(tmp_path / "d.jsonl", [{"id": "x", "input": "q"}, {"id": "y", "input": "q"}])
    write(
        "flaky.py",
        """
        def score(state, target):
            # x is right in epochs 1 and 3, y only in epoch 4
            right = {"x": {1, 3}, "y": {4}}[state.sample.id]
            return "C" if state.epoch in right else "I"
        """,
    )
    task = write(
        "t.yaml",
        """
        dataset: {path: d.jsonl}
        scorer: [{python: "flaky:score"}]
        epochs: {count: 4, reducer: [mean, max, mode, median, min, pass_at_2, at_least_2]}
        """,
    )
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    log = only_log(tmp_path / "logs")
    assert len(log["samples"]) == 8
    acc = {r["reducer"]: r["metrics"]["accuracy"] for r in log["results"]["scores"]}
    # per sample: x = [1,0,1,0], y = [0,0,0,1]
    assert acc["mean"] == pytest.approx((0.5 + 0.25) / 2)
    assert acc["max"] == 1.0
    assert acc["mode"] == pytest.approx((1 + 0) / 2)  # x ties -> first epoch's value (C); y -> I
    assert acc["median"] == pytest.approx((0.5 + 0.0) / 2)
    assert acc["min"] == 0.0
    # pass@2 with n=4: x c=2 -> 1 - C(2,2)/C(4,2) = 5/6; y c=1 -> 1 - C(3,2)/C(4,2) = 1/2
    assert acc["pass_at_2"] == pytest.approx((5 / 6 + 1 / 2) / 2)
    assert acc["at_least_2"] == pytest.approx(0.5)


def test_epochs_shorthand_and_cli_override(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "q"}])
    task = write("t.yaml", "dataset: {path: d.jsonl}\nepochs: 3\nscorer: [exact]\n")
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    assert sorted(s["epoch"] for s in only_log(tmp_path / "logs")["samples"]) == [1, 2, 3]
    clear_logs(tmp_path / "logs")
    assert (
        evalrun(
            "eval", str(task), "-m", "mockllm/model", "--epochs", "2", "--epochs-reducer", "max"
        ).code
        == 0
    )
    log = only_log(tmp_path / "logs")
    assert sorted(s["epoch"] for s in log["samples"]) == [1, 2]
    assert log["results"]["scores"][0]["reducer"] == "max"


def test_model_env_and_cli_precedence(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "hello"}])
    task = write("t.yaml", "dataset: {path: d.jsonl}\nmodel: mockllm/echo\n")
    assert evalrun("eval", str(task)).code == 0
    assert only_log(tmp_path / "logs")["samples"][0]["output"]["completion"] == "hello"
    clear_logs(tmp_path / "logs")
    assert evalrun("eval", str(task), env={"EVALRUN_MODEL": "mockllm/model"}).code == 0
    assert only_log(tmp_path / "logs")["header"]["model"] == "mockllm/model"
    clear_logs(tmp_path / "logs")
    assert (
        evalrun(
            "eval", str(task), "-m", "mockllm/other", env={"EVALRUN_MODEL": "mockllm/model"}
        ).code
        == 0
    )
    log = only_log(tmp_path / "logs")
    assert log["samples"][0]["output"]["completion"] == "Default output from mockllm/other"


def test_model_args_resolve_against_task_file(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "sub" / "d.jsonl", [{"input": "ping"}])
    write_jsonl(tmp_path / "sub" / "r.jsonl", [{"match": "ping", "output": "pong"}])
    task = write(
        "sub/t.yaml",
        "dataset: {path: d.jsonl}\nmodel: mockllm/model\nmodel_args: {responses: r.jsonl}\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert evalrun("eval", str(task), cwd=elsewhere).code == 0
    assert only_log(tmp_path / "logs")["samples"][0]["output"]["completion"] == "pong"


@pytest.mark.parametrize(
    ("limits", "options", "kind"),
    [
        ("{messages: 2}", [], "messages"),
        ("{tokens: 10}", [], "tokens"),
        ("{time: 0.2}", ["-M", "latency=5"], "time"),
        ("{}", ["--message-limit", "2"], "messages"),
        ("{}", ["--token-limit", "10"], "tokens"),
        ("{}", ["--time-limit", "0.2", "-M", "latency=5"], "time"),
    ],
)
def test_limits(limits: str, options: list[str], kind: str, evalrun, write, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"input": "a fairly long question with several words in it"}]
    )
    task = write(
        "t.yaml",
        f"dataset: {{path: d.jsonl}}\nsolver: [system_message: 'Be nice.', generate]\nlimits: {limits}\nscorer: [includes]\n",
    )
    result = evalrun("eval", str(task), "-m", "mockllm/echo", *options)
    assert result.code == 0, result.output
    sample = only_log(tmp_path / "logs")["samples"][0]
    assert sample["error"] is None and sample["limit"]["kind"] == kind  # scored, not errored
    assert sample["scores"]["includes"]["value"] == "I"  # scored on what it had at the limit
    assert sample["total_time"] < 3


def test_thresholds_recorded(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"input": "a", "target": "a"}, {"input": "b", "target": "c"}]
    )
    task = write(
        "t.yaml",
        "dataset: {path: d.jsonl}\nscorer: [exact]\nthresholds: {accuracy: 0.5, exact.stderr: 0.9}\n",
    )
    result = evalrun("eval", str(task), "-m", "mockllm/echo")
    assert result.code == 1  # a threshold missed: the CI gate fails
    checks = {c["metric"]: c for c in only_log(tmp_path / "logs")["results"]["thresholds"]}
    assert checks["accuracy"]["passed"] is True and checks["accuracy"]["value"] == 0.5
    assert checks["exact.stderr"]["passed"] is False
    assert (checks["accuracy"]["status"], checks["exact.stderr"]["status"]) == ("pass", "fail")
    assert "threshold t x mockllm/echo: exact.stderr 0.500 >= 0.9: below threshold" in result.out


def test_several_tasks_in_one_file_and_folder(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "suite" / "d.jsonl", [{"input": "x"}])
    write(
        "suite/many.yaml",
        "tasks:\n  - {name: one, dataset: {path: d.jsonl}}\n  - dataset: {path: d.jsonl}\n",
    )
    write("suite/nested/single.yml", "dataset: {path: ../d.jsonl}\n")
    result = evalrun("eval", str(tmp_path / "suite"), "-m", "mockllm/model")
    assert result.code == 0, result.output
    names = sorted(raw_log(p)["header"]["task"] for p in logs_in(tmp_path / "logs"))
    assert names == ["many_2", "one", "single"]


def test_glob_pattern(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "x"}])
    write("a_task.yaml", "dataset: {path: d.jsonl}\n")
    write("b_task.yaml", "dataset: {path: d.jsonl}\n")
    write("other.yaml", "dataset: {path: d.jsonl}\n")
    assert evalrun("eval", str(tmp_path / "*_task.yaml"), "-m", "mockllm/model").code == 0
    assert len(logs_in(tmp_path / "logs")) == 2


def test_config_file_precedence(evalrun, write, tmp_path: Path) -> None:
    """task file < --config file < command line."""
    write_jsonl(tmp_path / "d.jsonl", [{"input": "q"}])
    task = write(
        "t.yaml", "dataset: {path: d.jsonl}\nepochs: 1\nconfig: {temperature: 0.1, max_tokens: 5}\n"
    )
    config = write(
        "run.yaml", "model: mockllm/model\nepochs: 2\ntemperature: 0.2\nmax_samples: 3\n"
    )
    assert evalrun("eval", str(task), "--config", str(config), "--temperature", "0.3").code == 0
    log = only_log(tmp_path / "logs")
    assert len(log["samples"]) == 2
    assert log["header"]["task_spec"]["config"] == {"temperature": 0.3, "max_tokens": 5}
    assert log["header"]["run_config"]["max_samples"] == 3

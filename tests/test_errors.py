"""Malformed task files: exit status 2, one line `file:line:col: message`, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import one_error_line, only_log

DATA = '{"id": 1, "input": "What is 2+2?", "target": "4", "topic": "math"}\n'
BOMB = (
    "dataset: {path: d.jsonl}\nmetadata:\n"
    + "\n".join(
        ["  a: &a [x, x, x, x, x, x, x, x, x, x]"]
        + [
            f"  {n}: &{n} [" + ", ".join([f"*{p}"] * 10) + "]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ]
    )
    + "\n"
)

CASES = {
    "bad_yaml": ("dataset:\n  path: d.jsonl\n solver: [x\n", ":3:2: invalid YAML"),
    "unknown_key": (
        "dataset: {path: d.jsonl}\nscorers: [exact]\n",
        ":2:1: unknown key `scorers`; did you mean `scorer`?",
    ),
    "unknown_nested_key": (
        "dataset:\n  path: d.jsonl\n  feilds: {input: q}\n",
        ":3:3: unknown key `feilds`; did you mean `fields`?",
    ),
    "wrong_type": ("dataset: {path: d.jsonl}\nepochs: many\n", ":2:9: epochs must be a count"),
    "wrong_type_nested": (
        "dataset: {path: d.jsonl}\nconfig:\n  temperature: hot\n",
        ":3:16: config.temperature: input should be a valid number",
    ),
    "missing_dataset": ("name: x\nscorer: [exact]\n", ":1:1: missing required key `dataset`"),
    "missing_dataset_file": ("dataset: {path: nope.jsonl}\n", ":1:17: dataset file not found"),
    "missing_column": (
        "dataset:\n  path: d.jsonl\n  fields: {input: question}\n",
        "d.jsonl:1: row 1: no column `question` for input",
    ),
    "bad_regex": (
        "dataset: {path: d.jsonl}\nscorer:\n  - pattern: {pattern: '(\\d+'}\n",
        ":3:24: pattern: invalid regex",
    ),
    "unknown_scorer": (
        "dataset: {path: d.jsonl}\nscorer:\n  - exactt\n",
        ":3:5: unknown scorer `exactt`; did you mean `exact`?",
    ),
    "unknown_solver": (
        "dataset: {path: d.jsonl}\nsolver:\n  - genrate: {}\n",
        ":3:5: unknown solver `genrate`; did you mean `generate`?",
    ),
    "unknown_placeholder": (
        "dataset: {path: d.jsonl}\nsolver:\n  - prompt_template: '{{ inptu }}'\n",
        ":3:22: unknown placeholder `inptu` in template; did you mean `input`?",
    ),
    "unknown_metadata_placeholder": (
        "dataset: {path: d.jsonl}\nsolver:\n  - user_message: '{{ metadata.level }}'\n",
        ":3:19: unknown placeholder `metadata.level`: sample `1` has no metadata `level`",
    ),
    "bad_reducer": (
        "dataset: {path: d.jsonl}\nepochs: {count: 2, reducer: meen}\n",
        ":2:29: unknown reducer `meen`; did you mean `mean`?",
    ),
    "bad_metric": (
        "dataset: {path: d.jsonl}\nmetrics: [acuracy]\n",
        ":2:11: unknown metric `acuracy`; did you mean `accuracy`?",
    ),
    "bad_step_argument": (
        "dataset: {path: d.jsonl}\nscorer:\n  - match: {locaton: end}\n",
        ":3:13: unknown key `locaton`; did you mean `location`?",
    ),
    "bad_step_value": (
        "dataset: {path: d.jsonl}\nscorer:\n  - match: {location: middle}\n",
        ":3:23: location: input should be 'begin', 'end', 'any' or 'exact'",
    ),
    "bad_fail_on_error": (
        "dataset: {path: d.jsonl}\nfail_on_error: lots\n",
        ":2:16: fail_on_error must be true, false or a number",
    ),
    "negative_limit": (
        "dataset: {path: d.jsonl}\nlimits: {time: -1}\n",
        ":2:16: limits.time: input should be greater than 0",
    ),
    "path_and_samples": (
        "dataset:\n  path: d.jsonl\n  samples: [{input: a}]\n",
        ":2:3: dataset: give exactly one of `path` (a data file) or `samples`",
    ),
    "duplicate_ids": (
        "dataset:\n  samples:\n    - {id: 1, input: a}\n    - {id: 1, input: b}\n",
        ":4:7: row 2: duplicate sample id `1`",
    ),
    "duplicate_key": ("dataset: {path: d.jsonl}\nname: a\nname: b\n", ":3:1: duplicate key `name`"),
    "unknown_threshold": (
        "dataset: {path: d.jsonl}\nscorer: [exact]\nthresholds: {acuracy: 0.5}\n",
        ":3:14: thresholds: `acuracy` is not a metric of this task; did you mean `accuracy`?",
    ),
    "python_missing_module": (
        "dataset: {path: d.jsonl}\nscorer:\n  - python: 'no_such_module:score'\n",
        ":3:13: python: cannot import module `no_such_module`",
    ),
    "template_sandbox": (
        "dataset: {path: d.jsonl}\nsolver:\n  - user_message: '{{ input.__class__ }}'\n",
        ":3:19: template: attribute `__class__` is not allowed",
    ),
    "not_a_mapping": ("- just\n- a list\n", ":1:1: a task file must be a mapping"),
    "tasks_list_entry": (
        "tasks:\n  - dataset: {path: d.jsonl}\n  - dataset: {path: d.jsonl}\n    epoch: 2\n",
        ":4:5: unknown key `epoch`; did you mean `epochs`?",
    ),
    "bad_choices": (
        "dataset:\n  samples:\n    - {input: a, choices: 'nope'}\nsolver: [multiple_choice]\n",
        "row 1: choices must be a list",
    ),
    "yaml_alias_bomb": (
        BOMB,
        ":10:6: invalid YAML: its aliases expand to 1,234,567,9",
    ),
    "yaml_nested_too_deep": (
        "dataset: {path: d.jsonl}\nmetadata: {x: " + "[" * 500 + "]" * 500 + "}\n",
        ":2:113: invalid YAML: nested more than 100 levels deep",
    ),
    "template_unknown_filter": (
        "dataset: {path: d.jsonl}\nsolver:\n  - user_message: '{{ input|uper }}'\n",
        ":3:19: template: unknown filter `uper`; did you mean `upper`?",
    ),
    "template_unknown_test": (
        "dataset: {path: d.jsonl}\nsolver:\n  - user_message: '{% if input is nosuchtest %}x{% endif %}'\n",
        ":3:19: template: unknown test `nosuchtest`",
    ),
    "template_nested_too_deep": (
        "dataset: {path: d.jsonl}\nsolver:\n  - user_message: '{{ "
        + "(" * 80
        + "input"
        + ")" * 80
        + " }}'\n",
        ":3:19: template nested too deeply",
    ),
    "template_mutation": (
        "dataset: {path: d.jsonl}\nsolver:\n  - user_message: '{{ metadata.clear() }}'\n",
        ":3:19: template: method `clear` cannot be called in a template",
    ),
    "multiple_choice_without_choices": (
        "dataset: {path: d.jsonl}\nsolver:\n  - multiple_choice: {shuffle: true}\n",
        ":3:22: sample `1` has no choices for multiple_choice",
    ),
    "bootstrap_without_samples": (
        "dataset: {path: d.jsonl}\nmetrics: [{bootstrap_stderr: {num_samples: 0}}]\n",
        ":2:44: num_samples: input should be greater than or equal to 1",
    ),
    "pass_at_0": (
        "dataset: {path: d.jsonl}\nepochs: {count: 2, reducer: pass_at_0}\n",
        ":2:29: reducer `pass_at_0`: k must be at least 1",
    ),
    "pass_at_more_than_epochs": (
        "dataset: {path: d.jsonl}\nepochs: {count: 2, reducer: [mean, at_least_3]}\n",
        ":2:36: reducer `at_least_3` needs at least 3 epochs (the task runs 2)",
    ),
    "negative_tolerance": (
        "dataset: {path: d.jsonl}\nscorer:\n  - match: {numeric: true, tolerance: -1}\n",
        ":3:39: tolerance: input should be greater than or equal to 0",
    ),
    "model_argument_out_of_range": (
        "dataset: {path: d.jsonl}\nmodel: mockllm/model\nmodel_args: {error_rate: 2}\n",
        ":3:26: mockllm: model argument `error_rate` must be at most 1, not 2",
    ),
    "dataset_without_extension": (
        "dataset: {path: d}\n",
        "d: cannot tell the dataset's format: its name has no extension",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_task_file(case: str, evalrun, write, tmp_path: Path) -> None:
    text, expected = CASES[case]
    write("d.jsonl", DATA)
    write("d", DATA)
    task = write(f"{case}.yaml", text)
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    line = one_error_line(result)
    assert expected in line, line
    where = expected.split(":")[0] if expected.startswith("d") else f"{case}.yaml"
    assert where in line
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").iterdir()), (
        "no log for bad input"
    )


def test_bad_dataset_row_names_file_and_row(evalrun, write) -> None:
    write("rows.jsonl", '{"input": "a"}\n{"input": nope}\n')
    task = write("t.yaml", "dataset: {path: rows.jsonl}\n")
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 2
    assert (
        result.err.strip()
        == f"{task.parent / 'rows.jsonl'}:2:11: row 2: invalid JSON: Expecting value"
    )


def test_bad_csv_row(evalrun, write) -> None:
    write("rows.csv", "input,target\nhello,1\nworld,2,extra\n")
    task = write("t.yaml", "dataset: {path: rows.csv}\n")
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 2
    assert "rows.csv:3: row 3: more values than header columns" in result.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-T", "nope=1"], "-T nope: task `t` has no argument `nope`"),
        (["--limit", "5-2"], "--limit: limit must be N >= 1 or A-B"),
        (["--sample-id", "zzz"], "--sample-id: no sample with id `zzz`"),
        (["-m", "nonsense"], "model `nonsense` must be written `provider/name`"),
        (["-M", "bogus=1"], "mockllm: unknown model argument `bogus`"),
        (["-M", "novalue"], "-M expects key=value, got `novalue`"),
        (
            ["--fail-on-error", "maybe"],
            "--fail-on-error: fail_on_error must be true, false or a number",
        ),
        (["--epochs-reducer", "meen"], "unknown reducer `meen`"),
        (["--epochs-reducer", "avg"], "--epochs-reducer: unknown reducer `avg`"),
        (
            ["--epochs-reducer", "pass_at_2"],
            "--epochs-reducer: reducer `pass_at_2` needs at least 2",
        ),
        (["--temperature", "-5"], "--temperature: input should be greater than or equal to 0"),
        (["-M", "error_rate=2"], "mockllm: model argument `error_rate` must be at most 1, not 2"),
        (["-M", "latency=1e308"], "mockllm: model argument `latency` must be at most 3600"),
        (["-M", "latency=nan"], "mockllm: model argument `latency` must be a number from 0"),
        (["-M", "seed=1.5"], "mockllm: model argument `seed` must be a whole number"),
        (
            ["--max-prompt-chars", "0"],
            "--max-prompt-chars: input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_options(args: list[str], expected: str, evalrun, write) -> None:
    write("d.jsonl", DATA)
    task = write("t.yaml", "dataset: {path: d.jsonl}\nmodel: mockllm/model\n")
    result = evalrun("eval", str(task), *args)
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.err.strip().splitlines()
    assert expected in line
    assert "t.yaml" not in line  # a command-line mistake is not blamed on the task file


def test_missing_task_file(evalrun) -> None:
    result = evalrun("eval", "nowhere.yaml", "-m", "mockllm/model")
    assert result.code == 2
    assert result.err.strip() == "nowhere.yaml: file not found"


def test_no_model_anywhere(evalrun, write) -> None:
    write("d.jsonl", DATA)
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    result = evalrun("eval", str(task))
    assert result.code == 2
    assert "task `t` names no model: pass --model" in result.err


def test_bad_config_file(evalrun, write) -> None:
    write("d.jsonl", DATA)
    task = write("t.yaml", "dataset: {path: d.jsonl}\nmodel: mockllm/model\n")
    config = write("run.yaml", "max_samples: 4\nmax_sample: 5\n")
    result = evalrun("eval", str(task), "--config", str(config))
    assert result.code == 2
    assert (
        result.err.strip() == f"{config}:2:1: unknown key `max_sample`; did you mean `max_samples`?"
    )


def test_bad_responses_file(evalrun, write) -> None:
    write("d.jsonl", DATA)
    write("r.jsonl", '{"match": "(", "output": "x"}\n')
    task = write(
        "t.yaml",
        "dataset: {path: d.jsonl}\nmodel: mockllm/model\nmodel_args: {responses: r.jsonl}\n",
    )
    result = evalrun("eval", str(task))
    assert result.code == 2
    assert "r.jsonl:1: invalid regex '('" in result.err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"dataset: {path: d.jsonl}\nname: caf\xe9\n", ":2:10: not UTF-8 text (byte 0xe9)"),
        (
            b"dataset: {path: d.jsonl}\nname: a\x00b\n",
            ":2:8: invalid YAML: character U+0000 is not allowed",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", ":1:1: not UTF-8 text (byte 0x89)"),
        (b"\xef\xbb\xbfdataset: {path: d.jsonl}\nepochs: x\n", ":2:9: epochs must be a count"),
    ],
    ids=["latin-1", "nul", "binary", "bom"],
)
def test_task_files_that_are_not_text(
    content: bytes, expected: str, evalrun, write, tmp_path
) -> None:
    write("d.jsonl", DATA)
    task = tmp_path / "t.yaml"
    task.write_bytes(content)
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 2 and "Traceback" not in result.output
    assert result.err.startswith(f"{task}{expected}")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "short.csv",
            "input,target\nhello,1\nworld\n",
            "short.csv:3: row 3: 1 values for 2 header columns",
        ),
        (
            "twice.csv",
            "input,input\nhello,1\n",
            "twice.csv:1: the header names column `input` twice",
        ),
        (
            "latin.jsonl",
            '{"input": "a"}\n{"input": "caf\xe9"}\n',
            "latin.jsonl:2:15: row 2: not UTF-8 text (byte 0xe9)",
        ),
        ("latin.csv", "input\nok\ncaf\xe9\n", "latin.csv:3:4: row 3: not UTF-8 text (byte 0xe9)"),
        (
            "latin.json",
            '[{"input": "a"},\n {"input": "caf\xe9"}]',
            "latin.json:2:16: line 2: not UTF-8 text (byte 0xe9)",
        ),
        (
            "deep.jsonl",
            '{"input": "a", "m": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
            "deep.jsonl:1: row 1: JSON nested too deeply",
        ),
    ],
)
def test_bad_dataset_files(name: str, content: str, expected: str, evalrun, tmp_path) -> None:
    (tmp_path / name).write_bytes(content.encode("latin-1"))
    task = tmp_path / "t.yaml"
    task.write_text(f"dataset: {{path: {name}}}\n")
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 2 and "Traceback" not in result.output
    assert result.err.strip() == f"{tmp_path}/{expected}"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_byte_order_mark_is_accepted(fmt: str, evalrun, tmp_path) -> None:
    """Spreadsheet programs start UTF-8 files with a byte-order mark."""
    text = (
        "id,input,target\na1,hi,hi\n"
        if fmt == "csv"
        else '{"id": "a1", "input": "hi", "target": "hi"}\n'
    )
    (tmp_path / f"d.{fmt}").write_bytes(b"\xef\xbb\xbf" + text.encode())
    task = tmp_path / "t.yaml"
    task.write_text(f"dataset: {{path: d.{fmt}}}\nscorer: [exact]\n")
    result = evalrun("eval", str(task), "-m", "mockllm/echo")
    assert result.code == 0, result.output
    (sample,) = only_log(tmp_path / "logs")["samples"]
    assert sample["id"] == "a1" and sample["scores"]["exact"]["value"] == "C"


def test_a_module_that_exits_on_import(evalrun, write, tmp_path) -> None:
    write("d.jsonl", DATA)
    (tmp_path / "quits.py").write_text("import sys\nsys.exit(3)\n")
    task = write("t.yaml", "dataset: {path: d.jsonl}\nscorer:\n  - python: 'quits:score'\n")
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 2, result.output
    assert result.err.strip() == f"{task}:3:13: python: importing `quits` called sys.exit(3)"


@pytest.mark.parametrize(
    "command",
    [["eval"], ["eval", "--dry-run"], ["prompts"], ["estimate"], ["eval", "-m", "openai/gpt-4o"]],
)
def test_template_mistakes_are_found_by_every_command(command: list[str], evalrun, write) -> None:
    write("d.jsonl", DATA)
    task = write(
        "t.yaml",
        "dataset: {path: d.jsonl}\nsolver:\n  - user_message: '{{ input|nosuchfilter }}'\n",
    )
    result = evalrun(command[0], str(task), *command[1:])
    assert result.code == 2, result.output
    assert result.err.strip() == f"{task}:3:19: template: unknown filter `nosuchfilter`"

"""Templates are strict and sandboxed: no Python objects, files or environment."""

from __future__ import annotations

import re

import pytest

from evalrun.errors import InputError
from evalrun.template import Template

KNOWN = {"input", "metadata", "target"}


def test_renders_sample_fields() -> None:
    assert (
        Template("{{ input }} / {{ metadata.topic }}", KNOWN).render(
            {"input": "q", "metadata": {"topic": "t"}}
        )
        == "q / t"
    )


@pytest.mark.parametrize(
    "source",
    [
        "{{ input.__class__.__mro__ }}",
        "{{ input|attr('__class__') }}",
        "{{ input['__class__'] }}",
        "{{ metadata|map(attribute='__class__')|list }}",
        "{% include '/etc/passwd' %}",
        "{% import 'x' as y %}",
        "{{ range(10) }}",
        "{{ lipsum() }}",
        "{{ cycler }}",
        "{{ environ }}",
        "{{ metadata.clear() }}",
        "{{ input.format(input) }}",
        "{{ input|nosuchfilter }}",
        "{% if input is nosuchtest %}x{% endif %}",
        "{{ " + "(" * 80 + "input" + ")" * 80 + " }}",
    ],
)
def test_escapes_and_mistakes_are_refused_when_the_task_loads(source: str) -> None:
    """Refused by the constructor (when the task loads), not first met when a sample
    renders: no model is called for a task that cannot run."""
    with pytest.raises(InputError):
        Template(source, KNOWN)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'a' * 10**9 }}", "repeating 1 items 1,000,000,000 times is past the limit"),
        ("{{ input|center(10**9) }}", "the number 1,000,000,000 is past the limit"),
        ("{{ '%999999999s' % input }}", "the number 999,999,999 is past the limit"),
        ("{{ 10 ** 100000 }}", "10 ** 100000 is too large a number"),
        ("{% for c in 'abcdefghijkl' %}{{ 'x' * 1000000 }}{% endfor %}", "longer than 10,000,000"),
    ],
)
def test_rendered_text_is_bounded(source: str, message: str) -> None:
    template = Template(source, KNOWN)
    with pytest.raises(InputError, match=re.escape(message)):
        template.render({"input": "q", "metadata": {}, "target": "t"})


def test_unknown_placeholder_names_the_closest() -> None:
    with pytest.raises(InputError, match=r"unknown placeholder `inpt`.*did you mean `input`"):
        Template("{{ inpt }}", KNOWN)


def test_missing_metadata_is_found_before_rendering() -> None:
    template = Template("{{ metadata.level }} {{ metadata['size'] }}", KNOWN)
    assert template.missing_metadata({"level": 1}) == "size"
    assert template.missing_metadata({"level": 1, "size": 2}) is None


def test_an_oversized_prompt_fails_its_sample_and_the_log_survives(
    evalrun, write, tmp_path
) -> None:
    from conftest import only_log, write_jsonl

    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": "abc" * (10 * i + 1)} for i in range(4)])
    task = write(
        "t.yaml",
        "dataset: {path: d.jsonl}\nsolver: [{prompt_template: '{{ input }}{{ input }}{{ input }}{{ input }}'}, generate]\n"
        "fail_on_error: false\n",
    )
    result = evalrun("eval", str(task), "-m", "mockllm/echo", "--max-prompt-chars", "200")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    errors = {s["id"]: s["error"] for s in log["samples"]}
    assert errors[0] is None and errors[1] is None  # 12 and 132 characters
    for i in (2, 3):  # 252 and 372: over the bound, each fails alone, before any model call
        assert errors[i]["message"].endswith(
            "template: the rendered text is longer than 200 characters (--max-prompt-chars)"
        )
    assert log["header"]["run_config"]["max_prompt_chars"] == 200
    assert log["stats"]["usage"]["calls"] == 2

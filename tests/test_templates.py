"""Templates are strict and sandboxed: no Python objects, files or environment."""

from __future__ import annotations

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
        "{% include '/etc/passwd' %}",
        "{% import 'x' as y %}",
        "{{ range(10) }}",
        "{{ lipsum() }}",
        "{{ cycler }}",
        "{{ environ }}",
        "{{ metadata.clear() }}",
    ],
)
def test_escapes_are_refused(source: str) -> None:
    with pytest.raises(InputError):
        Template(source, KNOWN).render({"input": "q", "metadata": {"a": 1}, "target": "t"})


def test_unknown_placeholder_names_the_closest() -> None:
    with pytest.raises(InputError, match=r"unknown placeholder `inpt`.*did you mean `input`"):
        Template("{{ inpt }}", KNOWN)


def test_missing_metadata_is_found_before_rendering() -> None:
    template = Template("{{ metadata.level }} {{ metadata['size'] }}", KNOWN)
    assert template.missing_metadata({"level": 1}) == "size"
    assert template.missing_metadata({"level": 1, "size": 2}) is None

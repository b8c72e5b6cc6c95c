"""Turning command-line values into run-config options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: option names whose text is a comma-separated list
_LISTS = {"epochs_reducer", "sample_id", "tags", "stop_seqs"}
#: generation settings, which the run config keeps under `generate`
_GENERATE = {"temperature", "max_tokens", "top_p", "top_k", "seed", "stop_seqs"}
_NOT_OPTIONS = {
    "tasks",
    "model_arg",
    "task_arg",
    "model_args",
    "task_args",
    "metadata",
    "no_fail_on_error",
    "config",
}


def collect_options(values: dict[str, Any]) -> dict[str, Any]:
    """The options the user actually gave (None and False mean "not given")."""
    options: dict[str, Any] = {}
    generate: dict[str, Any] = {}
    for key, value in values.items():
        if key in _NOT_OPTIONS or value is None or value is False or value == []:
            continue
        if key in _LISTS and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if key in _GENERATE:
            generate[key] = value
        else:
            options[key] = value
    if generate:
        options["generate"] = generate
    return options


def parse_pairs(file: Path | None, pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """`key=value` pairs (values read as YAML scalars: 3, 0.5, true) over a YAML file's."""
    import yaml

    from evalrun.errors import InputError

    out: dict[str, Any] = {}
    if file is not None:
        from evalrun.spec import load_yaml

        data, source = load_yaml(file)
        if not isinstance(data, dict):
            raise source.error((), f"{flag} file must be a mapping of key: value")
        out.update(data)
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{flag} expects key=value, got `{pair}`")
        try:
            value = yaml.safe_load(text) if text else ""
        except yaml.YAMLError:
            value = text
        out[key.strip()] = (
            value if isinstance(value, str | int | float | bool) or value is None else text
        )
    return out

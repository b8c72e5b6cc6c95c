"""`configs/models.yaml`: model aliases and per-model settings.

    models:
      smollm2:
        model: openai-compatible/smollm2     # what litellm (or mockllm) is asked for
        base_url: http://127.0.0.1:8080/v1
        api_key_env: null                    # the name of the variable holding the key
        max_connections: 4
        prices: {input: 0.0, output: 0.0}    # US dollars per million tokens
        config: {temperature: 0.0}           # generation defaults, under the task's own
        model_args: {}                       # provider options passed through (or `args:`)

`-m smollm2` then means that model with those settings (and so does `grader: smollm2`
on a model-graded scorer). Relative paths in `model_args` (a mock's `responses` file)
resolve against the models file's folder. The file is `--models FILE`, else
`EVALRUN_MODELS`, else `configs/models.yaml` when it exists.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from evalrun.model import GenerateConfig, resolve_path_args
from evalrun.spec._errors import explain
from evalrun.spec._yaml import load_yaml
from evalrun.strict import StrictModel


class Prices(StrictModel):
    input: float = Field(ge=0)
    output: float = Field(ge=0)


class ModelAlias(StrictModel):
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    max_connections: int | None = Field(default=None, ge=1)
    prices: Prices | None = None
    config: GenerateConfig | None = None
    #: provider options, as a task's `model_args` (written `model_args:` or `args:`)
    args: dict[str, Any] = Field(default_factory=dict, alias="model_args")

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, data: Any) -> Any:
        if isinstance(data, dict) and "args" in data and "model_args" in data:
            raise ValueError("give `model_args` or `args`, not both (they are the same)")
        return data

    def model_args(self, base: Path) -> dict[str, Any]:
        """The alias as model arguments (what `-M` would say)."""
        args: dict[str, Any] = dict(self.args)
        for key in ("base_url", "api_key_env", "max_connections"):
            value = getattr(self, key)
            if value is not None:
                args[key] = value
        if self.prices is not None:
            args["prices"] = self.prices.model_dump()
        if self.config is not None:
            args["config"] = self.config.settings()
        return resolve_path_args(self.model, args, base)


class ModelsFile(StrictModel):
    models: dict[str, ModelAlias] = Field(default_factory=dict)


def models_file_path(given: str | None) -> Path | None:
    if given:
        return Path(given)
    if os.environ.get("EVALRUN_MODELS"):
        return Path(os.environ["EVALRUN_MODELS"])
    default = Path("configs") / "models.yaml"
    return default if default.is_file() else None


def load_aliases(path: Path | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """alias -> (provider model, model arguments), from a models file (errors at file:line)."""
    if path is None:
        return {}
    data, source = load_yaml(path)
    try:
        parsed = ModelsFile.model_validate(data or {})
    except ValidationError as exc:
        raise explain(exc, source) from None
    base = path.parent.resolve()
    return {name: (alias.model, alias.model_args(base)) for name, alias in parsed.models.items()}

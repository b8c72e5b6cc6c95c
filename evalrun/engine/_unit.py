"""A unit of work: one task with one model, and its plan of sample x epochs."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalrun import __version__
from evalrun.config import RunConfig
from evalrun.dataset import Sample, select
from evalrun.errors import InputError
from evalrun.model import resolve_path_args
from evalrun.spec import Task

if TYPE_CHECKING:
    from evalrun.engine._replay import Replay

_SECRET_WORDS = ("key", "token", "secret", "password", "authorization")


@dataclass
class Unit:
    """One task with one model: what runs, and (for eval-retry) what it resumes."""

    task: Task
    #: the model as the user named it (an alias, or `provider/name`)
    model: str
    model_args: dict[str, Any]
    samples: list[Sample]
    epochs: int
    #: the options it runs under (each resumed log keeps its own)
    config: RunConfig = field(default_factory=RunConfig)
    #: what the provider is asked for (the alias resolved); defaults to `model`
    provider_model: str = ""
    #: the identity of the evaluation, kept by every eval-retry of it
    eval_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: the log this unit resumes: its finished samples are copied, the rest run again
    previous: Path | None = None
    retries: int = 0
    #: set when the unit rescores a log: its samples replay the log's (`evalrun score`)
    replay: Replay | None = None

    def __post_init__(self) -> None:
        self.provider_model = self.provider_model or self.model

    @property
    def total(self) -> int:
        return len(self.samples) * self.epochs

    def log_path(self, run_id: str, created: datetime) -> Path:
        run = self.config
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{self.task.name}_{self.model}").strip("-")
        return run.log_path() / f"{created:%Y-%m-%dT%H-%M-%S}_{slug}_{run_id[:8]}.{run.log_format}"

    def header(self, run_id: str, created: datetime) -> dict[str, Any]:
        task, run = self.task, self.config
        header = {
            "run_id": run_id,
            "eval_id": self.eval_id,
            "created": created.isoformat(timespec="seconds"),
            "started_at": created.timestamp(),
            "evalrun_version": __version__,
            "task": task.name,
            "task_file": str(task.file) if task.file else None,
            "base_dir": str(task.base_dir),
            "task_spec": task.spec.model_dump(mode="json", exclude_none=True),
            "model": self.model,
            "provider_model": self.provider_model,
            "model_args": redact(self.model_args),
            "run_config": run.model_dump(mode="json", exclude_none=True),
            "samples": len(self.samples),
            "epochs": self.epochs,
            "retry_of": str(self.previous) if self.previous else None,
            "retries": self.retries,
            "job": run.job,
            "tags": [*task.spec.tags, *run.tags],
            "metadata": {**task.spec.metadata, **run.metadata},
        }
        if self.replay is not None:
            header["rescored_from"] = str(self.replay.source)
        return header


def models_for(task: Task, run: RunConfig) -> list[str]:
    """`--model`, else `EVALRUN_MODEL`, else the task's own model."""
    if run.model:
        return list(run.model)
    env = os.environ.get("EVALRUN_MODEL")
    if env:
        return [env]
    if task.spec.model:
        return [task.spec.model]
    if task.spec.models:
        return list(task.spec.models)
    raise InputError(
        f"task `{task.name}` names no model: pass --model (e.g. -m mockllm/model) or set EVALRUN_MODEL"
    )


def model_args_for(
    task: Task, model: str, run: RunConfig, alias: tuple[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The alias's settings, under the task's `model_args` (when its own model runs), under
    the command line's `-M`."""
    provider_model = alias[0] if alias else model
    args: dict[str, Any] = dict(alias[1]) if alias else {}
    if model == task.spec.model or model in task.spec.models:
        args.update(resolve_path_args(provider_model, task.spec.model_args, task.base_dir))
    args.update(resolve_path_args(provider_model, run.model_args, Path.cwd()))
    if run.model_base_url:
        args["base_url"] = run.model_base_url
    return args


def plan(
    tasks: list[Task], run: RunConfig, aliases: dict[str, tuple[str, dict[str, Any]]] | None = None
) -> list[Unit]:
    """Every task x model, each with its selected samples; aliases resolved."""
    aliases = aliases or {}
    units = []
    for task in tasks:
        samples = select(task.samples, run.limit, run.sample_id)
        if not samples:
            raise InputError(f"task `{task.name}`: --limit/--sample-id select no samples")
        for model in models_for(task, run):
            alias = aliases.get(model)
            args = model_args_for(task, model, run, alias)
            provider_model = alias[0] if alias else model
            units.append(
                Unit(
                    task,
                    model,
                    args,
                    samples,
                    task.spec.epochs.count,
                    config=run,
                    provider_model=provider_model,
                )
            )
    return units


def redact(args: dict[str, Any]) -> dict[str, Any]:
    """Model arguments fit for a log: anything that looks like a secret is masked."""
    return {k: "***" if any(w in k.lower() for w in _SECRET_WORDS) else v for k, v in args.items()}

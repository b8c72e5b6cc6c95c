"""`evalrun eval-set`: `eval`'s options, and those of a set (retries, a dirty log dir).

The command takes every option of `eval` (its signature is `eval`'s, with the set's
options added), so the two never drift apart; see `evalrun._set` for what a set does.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from evalrun.cli import _options as o
from evalrun.cli._app import app, guarded
from evalrun.cli._eval import eval_command, run_tasks

RetryAttempts = Annotated[
    int | None,
    o.Opt(metavar="N", help=o.default("Retries of a unit that ends in error.", "10")),
]
RetryWait = Annotated[
    float | None,
    o.Opt(
        metavar="SECONDS",
        help=o.default("Wait before a unit's first retry; it doubles each time.", "30"),
    ),
]
RetryConnections = Annotated[
    float | None,
    o.Opt(
        metavar="FACTOR",
        help=o.default("Factor on a retried unit's connections each time (0 < FACTOR <= 1).", "1"),
    ),
]
AllowDirty = Annotated[
    bool | None,
    o.Opt("--log-dir-allow-dirty", help="Run beside logs that belong to no unit of this set."),
]
Executor = Annotated[
    str | None,
    o.Opt(
        metavar="local|ray",
        help=o.default("Where units run: this process, or a Ray cluster.", "local"),
    ),
]
RayAddress = Annotated[
    str | None,
    o.Opt(
        "--ray-address",
        metavar="ADDRESS",
        help=o.default(
            "The Ray cluster of --executor ray (host:port of its head).",
            "RAY_ADDRESS, else a local instance",
        ),
    ),
]
SetMaxTasks = Annotated[
    int | None, o.Opt(metavar="N", help=o.default("Task x model units in flight.", "4"))
]

_EXTRA = {
    "retry_attempts": RetryAttempts,
    "retry_wait": RetryWait,
    "retry_connections": RetryConnections,
    "log_dir_allow_dirty": AllowDirty,
    "executor": Executor,
    "ray_address": RayAddress,
}


def eval_set_command(**given: Any) -> None:
    """Run every task x model of a set in one log dir until all are done.

    Running the same command again skips units whose latest log is complete and
    successful, resumes the others (only their unfinished and failed samples run), and
    runs new ones; a unit that ends in error is retried at once (--retry-attempts). Exit
    0 only when every unit is complete, successful and at or above its thresholds.
    """
    run_tasks("eval_set", given)


def _signature() -> inspect.Signature:
    """`eval`'s parameters, with the set's (and the set's default for --max-tasks)."""
    parameters = []
    for parameter in inspect.signature(eval_command, eval_str=True).parameters.values():
        if parameter.name == "max_tasks":
            parameter = parameter.replace(annotation=SetMaxTasks)
        parameters.append(parameter)
        if parameter.name == "max_connections":
            parameters += [
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind
                )
                for name, kind in _EXTRA.items()
            ]
    return inspect.Signature(
        [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.name != "tasks" else p
            for p in parameters
        ]
    )


eval_set_command.__signature__ = _signature()  # type: ignore[attr-defined]
app.command("eval-set", short_help="Run a set of tasks x models until all are done.")(
    guarded(eval_set_command)
)

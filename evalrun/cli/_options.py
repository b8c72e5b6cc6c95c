"""Options shared by commands, each declared once as an `Annotated` type, so every
command spells, types and documents it the same way (`-m` reads alike in `eval`,
`prompts` and `estimate`).

Conventions: a value's metavar says what it is (`MODEL`, `KEY=VALUE`, `N`, `SECONDS`,
`DIR`, `FILE`); a default is shown as `[default: ...]`, written in the help when it
depends on the provider or the task (the option's own default is `None`, "not given",
so that a `--config` file's value or a log's stored one is not overridden).

Commands pass the values as given to `RunConfig.from_options`, which is the one place
they are read: `key=value` lists, comma-separated lists, `--no-fail-on-error`, limits,
durations and flat generation settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Opt = typer.Option


def default(text: str, value: str) -> str:
    """Help text with its default, written as typer writes one it knows."""
    return f"{text}  [default: {value}]"


TASK_DEFAULT = "the task's, else "

Tasks = Annotated[
    list[str],
    typer.Argument(metavar="TASK", help="Task files, folders or globs.", show_default=False),
]
Logs = Annotated[
    list[Path], typer.Argument(metavar="LOG", help="Logs to finish.", show_default=False)
]
ModelOption = Annotated[
    list[str] | None,
    Opt(
        "-m",
        "--model",
        metavar="MODEL",
        help=default(
            "provider/name (openai/gpt-4o, mockllm/model) or an alias from the models file; "
            "repeatable.",
            "EVALRUN_MODEL, else the task's model",
        ),
    ),
]
ModelArgs = Annotated[
    list[str] | None,
    Opt(
        "-M",
        metavar="KEY=VALUE",
        help="Model argument (values read as YAML: 3, 0.5, true); repeatable.",
    ),
]
ModelArgsFile = Annotated[
    Path | None,
    Opt("--model-args", metavar="FILE", help="YAML file of model arguments (-M wins)."),
]
ModelBaseUrl = Annotated[
    str | None, Opt("--model-base-url", metavar="URL", help="Base URL of the model API.")
]
TaskArgs = Annotated[
    list[str] | None,
    Opt("-T", metavar="NAME=VALUE", help="Task argument (overrides the task's); repeatable."),
]
TaskArgsFile = Annotated[
    Path | None,
    Opt("--task-args", metavar="FILE", help="YAML file of task arguments (-T wins)."),
]
Models = Annotated[
    str | None,
    Opt(
        "--models",
        metavar="FILE",
        help=default("Model aliases file.", "EVALRUN_MODELS, else configs/models.yaml"),
    ),
]
Epochs = Annotated[
    int | None,
    Opt(metavar="N", help=default("Epochs: times each sample runs.", TASK_DEFAULT + "1")),
]
EpochsReducer = Annotated[
    str | None,
    Opt(
        metavar="NAME,...",
        help=default(
            "How epochs' scores combine: mean, median, mode, max, min, pass_at_K, at_least_K.",
            TASK_DEFAULT + "mean",
        ),
    ),
]
LIMIT_HELP = "The first N samples, or samples A to B (1-based, inclusive)."
Limit = Annotated[str | None, Opt(metavar="N|A-B", help=LIMIT_HELP)]
SampleId = Annotated[str | None, Opt(metavar="ID,...", help="Only the samples with these ids.")]
MaxSamples = Annotated[
    int | None,
    Opt(metavar="N", help=default("Samples in flight per task.", "max connections")),
]
MaxTasks = Annotated[
    int | None, Opt(metavar="N", help=default("Task x model units in flight.", "1"))
]
MaxConnections = Annotated[
    int | None,
    Opt(
        metavar="N",
        help=default(
            "Concurrent requests per model endpoint.",
            "the model's max_connections (models file or -M), else 10; mockllm 100",
        ),
    ),
]
FailOnError = Annotated[
    str | None,
    Opt(
        metavar="VALUE",
        help=default(
            "Fail the task on sample errors: true, false, more than a share 0<x<1, "
            "or more than a count x>=1.",
            TASK_DEFAULT + "true",
        ),
    ),
]
NoFailOnError = Annotated[
    bool | None, Opt("--no-fail-on-error", help="Never fail a task on sample errors.")
]
RetryOnError = Annotated[
    int | None, Opt(metavar="N", help=default("Retry an errored sample up to N times.", "0"))
]
MaxRetries = Annotated[
    int | None,
    Opt(
        metavar="N",
        help=default("Retries of a transient model error per request.", "5; mockllm 0"),
    ),
]
Timeout = Annotated[
    float | None,
    Opt(
        metavar="SECONDS",
        help=default("Time a model request may take; then it is retried.", "no limit"),
    ),
]
TimeLimit = Annotated[
    float | None,
    Opt(metavar="SECONDS", help=default("Time per sample.", TASK_DEFAULT + "no limit")),
]
TokenLimit = Annotated[
    int | None,
    Opt(metavar="N", help=default("Tokens per sample.", TASK_DEFAULT + "no limit")),
]
MessageLimit = Annotated[
    int | None,
    Opt(metavar="N", help=default("Messages per sample.", TASK_DEFAULT + "no limit")),
]
MaxPromptChars = Annotated[
    int | None,
    Opt(metavar="N", help=default("Characters a rendered template may hold.", "10000000")),
]
#: generation settings: the task's, else the provider's default
Temperature = Annotated[float | None, Opt(metavar="T", help="Sampling temperature.")]
MaxTokens = Annotated[int | None, Opt(metavar="N", help="Most tokens per answer.")]
TopP = Annotated[float | None, Opt(metavar="P", help="Nucleus sampling.")]
TopK = Annotated[int | None, Opt(metavar="K", help="Top-k sampling.")]
Seed = Annotated[int | None, Opt(metavar="N", help="Generation seed.")]
StopSeqs = Annotated[str | None, Opt(metavar="SEQ,...", help="Stop sequences.")]
Cache = Annotated[
    bool | None,
    Opt("--cache/--no-cache", help=default("Reuse the answers of identical model calls.", "off")),
]
CacheDir = Annotated[
    str | None,
    Opt(metavar="DIR", help=default("Where cached answers live.", "~/.cache/evalrun/responses")),
]
CacheExpiry = Annotated[
    str | None,
    Opt(
        metavar="DURATION",
        help=default("How long a cached answer stays valid: 90, 30m, 12h, 7d.", "forever"),
    ),
]
LogDir = Annotated[
    str | None,
    Opt(metavar="DIR", help=default("Where logs go.", "EVALRUN_LOG_DIR, else ./logs")),
]
RetryLogDir = Annotated[
    str | None,
    Opt(metavar="DIR", help=default("Where the new logs go.", "beside the old ones")),
]
LogFormat = Annotated[
    str | None, Opt(metavar="eval|json", help=default("Log file format.", "eval"))
]
Display = Annotated[
    str | None,
    Opt(
        metavar="full|plain|none",
        help=default("Progress display.", "full on a terminal, else plain"),
    ),
]
Heartbeat = Annotated[
    float | None,
    Opt(
        metavar="SECONDS",
        help=default("Seconds between progress lines with --display plain.", "5"),
    ),
]
Tags = Annotated[str | None, Opt(metavar="TAG,...", help="Tags recorded in the log.")]
Metadata = Annotated[
    list[str] | None,
    Opt(metavar="KEY=VALUE", help="Run metadata recorded in the log; repeatable."),
]
Job = Annotated[str | None, Opt(metavar="NAME", help="Group runs under a job name.")]
FailUnder = Annotated[
    list[str] | None,
    Opt(
        metavar="METRIC=VALUE",
        help="Exit 1 when a complete run's metric is below VALUE: accuracy=0.8, or "
        "scorer.metric=0.8; repeatable (with the task's own thresholds).",
    ),
]
Junit = Annotated[
    Path | None,
    Opt(
        "--junit",
        metavar="FILE",
        help="Write a JUnit XML report: a test case per task x model, failed unless it "
        "passes the CI gate (the exit status's rule).",
    ),
]
SummaryJson = Annotated[
    Path | None,
    Opt(
        "--summary-json",
        metavar="FILE",
        help="Write the final summary as JSON: each task x model's status, failure, counts, "
        "scores, thresholds, usage and log; whether the run passed; its exit status.",
    ),
]
DryRun = Annotated[bool | None, Opt("--dry-run", help="Load, validate and plan; call no model.")]
ConfigFile = Annotated[
    Path | None,
    Opt("--config", metavar="FILE", help="YAML file of run options (the command line wins)."),
]

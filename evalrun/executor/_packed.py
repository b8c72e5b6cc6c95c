"""A unit as plain data, to run in another process (a Ray worker), and the marker by
which a unit's Ray task finds the log an earlier, killed attempt of it left.

A built `Task` does not travel (its scorers and solvers are closures); what travels is
what a log's header stores to run a unit again (the resolved task spec, its base dir and
file, the model and the run config), with the dataset's rows and the model's arguments
unmasked. The worker rebuilds the unit with `api.unit_from_header`: eval-retry's path.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalrun.engine import Unit

#: where each unit's Ray task records the log it writes (hidden: no log, no set's file)
MARKERS = ".evalrun-ray"


def pack(
    unit: Unit,
    *,
    log_dir: Path,
    given: dict[str, Any],
    aliases: dict[str, tuple[str, dict[str, Any]]],
    token: str,
) -> dict[str, Any]:
    """`unit` for another process, its paths absolute (`log_dir` already is); `given`
    are the set's command-line options, for a resume."""
    header = unit.header(uuid.uuid4().hex, datetime.now(UTC))
    header["run_config"] = {**header["run_config"], "log_dir": str(log_dir)}
    # every path by itself (the files it names, the log it resumes): a worker's working
    # folder is not the driver's
    header["base_dir"] = str(Path(header["base_dir"]).resolve())
    for name in ("task_file", "retry_of"):
        if header[name]:
            header[name] = str(Path(header[name]).resolve())
    return {
        "header": header,
        "model_args": unit.model_args,
        "samples": [sample.to_dict() for sample in unit.samples],
        "given": given,
        "aliases": aliases,
        "log_dir": str(log_dir),
        "token": token,
    }


def unpack(packed: dict[str, Any]) -> Unit:
    """The unit `pack` sent, rebuilt."""
    from evalrun import api
    from evalrun.dataset import Sample
    from evalrun.log import EvalHeader

    header = EvalHeader.model_validate(packed["header"])
    rows = [Sample.from_dict(row) for row in packed["samples"]]
    return api.unit_from_header(
        header,
        {},
        lambda _spec, _run: rows,
        log_dir=packed["log_dir"],
        previous=Path(header.retry_of) if header.retry_of else None,
        retries=header.retries,
        model_args=packed["model_args"],
    )


class Marker:
    """`<log dir>/.evalrun-ray/<token>.json`: the log a unit's Ray task is writing, and
    the worker's process id (written as the log starts, replaced atomically)."""

    def __init__(self, log_dir: Path, token: str) -> None:
        #: the unit's Ray task (all its attempts), and the owner of their connection slots
        self.token = token
        self.path = log_dir / MARKERS / f"{token}.json"

    def write(self, log: Path) -> None:
        data = {"log": str(log), "pid": os.getpid()}
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(data))
        partial.replace(self.path)

    def read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def log(self) -> Path | None:
        data = self.read()
        return Path(data["log"]) if data and data.get("log") else None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

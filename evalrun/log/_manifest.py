"""An eval-set's manifest: which units (task x model) the set holds, and the latest log of
each, kept in the log dir so that running the same command again does only what is left.

A unit is named by a key: a hash of its resolved task spec, its model and the model's
arguments, computed the same way from a unit about to run and from a log's header. A
changed task (another resolved spec) is another unit. The manifest remembers each
unit's latest log with its size and modification time, so a re-run of a finished set
trusts a log it has seen finish without opening it again; a log it does not know (a run
killed before the manifest was written) is read, and its key computed from its header.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = ".evalrun-set.json"


def unit_key(task_spec: dict[str, Any], model: str, model_args: dict[str, Any]) -> str:
    """The identity of a unit: its resolved spec (as the log header records it), model
    and (redacted) model arguments."""
    canonical = json.dumps(
        {"task_spec": task_spec, "model": model, "model_args": model_args},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def header_key(header: Any) -> str:
    return unit_key(header.task_spec, header.model, header.model_args)


@dataclass
class Seen:
    """A unit's latest log as the manifest last saw it: its name, size, modification time
    and creation time, and (when it had finished complete and successful) its result."""

    log: str
    size: int
    mtime_ns: int
    #: when its run started (the header's `started_at`): the newest log of a unit wins
    started_at: float
    result: dict[str, Any] | None = None

    def unchanged(self, folder: Path) -> bool:
        try:
            stat = (folder / self.log).stat()
        except OSError:
            return False
        return stat.st_size == self.size and stat.st_mtime_ns == self.mtime_ns


@dataclass
class Manifest:
    folder: Path
    name: str
    #: key -> {"task", "model"} for every unit of the set
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: key -> the unit's latest log
    logs: dict[str, Seen] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path, name: str) -> Manifest:
        """The manifest in `folder` (an empty one when there is none, or it is unreadable:
        it caches what the logs say, it is never their only copy)."""
        manifest = cls(folder, name)
        try:
            data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
            manifest.logs = {k: Seen(**v) for k, v in data.get("logs", {}).items()}
        except (OSError, ValueError, TypeError):
            pass
        return manifest

    def saw(self, key: str, path: Path, started_at: float, result: dict[str, Any] | None) -> None:
        try:
            stat = path.stat()
        except OSError:
            return
        self.logs[key] = Seen(path.name, stat.st_size, stat.st_mtime_ns, started_at, result)

    def save(self) -> None:
        """Write it atomically (a temporary file renamed over the old one)."""
        data = {
            "name": self.name,
            "units": self.units,
            "logs": {k: vars(v) for k, v in self.logs.items() if k in self.units},
        }
        temporary = self.folder / f".{MANIFEST_NAME}.{os.getpid()}"
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.folder / MANIFEST_NAME)

"""What a Ray worker runs: units of a set, into the set's log dir.

A worker is a `Runner` actor: a process started once for the set, with evalrun already
imported, that runs the units the driver hands it one after another, several at once
(a thread each, as many as the CPUs it holds). A unit's call may run more than once:
when the worker dies, Ray restarts it and runs its calls again (`max_task_retries`).
The unit's marker then names the log the dead attempt was writing, and the new attempt
resumes that log through eval-retry's path: its finished samples are copied, the rest
run, and every (sample, epoch) is in the new log once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from evalrun.engine import NullReporter, RunControl, Unit
from evalrun.executor._limits import SharedLimit
from evalrun.executor._packed import Marker, unpack

#: seconds between a worker's looks at whether the driver stopped the set
STOP_POLL = 0.25


def run_packed(packed: dict[str, Any], coordinator: Any, secrets: dict[str, str]) -> str:
    """Run the unit `packed` describes (resuming its killed attempt's log, if any) and
    return its log's path; the driver reads the result from the log. `secrets`: the API
    keys the driver checked, by variable, set in this worker's environment (its process
    serves this set's job only) and masked in all it writes."""
    import os

    import ray

    from evalrun import api
    from evalrun.log import read_summary
    from evalrun.secrets import remember

    for name, value in secrets.items():
        os.environ.setdefault(name, value)
        remember(value)

    log_dir = Path(packed["log_dir"])
    marker = Marker(log_dir, packed["token"])
    ray.get(coordinator.forget.remote(packed["token"]))  # slots a dead attempt held
    earlier = marker.log()
    unit: Unit | None = None
    if earlier is not None and earlier.exists():
        summary = read_summary(earlier)
        if summary.status != "started":  # it finished; its worker died before returning
            return str(earlier)
        unit = api._resume_unit(summary, packed["given"], packed["model_args"])
    unit = unit or unpack(packed)
    owner = f"{packed['token']}/{uuid.uuid4().hex[:8]}"
    limits: list[SharedLimit] = []

    def shared(endpoint: str, total: int) -> SharedLimit:
        limits.append(SharedLimit(coordinator, endpoint, total, owner))
        return limits[-1]

    pool = api._models([unit], api._pool(unit.config, packed["aliases"], shared))
    control = DriverStop(coordinator=coordinator)
    try:
        (result,) = api._run([unit], pool, _Marking(marker), control, True, 1)
    finally:
        for limit in limits:  # the slots the unit leased, back for the others
            limit.close()
    return str(result.log_path)


class Runner:
    """A set's worker process on the cluster (a threaded Ray actor): `run` is one unit.
    Its process serves this set's job only (the API keys `run` sets in its environment
    are the set's)."""

    def __init__(self) -> None:
        # what every unit needs, imported once, before the driver's first unit arrives
        import evalrun.api
        import evalrun.log
        import evalrun.model
        import evalrun.survey._interview  # noqa: F401  (registered before threads look them up)

    def run(self, packed: dict[str, Any], coordinator: Any, secrets: dict[str, str]) -> str:
        return run_packed(packed, coordinator, secrets)

    def probe(self, log_dir: str, name: str) -> None:
        probe(log_dir, name)


def probe(log_dir: str, name: str) -> None:
    """Write a file into the log dir, as a unit's log will be (the driver then checks it
    sees the file, and removes it)."""
    (Path(log_dir) / name).write_text("evalrun probe\n")


@dataclass
class DriverStop(RunControl):
    """A worker's run control: the set is stopped by its driver (Ctrl-C there), through
    the coordinator, not by signals to the worker."""

    coordinator: Any = None

    async def watch_signals(self) -> None:
        while True:
            reason = await self.coordinator.stopped.remote()
            if reason:
                self.cancel(reason)
                return
            await anyio.sleep(STOP_POLL)


class _Marking(NullReporter):
    """Records the unit's log in its marker as the log starts (a `NullReporter`
    otherwise, so that the engine makes no call per sample)."""

    def __init__(self, marker: Marker) -> None:
        self._marker = marker

    def unit_started(self, unit: Unit, log_path: Path) -> None:
        self._marker.write(log_path)

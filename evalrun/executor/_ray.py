"""The driver of `eval-set --executor ray`: units run in the set's worker actors.

`RayExecutor.connect` joins the cluster (`--ray-address`, else RAY_ADDRESS, else a
local instance it starts) and starts the set's `Coordinator` actor (connection limits
for the whole cluster). `run` then does what `api._run` does locally, with the same
arguments: it starts the set's workers (`Runner` actors: a process per node, or per
`UNITS_PER_WORKER` of its CPUs, each holding the CPUs of the units it runs at once),
checks that they can write the log dir and that the driver sees what they wrote (one
log dir for all: on a cluster, shared storage), and hands them the units, `max_tasks`
at a time (unless not given: then as many as the cluster has CPUs for); a unit that
ends in error is retried as soon as it does (`again`), Ctrl-C stops every unit (each
closes its log as cancelled), and the results come from the logs the workers wrote.

Why a worker is a long-lived actor running several units rather than a Ray task per
unit: a Ray worker process costs seconds of CPU to start (Python, Ray, evalrun), and a
latency-bound unit needs no process of its own (locally, every unit shares one). Why
the log dir is shared rather than samples streamed back to the driver: a log is then
written by exactly the code that writes it locally (its flushes, its resume after a
kill), the driver holds no sample, and a worker's finished samples survive the driver.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalrun.config import RunConfig
from evalrun.engine import EvalResult, Reporter, RunControl, Unit
from evalrun.engine._run import Again
from evalrun.errors import EvalrunError, InputError, Location
from evalrun.executor._limits import MAX_WAITING, Coordinator, SharedLimit
from evalrun.executor._packed import MARKERS, Marker, pack
from evalrun.model import ModelPool
from evalrun.secrets import KEYS

#: seconds to reach the head's port before giving up on an address
CONNECT_TIMEOUT = 5.0
#: seconds a worker may take to answer the log dir's probe (the cluster may be busy)
PROBE_TIMEOUT = 120.0
#: times Ray runs a unit's call again when its worker dies (the worker is restarted)
WORKER_RETRIES = 3
#: units one worker process runs at once, at most (a node with more CPUs gets more)
UNITS_PER_WORKER = 8
#: seconds between the driver's looks for free CPUs while units wait for a worker
GROW = 2.0
#: seconds between the driver's looks at its units
POLL = 0.2

MISSING = "evalrun eval-set --executor ray needs Ray: pip install 'evalrun[ray]'"


@dataclass
class _Worker:
    """A `Runner` actor of the set, and how many units it may run at once."""

    actor: Any
    size: int
    busy: int = 0
    #: its probe of the log dir while it runs (a worker gets units once it passed)
    probe: tuple[Any, str] | None = None


@dataclass
class _Running:
    index: int
    unit: Unit
    marker: Marker
    worker: _Worker | None = None
    reported: bool = False


@dataclass
class RayExecutor:
    """A connection to a Ray cluster, for one set."""

    ray: Any
    coordinator: Any
    log_dir: Path
    #: whether `connect` joined the cluster (then `run` leaves it as it ends)
    owned: bool = False
    owner: str = field(default_factory=lambda: f"driver/{uuid.uuid4().hex[:8]}")

    @classmethod
    def connect(cls, run: RunConfig) -> RayExecutor:
        """Join the cluster and start the set's coordinator; an `InputError` (one line)
        when Ray is missing or the cluster cannot be reached."""
        try:
            import ray
        except ImportError:
            raise InputError(MISSING) from None
        address = run.ray_address or os.environ.get("RAY_ADDRESS") or None
        owned = _connect(ray, address)
        log_dir = run.log_path().resolve()
        actor = ray.remote(num_cpus=0, max_concurrency=MAX_WAITING)(Coordinator)
        coordinator = actor.options(name=f"evalrun-set-{uuid.uuid4().hex[:12]}").remote()
        return cls(ray, coordinator, log_dir, owned)

    def close(self) -> None:
        """Leave the cluster, if `connect` joined it; the set's actors end with it. Now,
        not at exit: Ray's own exit handler takes longer."""
        if self.owned:
            self.owned = False
            self.ray.shutdown()

    def limit(self, endpoint: str, total: int) -> SharedLimit:
        """An endpoint's limit for the driver's own models (a retry's `--retry-connections`
        resizes the cluster's)."""
        return SharedLimit(self.coordinator, endpoint, total, self.owner)

    def _start_workers(self, sizes: list[tuple[str | None, int]]) -> list[_Worker]:
        """`Runner` actors of these sizes (see `_sizes`), each on its node if it names
        one, started now (their processes start while the driver goes on), each probing
        the log dir (`_passed`)."""
        from evalrun.executor._worker import Runner

        actor = self.ray.remote(Runner)
        name = f".evalrun-probe-{uuid.uuid4().hex[:12]}"
        workers = []
        for n, (node, size) in enumerate(sizes):
            options: dict[str, Any] = {
                "num_cpus": size,
                "max_concurrency": size + 1,  # its units, and the probe
                "max_restarts": -1,  # a unit's calls are bounded by max_task_retries
                "max_task_retries": WORKER_RETRIES,
            }
            if node is not None:  # the node whose CPUs it was sized for, else any
                from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

                options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=True)
            handle = actor.options(**options).remote()
            probe = (handle.probe.remote(str(self.log_dir), f"{name}-{n}"), f"{name}-{n}")
            workers.append(_Worker(handle, size, probe=probe))
        return workers

    def _passed(self, worker: _Worker, timeout: float | None = None) -> None:
        """Wait for the worker's probe: it wrote a file into the log dir, as a unit's log
        will be, and the driver must see it; an `InputError` (one line) when not."""
        assert worker.probe is not None
        ref, name = worker.probe
        worker.probe = None
        where = Location(self.log_dir)
        try:
            self.ray.get(ref, timeout=timeout)
        except self.ray.exceptions.GetTimeoutError:
            raise InputError(
                f"no Ray worker answered within {timeout:g}s (is the cluster busy?)", where
            ) from None
        except self.ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else cause
            raise InputError(f"the Ray workers cannot write the log dir: {reason}", where) from None
        except self.ray.exceptions.RayError as exc:  # a worker that could not start
            raise InputError(f"a Ray worker could not start: {_first_line(exc)}", where) from None
        written = self.log_dir / name
        if not written.exists():
            raise InputError(
                "the Ray workers write elsewhere: a file one wrote in the log dir is not "
                "here (on a cluster, the log dir must be on storage every node shares)",
                where,
            )
        written.unlink()

    def run(
        self,
        units: list[Unit],
        pool: ModelPool,
        reporter: Reporter,
        control: RunControl,
        handle_signals: bool,
        max_tasks: int | None,
        again: Again | None,
        given: dict[str, Any],
        aliases: dict[str, tuple[str, dict[str, Any]]],
    ) -> list[EvalResult]:
        """`api._run` on the cluster: one result per unit, in order (see the module's
        docstring). `max_tasks` None: as many at once as the cluster schedules. The
        caller leaves the cluster after (`close`)."""
        # units at once: as many as the nodes have CPUs free now (or `max_tasks`); more
        # workers as CPUs free up while units wait, up to `target`
        target = min(max_tasks or len(units), len(units))
        workers = self._start_workers(_sizes(_free_cpus(self.ray), target) or [(None, 1)])
        for worker in workers:
            self._passed(worker, PROBE_TIMEOUT)
        growing, look = True, time.monotonic() + GROW
        markers = self.log_dir / MARKERS
        shutil.rmtree(markers, ignore_errors=True)  # a killed driver's: its workers died too
        markers.mkdir()
        secrets = _driver_keys()
        results: list[EvalResult | None] = [None] * len(units)
        waiting = [(0.0, index, unit) for index, unit in enumerate(units)]
        running: dict[Any, _Running] = {}
        stopped: list[tuple[float, int, Unit]] = []
        failure: BaseException | None = None
        stopping = False

        def submit(index: int, unit: Unit) -> None:
            token = uuid.uuid4().hex
            packed = pack(unit, log_dir=self.log_dir, given=given, aliases=aliases, token=token)
            ready = [w for w in workers if w.probe is None]
            worker = max(ready, key=lambda w: w.size - w.busy)  # a free one: len < cap
            worker.busy += 1
            ref = worker.actor.run.remote(packed, self.coordinator, secrets)
            running[ref] = _Running(index, unit, Marker(self.log_dir, token), worker)

        with _signals(control, handle_signals):
            try:
                while waiting or running:
                    if control.cancelled and not stopping:
                        stopping = True
                        self.coordinator.stop.remote(control.reason or "stopped")
                        stopped, waiting = waiting, []  # closed below as cancelled, as locally
                    now = time.monotonic()
                    for worker in list(workers):  # a new worker's probe, if it is back
                        if worker.probe and self.ray.wait([worker.probe[0]], timeout=0)[0]:
                            try:
                                self._passed(worker)
                            except InputError:  # a node the log dir is not shared with?
                                self.ray.kill(worker.actor, no_restart=True)
                                workers.remove(worker)
                                growing = False  # the set goes on with the workers it has
                    cap = sum(w.size for w in workers if w.probe is None)
                    grown = sum(w.size for w in workers)
                    full = bool(waiting) and len(running) >= cap and grown < target
                    if growing and full and now >= look:  # CPUs freed since: more workers
                        look = now + GROW
                        workers += self._start_workers(_sizes(_free_cpus(self.ray), target - grown))
                    waiting.sort(key=lambda item: (item[0], item[1]))
                    while waiting and waiting[0][0] <= now and len(running) < cap:
                        _, index, unit = waiting.pop(0)
                        submit(index, unit)
                    if not running:
                        time.sleep(POLL)
                        continue
                    done, _ = self.ray.wait(list(running), num_returns=1, timeout=POLL)
                    unreported = [job for job in running.values() if not job.reported]
                    if unreported:  # one listing of the folder, not a read per unit
                        written = {p.name for p in markers.iterdir()} if markers.is_dir() else set()
                        for job in unreported:
                            if job.marker.path.name in written:
                                _report_start(job, reporter)
                    for ref in done:
                        job = running.pop(ref)
                        if job.worker is not None:
                            job.worker.busy -= 1
                        try:
                            result = self._result(ref, job)
                        except BaseException as exc:
                            failure = failure or exc
                            control.cancel(f"another unit could not run: {exc}")
                            continue
                        _report_start(job, reporter, result.log_path)
                        reporter.unit_finished(job.unit, result)
                        job.marker.remove()
                        results[job.index] = result
                        follow = (
                            again(job.unit, result) if again and not control.cancelled else None
                        )
                        if follow is not None:
                            waiting.append((time.monotonic() + follow[1], job.index, follow[0]))
            finally:
                if running:  # left by an error of the driver's own: stop their units
                    self.coordinator.stop.remote("the eval-set driver failed")
                else:  # no unit of this set runs: none will look for its marker
                    shutil.rmtree(markers, ignore_errors=True)
        if failure is not None:
            raise failure
        unstarted = [(i, u) for _, i, u in stopped if results[i] is None]
        if unstarted:  # stopped before they started: each gets its (empty) cancelled log
            from evalrun import api

            closed = api._run([u for _, u in unstarted], pool, reporter, control, False, 1)
            for (index, _), result in zip(unstarted, closed, strict=True):
                results[index] = result
        return [r for r in results if r is not None]

    def _result(self, ref: Any, job: _Running) -> EvalResult:
        """A finished unit's result, read from the log its worker wrote."""
        from evalrun.api import result_from_summary
        from evalrun.log import read_summary

        try:
            path = Path(self.ray.get(ref))
        except self.ray.exceptions.RayTaskError as exc:
            raise exc.cause if isinstance(exc.cause, EvalrunError) else exc from None
        except self.ray.exceptions.RayError as exc:  # its workers kept dying
            # the slots they held, back (no retry of this unit's call will `forget` them)
            self.coordinator.forget.remote(job.marker.token)
            begun = job.marker.log()
            if begun is None or not begun.exists():
                raise InputError(f"{job.unit.task.name} x {job.unit.model}: {exc}") from None
            result = result_from_summary(read_summary(begun))
            result.status, result.error = "error", f"its Ray workers died: {_first_line(exc)}"
            return result
        return result_from_summary(read_summary(path))


def _free_cpus(ray: Any) -> list[tuple[str, int]]:
    """Each live node with a CPU free now: its id and its free (whole) CPUs, the most
    first (Ray's view per node; without it, the nodes' CPUs)."""
    alive = {n["NodeID"]: n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")}
    try:
        from ray._private.state import available_resources_per_node

        free = available_resources_per_node()
    except Exception:  # a developer API: a Ray without it counts the nodes' CPUs
        free = alive
    nodes = [(node, int(free.get(node, {}).get("CPU", 0))) for node in alive]
    return sorted((node for node in nodes if node[1] >= 1), key=lambda node: -node[1])


def _sizes(nodes: list[tuple[str, int]], slots: int) -> list[tuple[str | None, int]]:
    """Workers for `slots` units at once, at most as many as the `nodes` have CPUs: the
    nodes with the most first, each with as many units as it has CPUs, in processes of
    at most `UNITS_PER_WORKER` units (sizes as even as they go)."""
    sizes: list[tuple[str | None, int]] = []
    left = slots
    for node, cpus in nodes:
        here = min(cpus, left)
        if here <= 0:
            break
        count = -(-here // UNITS_PER_WORKER)
        sizes += [(node, here // count + (n < here % count)) for n in range(count)]
        left -= here
    return sizes


def _driver_keys() -> dict[str, str]:
    """The variables holding the keys this driver checked, for workers started without
    them: sent as an argument of each unit's call, not the workers' runtime_env (which
    the cluster keeps in its job records and shows on its dashboard). A key is
    registered stripped; its variable may hold it with a newline."""
    return {name: value for name, value in os.environ.items() if value.strip() in KEYS}


def _report_start(job: _Running, reporter: Reporter, log: Path | None = None) -> None:
    """Tell the display a unit started, once, when its log appears (the worker's marker)."""
    if job.reported:
        return
    log = log or job.marker.log()
    if log is not None:
        job.reported = True
        reporter.unit_started(job.unit, log)


def _connect(ray: Any, address: str | None) -> bool:
    """`ray.init`: a cluster at `address`, else a local instance; one line when it fails.
    False: this process was already connected (by its caller, who disconnects)."""
    if ray.is_initialized():
        return False
    if address and address not in ("auto", "local") and "://" not in address:
        _reachable(address)
    options: dict[str, Any] = {
        "namespace": "evalrun",
        "logging_level": logging.ERROR,
        "log_to_driver": False,
        "configure_logging": True,
    }
    if not address or address == "local":  # a new instance (None would join one found)
        address, options["include_dashboard"] = "local", False
    try:
        ray.init(address=address, **options)
    except Exception as exc:  # ConnectionError, RuntimeError, Ray's own: all one line
        where = "a local Ray instance" if address == "local" else f"the Ray cluster at {address}"
        raise InputError(f"cannot connect to {where}: {_first_line(exc)}") from None
    return True


def _reachable(address: str) -> None:
    """Fail fast on an address nothing listens at (Ray itself retries for a minute)."""
    host, _, port = address.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise InputError(f"--ray-address: expected host:port, not `{address}`") from None
    try:
        socket.create_connection((host or "127.0.0.1", number), CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise InputError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc} "
            "(start one with `ray start --head`, or check --ray-address / RAY_ADDRESS)"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _signals(control: RunControl, handle: bool) -> Iterator[None]:
    """SIGINT and SIGTERM stop the set (as `RunControl.watch_signals` does locally)."""
    if not handle:
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        control.cancel(f"interrupted by {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

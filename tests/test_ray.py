"""`evalrun eval-set --executor ray`: the same set on a Ray cluster.

One local cluster for the module (`ray start --head`, 2 CPUs: two workers run units at
once); each test runs the real command against it in a fresh process. The cluster runs
in a mount namespace of its own where one folder (`shadowed`) is a read-only, empty
file system: a log dir there is one the workers cannot write, though the driver can.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import Result, logs_in, raw_log, run_evalrun, run_forked, write_jsonl
from fake_openai import FakeOpenAI

from evalrun.log import read_summary

pytest.importorskip("ray")

#: what every Ray process of these tests runs with: no token (a local cluster), no
#: usage report (no network)
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
ROWS = [{"id": i, "input": f"q{i}", "target": f"q{i}" if i % 3 else "no"} for i in range(10)]


class Cluster:
    def __init__(self, address: str, shadowed: Path | None) -> None:
        self.address = address
        #: a folder the workers see as an empty read-only file system (None: no namespace)
        self.shadowed = shadowed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    port = _free_port()
    ray_bin = str(Path(sys.executable).parent / "ray")
    start = [ray_bin, "start", "--head", "--num-cpus", "2", "--port", str(port),
             "--include-dashboard", "false", "--disable-usage-stats", "--block"]  # fmt: skip
    shadowed: Path | None = tmp_path_factory.mktemp("shadowed")
    if _can_unshare():
        mount = f"mount -t tmpfs -o ro tmpfs {shadowed} && exec " + " ".join(start)
        start = ["unshare", "-m", "sh", "-c", mount]
    else:
        shadowed = None
    out = tmp_path_factory.mktemp("ray") / "head.log"
    env = {**os.environ, **RAY_ENV}
    with out.open("w") as sink:
        head = subprocess.Popen(start, stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while "Ray runtime started" not in out.read_text():
            assert head.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        yield Cluster(f"127.0.0.1:{port}", shadowed)
    finally:
        head.terminate()  # `ray start --block` stops the processes it started
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            head.kill()


def tasks(folder: Path, count: int = 4) -> list[str]:
    write_jsonl(folder / "d.jsonl", ROWS)
    paths = []
    for n in range(count):
        path = folder / f"t{n}.yaml"
        path.write_text(f"name: t{n}\ndataset: {{path: d.jsonl}}\nscorer: [exact]\nepochs: 2\n")
        paths.append(str(path))
    return paths


def on_ray(cluster: Cluster, *args: str, cwd: Path, timeout: float = 120) -> Result:
    """The command in a fresh process (Ray is never started in a forked one)."""
    return run_evalrun(
        *args, "--executor", "ray", "--ray-address", cluster.address,
        cwd=cwd, env=RAY_ENV, timeout=timeout,
    )  # fmt: skip


def content(logs: Path) -> dict[tuple[str, str], Any]:
    """Per task x model, its latest log's samples (id, epoch, answer, scores) and results,
    without what differs between two runs (times, ids, paths)."""
    out: dict[tuple[str, str], Any] = {}
    for path in sorted(logs_in(logs), key=lambda p: read_summary(p).header.started_at or 0):
        log = raw_log(path)
        samples = sorted(
            (s["id"], s["epoch"], s["output"]["completion"], json.dumps(s["scores"], sort_keys=True))
            for s in log["samples"]
        )  # fmt: skip
        results = {k: log["results"][k] for k in ("scores", "thresholds", "completed_samples")}
        out[(log["header"]["task"], log["header"]["model"])] = (log["status"], samples, results)
    return out


def state(logs: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in logs_in(logs)}


def test_a_set_on_ray_writes_the_logs_the_local_executor_writes(
    cluster: Cluster, tmp_path: Path
) -> None:
    """8 units (4 tasks x 2 models) over two workers: the same samples, scores and
    metrics as locally, two units at a time; the same command again touches nothing."""
    paths = tasks(tmp_path)
    common = [*paths, "-m", "mockllm/echo", "-m", "mockllm/model", "-M", "latency=0.05",
              "--max-samples", "2", "--display", "plain"]  # fmt: skip
    local = run_forked("eval-set", *common, "--log-dir", str(tmp_path / "local"), cwd=tmp_path)
    assert local.code == 0, local.output
    logs = tmp_path / "ray"
    ray = on_ray(cluster, "eval-set", *common, "--log-dir", str(logs), cwd=tmp_path)
    assert ray.code == 0, ray.output
    expected = content(tmp_path / "local")
    assert len(expected) == 8 and content(logs) == expected
    # two workers: units overlapped, but never more than two at once
    spans = []
    for path in logs_in(logs):
        log = raw_log(path)
        starts = [s["started_at"] for s in log["samples"]]
        spans.append((min(starts), max(starts)))
    overlaps = [sum(1 for a, b in spans if a <= t <= b) for t, _ in spans]
    assert max(overlaps) == 2, spans
    manifest = json.loads((logs / ".evalrun-set.json").read_text())
    assert len(manifest["units"]) == 8
    assert not (logs / ".evalrun-ray").exists()  # the markers are gone
    # a re-run: every unit complete, no log touched (and no cluster needed)
    before = state(logs)
    again = on_ray(cluster, "eval-set", *common, "--log-dir", str(logs), cwd=tmp_path)
    assert again.code == 0, again.output
    assert state(logs) == before


#: a job that holds one of the cluster's CPUs for a while (an actor), then leaves
#: holds a CPU until the set's second unit has begun (its first then ran alone), at most 60 s
HOLD_ONE_CPU = """
import pathlib, sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
class Hold:
    def ready(self): return True
hold = ray.remote(num_cpus=1)(Hold).remote()
ray.get(hold.ready.remote())
print("held", flush=True)
logs, deadline = pathlib.Path(sys.argv[2]), time.monotonic() + 60
while len(list(logs.glob("*.eval"))) < 2 and time.monotonic() < deadline:
    time.sleep(0.05)
ray.kill(hold)
print("released", time.time(), flush=True)
"""


def test_a_set_takes_the_cpus_that_free_up_while_it_runs(cluster: Cluster, tmp_path: Path) -> None:
    """Another job holds one of the two CPUs as the set begins: the set starts on the one
    free (one unit at a time, not waiting for both), and adds a worker when the other
    frees up (two at a time from then on)."""
    logs = tmp_path / "logs"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_ONE_CPU, cluster.address, str(logs)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, **RAY_ENV},
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        paths = tasks(tmp_path, count=6)
        result = on_ray(cluster, "eval-set", *paths, "-m", "mockllm/echo", "-M", "latency=0.25",
                        "--max-samples", "1", "--log-dir", str(logs), "--display", "none",
                        cwd=tmp_path)  # fmt: skip
        released = float(holder.stdout.readline().split()[1])
    finally:
        holder.wait(30)
    assert result.code == 0, result.output
    spans = sorted(
        (min(starts), max(starts))
        for starts in ([s["started_at"] for s in raw_log(p)["samples"]] for p in logs_in(logs))
    )
    assert spans[0][0] < released
    alone = [span for span in spans if span[1] < released]
    assert alone and all(a[1] < b[0] for a, b in itertools.pairwise(alone))
    overlaps = [sum(1 for a, b in spans if a <= t <= b) for t, _ in spans]
    assert max(overlaps) == 2, (spans, released)


def test_max_connections_holds_across_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    """Four units on one endpoint, two at a time in two workers, --max-connections 2:
    never more than 2 requests in flight at the server (each worker alone would allow 2)."""
    paths = tasks(tmp_path)
    with FakeOpenAI(latency=0.1) as server:
        result = on_ray(
            cluster, "eval-set", *paths, "-m", "openai-compatible/fake", "--model-base-url",
            server.base_url, "--max-connections", "2", "--limit", "5",
            "--log-dir", str(tmp_path / "logs"),
            "--display", "none", cwd=tmp_path,
        )  # fmt: skip
        stats = server.stats
    assert result.code == 0, result.output
    assert stats.calls == 4 * 5 * 2
    assert stats.max_in_flight == 2, stats.max_in_flight


def test_the_drivers_api_key_reaches_the_workers_and_nothing_else(
    cluster: Cluster, tmp_path: Path
) -> None:
    """The cluster was started without the key: the driver's key reaches every request
    (the server refuses any other), and is written nowhere, not in the set's logs nor in
    the cluster's own files (a runtime_env would be kept in its job records)."""
    key = "sk-ray-test-0123456789abcdef"
    started = time.time()
    (path,) = tasks(tmp_path, count=1)
    with FakeOpenAI(api_key=key) as server:
        models = tmp_path / "models.yaml"
        models.write_text(f"models:\n  fake:\n    model: openai-compatible/fake\n"
                          f"    base_url: {server.base_url}\n    api_key_env: EVALRUN_RAY_KEY\n")  # fmt: skip
        result = run_evalrun(
            "eval-set", path, "-m", "fake", "--models", str(models), "--limit", "4",
            "--log-dir", str(tmp_path / "logs"), "--display", "none",
            "--executor", "ray", "--ray-address", cluster.address,
            cwd=tmp_path, env={**RAY_ENV, "EVALRUN_RAY_KEY": key},
        )  # fmt: skip
        stats = server.stats
    assert result.code == 0, result.output
    assert stats.calls == 4 * 2 and stats.auth == {f"Bearer {key}": stats.calls}  # 2 epochs
    written = [p for p in (tmp_path / "logs").rglob("*") if p.is_file()]
    written += [
        p
        for p in Path(tempfile.gettempdir(), "ray").rglob("*")
        if p.is_file() and not p.is_symlink() and _modified(p) >= started - 1
    ]
    assert written
    leaked = [p for p in written if key.encode() in _contents(p)]
    assert not leaked, leaked


def _modified(path: Path) -> float:
    """Its mtime; 0 when it is gone (Ray's and SQLite's own files come and go)."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _contents(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:  # gone since it was listed
        return b""


def _running_unit(logs: Path, proc: subprocess.Popen[Any], samples: int = 4) -> Any:
    """The marker (log, worker's pid) of a unit of `proc`'s set once that log holds
    `samples` finished samples; None if the set ends first, or after a minute."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        for marker in (logs / ".evalrun-ray").glob("*.json"):
            data = json.loads(marker.read_text())
            if read_summary(Path(data["log"])).samples_done >= samples:
                return data
        time.sleep(0.05)
    return None


def test_a_worker_killed_mid_unit_loses_and_repeats_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    """SIGKILL the worker running a unit once some samples are in its log: Ray runs the
    unit's task again, which resumes that log; the final log has every (sample, epoch)
    once, and the killed attempt's samples were reused, not run again."""
    (path,) = tasks(tmp_path, count=1)
    logs = tmp_path / "logs"
    command = [sys.executable, "-m", "evalrun", "eval-set", path, "-m", "mockllm/echo",
               "-M", "latency=0.1", "--max-samples", "1", "--log-dir", str(logs),
               "--display", "none", "--executor", "ray", "--ray-address", cluster.address]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tmp_path, env={**os.environ, **RAY_ENV},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    killed = _running_unit(logs, proc)
    if killed is not None:
        os.kill(killed["pid"], signal.SIGKILL)
    _, err = proc.communicate(timeout=90)
    assert killed is not None, err
    assert proc.returncode == 0, err
    attempts = sorted(
        (raw_log(p) for p in logs_in(logs)), key=lambda log: log["header"]["started_at"]
    )
    assert [log["status"] for log in attempts] == ["started", "success"]
    first, final = attempts
    assert final["header"]["retry_of"] == killed["log"]
    keys = [(s["id"], s["epoch"]) for s in final["samples"]]
    assert len(keys) == len(set(keys)) == len(ROWS) * 2
    done_before = {(s["id"], s["epoch"]) for s in first["samples"] if not s["error"]}
    assert len(done_before) >= 4 and final["results"]["reused_samples"] == len(done_before)
    rerun = {(s["id"], s["epoch"]) for s in final["samples"]
             if s["started_at"] >= final["header"]["started_at"]}  # fmt: skip
    assert not rerun & done_before


def test_an_unreachable_address_is_one_line(tmp_path: Path) -> None:
    paths = tasks(tmp_path, count=1)
    address = f"127.0.0.1:{_free_port()}"
    result = run_evalrun(
        "eval-set", *paths, "-m", "mockllm/echo", "--log-dir", str(tmp_path / "logs"),
        "--executor", "ray", "--ray-address", address, cwd=tmp_path, env=RAY_ENV,
    )  # fmt: skip
    assert result.code == 2, result.output
    assert result.err.strip().count("\n") == 0
    assert f"cannot reach the Ray cluster at {address}" in result.err


def test_a_ray_address_without_the_ray_executor_is_one_line(tmp_path: Path) -> None:
    paths = tasks(tmp_path, count=1)
    result = run_forked(
        "eval-set", *paths, "-m", "mockllm/echo", "--log-dir", str(tmp_path / "logs"),
        "--ray-address", "127.0.0.1:6379", cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 2, result.output
    assert result.err.strip() == (
        "--ray-address: only with --executor ray (the cluster units run on)"
    )
    assert not (tmp_path / "logs").exists()  # refused before the log dir is touched


def test_without_ray_installed_it_says_which_extra(tmp_path: Path) -> None:
    paths = tasks(tmp_path, count=1)
    argv = ["evalrun", "eval-set", *paths, "-m", "mockllm/echo", "--log-dir",
            str(tmp_path / "logs"), "--executor", "ray"]  # fmt: skip
    code = f"import sys; sys.modules['ray'] = None; sys.argv = {argv!r}\nfrom evalrun.cli import main\nmain()"  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        "evalrun eval-set --executor ray needs Ray: pip install 'evalrun[ray]'"
    )


def test_a_log_dir_the_workers_cannot_write_is_one_line(cluster: Cluster, tmp_path: Path) -> None:
    if cluster.shadowed is None:
        pytest.skip("needs a mount namespace (unshare -m) for the cluster")
    paths = tasks(tmp_path, count=1)
    result = on_ray(
        cluster, "eval-set", *paths, "-m", "mockllm/echo", "--log-dir", str(cluster.shadowed),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 2, result.output
    assert result.err.strip().count("\n") == 0
    assert "the Ray workers cannot write the log dir: Read-only file system" in result.err
    assert not logs_in(cluster.shadowed)


def test_the_driver_killed_mid_set_resumes_with_the_same_command(
    cluster: Cluster, tmp_path: Path
) -> None:
    """SIGKILL the eval-set process while a unit runs: Ray stops its workers with it (no
    second writer of the log); the same command again resumes the unit from its log."""
    (path,) = tasks(tmp_path, count=1)
    logs = tmp_path / "logs"
    args = ["eval-set", path, "-m", "mockllm/echo", "-M", "latency=0.1", "--max-samples", "1",
            "--log-dir", str(logs), "--display", "none"]  # fmt: skip
    command = [sys.executable, "-m", "evalrun", *args,
               "--executor", "ray", "--ray-address", cluster.address]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tmp_path, env={**os.environ, **RAY_ENV},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    worker = _running_unit(logs, proc)
    proc.kill()
    proc.wait(30)
    assert worker is not None
    deadline = time.monotonic() + 30
    while _alive(worker["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker["pid"])  # the unit's worker died with its driver
    killed = raw_log(Path(worker["log"]))
    again = on_ray(cluster, *args, cwd=tmp_path)
    assert again.code == 0, again.output
    final = max((raw_log(p) for p in logs_in(logs)), key=lambda log: log["header"]["started_at"])
    assert final["status"] == "success" and final["header"]["retry_of"] == worker["log"]
    keys = [(s["id"], s["epoch"]) for s in final["samples"]]
    assert len(keys) == len(set(keys)) == len(ROWS) * 2
    assert final["results"]["reused_samples"] >= len(killed["samples"]) >= 4


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_unit_that_fails_is_retried_at_once_on_the_cluster(
    cluster: Cluster, tmp_path: Path
) -> None:
    """As locally (tests/test_evalset.py): gamma fails one sample, is retried as soon as it
    ends in error (a new Ray task resuming its log), and the set passes."""
    from test_evalset import quiet_seed
    from test_evalset import tasks as flaky_set

    logs = tmp_path / "logs"
    paths = flaky_set(tmp_path, f"error_rate: 0.3, seed: {quiet_seed()}")
    result = on_ray(
        cluster, "eval-set", *paths, "--retry-wait", "0", "--max-samples", "1",
        "--log-dir", str(logs), "--display", "plain", cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.output
    gamma = sorted(
        (raw_log(p) for p in logs_in(logs) if read_summary(p).header.task == "gamma"),
        key=lambda log: log["header"]["started_at"],
    )
    assert [log["status"] for log in gamma] == ["error", "success"]
    failed, final = gamma
    assert Path(final["header"]["retry_of"]).name == next(
        p.name for p in logs_in(logs) if raw_log(p)["status"] == "error"
    )
    finished = [s for s in failed["samples"] if not s["error"]]
    assert final["results"]["reused_samples"] == len(finished)
    keys = [(s["id"], s["epoch"]) for s in final["samples"]]
    assert len(keys) == len(set(keys)) == 10


def test_a_relative_log_dir_resumes_its_units_on_the_cluster(
    cluster: Cluster, tmp_path: Path
) -> None:
    """`--log-dir logs`: a unit that ended in error (no retry the first time) is resumed on
    the cluster from its log, which the workers find whatever their working folder."""
    from test_evalset import quiet_seed
    from test_evalset import tasks as flaky_set

    paths = flaky_set(tmp_path, f"error_rate: 0.3, seed: {quiet_seed()}")
    common = ["eval-set", *paths, "--max-samples", "1", "--log-dir", "logs", "--display", "none"]
    first = run_forked(*common, "--retry-attempts", "0", cwd=tmp_path)
    assert first.code == 1, first.output
    (failed,) = [p for p in logs_in(tmp_path / "logs") if raw_log(p)["status"] == "error"]
    result = on_ray(cluster, *common, cwd=tmp_path)
    assert result.code == 0, result.output
    (final,) = [raw_log(p) for p in logs_in(tmp_path / "logs") if raw_log(p)["header"]["retry_of"]]
    assert Path(final["header"]["retry_of"]).name == failed.name
    finished = [s for s in raw_log(failed)["samples"] if not s["error"]]
    assert final["status"] == "success" and final["results"]["reused_samples"] == len(finished)


def test_a_task_whose_workers_kept_dying_gives_its_slots_back(tmp_path: Path) -> None:
    """Ray gave up on a unit's task (its worker died every attempt, before its log began):
    the driver says which unit, and has the coordinator take back its attempts' slots
    (no further attempt of that task will)."""
    import ray

    from evalrun.errors import InputError
    from evalrun.executor._packed import Marker
    from evalrun.executor._ray import RayExecutor, _Running

    forgotten: list[str] = []

    def crashed(_ref: Any) -> Any:
        raise ray.exceptions.WorkerCrashedError()

    fake_ray = SimpleNamespace(get=crashed, exceptions=ray.exceptions)
    coordinator = SimpleNamespace(forget=SimpleNamespace(remote=forgotten.append))
    executor = RayExecutor(fake_ray, coordinator, tmp_path)
    unit: Any = SimpleNamespace(task=SimpleNamespace(name="t0"), model="mockllm/echo")
    job = _Running(0, unit, Marker(tmp_path, "token1"))
    with pytest.raises(InputError, match=r"^t0 x mockllm/echo: "):
        executor._result(object(), job)
    assert forgotten == ["token1"]


def test_the_keys_sent_to_workers_are_those_the_driver_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A key is registered stripped, whatever its variable holds around it (a newline from
    a secrets file): its variable is sent as it is; other variables are not."""
    from evalrun import secrets
    from evalrun.executor._ray import _driver_keys

    monkeypatch.setattr(secrets, "KEYS", set())
    monkeypatch.setattr(secrets, "_FORMS", [])
    monkeypatch.setattr("evalrun.executor._ray.KEYS", secrets.KEYS)
    monkeypatch.setenv("EVALRUN_RAY_PADDED", "sk-padded-0123456789\n")
    monkeypatch.setenv("EVALRUN_RAY_OTHER", "not-a-key-0123456789")
    secrets.read_key("EVALRUN_RAY_PADDED")
    assert _driver_keys() == {"EVALRUN_RAY_PADDED": "sk-padded-0123456789\n"}


def test_workers_are_sized_by_the_nodes_cpus() -> None:
    """A worker process per node, or per `UNITS_PER_WORKER` of its CPUs (sizes as even as
    they go), never more units at once than the nodes have CPUs (free)."""
    from evalrun.executor._ray import UNITS_PER_WORKER, _sizes

    assert UNITS_PER_WORKER == 8
    assert _sizes([("a", 2)], 8) == [("a", 2)]
    assert _sizes([("a", 8)], 8) == [("a", 8)]
    assert _sizes([("a", 4)], 2) == [("a", 2)]
    assert _sizes([("a", 20), ("b", 4)], 30) == [("a", 7), ("a", 7), ("a", 6), ("b", 4)]
    assert _sizes([("a", 20), ("b", 4)], 22) == [("a", 7), ("a", 7), ("a", 6), ("b", 2)]
    assert _sizes([], 5) == []


class _InProcess:
    """A `Coordinator` called in this process the way `SharedLimit` calls its actor."""

    def __init__(self) -> None:
        from evalrun.executor._limits import Coordinator

        self.coordinator = Coordinator()
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.coordinator, name)

        def remote(*args: Any) -> Any:
            self.calls.append(name)
            return method(*args)

        return SimpleNamespace(remote=remote)


def test_a_unit_reuses_a_slot_granted_it_uncontended_for_a_while() -> None:
    """A slot granted when no one else waited is reused by the unit's next request without
    a call to the coordinator; it goes back when unused for LINGER, on a rate limit, or as
    the unit ends (`close`); every request in flight holds one of the coordinator's."""
    import anyio

    from evalrun.executor._limits import LINGER, SharedLimit

    actor = _InProcess()
    limit = SharedLimit(actor, "e", 2, "token/1")

    async def main() -> None:
        await limit.acquire()
        assert actor.coordinator.in_use("e") == 1
        limit.release()
        assert limit.try_acquire()  # the leased slot, no call
        assert actor.calls.count("acquire") == 1 and actor.coordinator.in_use("e") == 1
        limit.release()
        await anyio.sleep(LINGER * 4)  # unused: back to the coordinator
        assert actor.coordinator.in_use("e") == 0 and not limit.try_acquire()
        await limit.acquire()
        limit.throttle(0.0)  # a rate limit: the unit keeps nothing
        limit.release()
        assert actor.coordinator.in_use("e") == 0 and not limit.try_acquire()
        await limit.acquire()
        limit.release()  # leased, idle ...
        limit.close()  # ... and back as the unit ends
        assert actor.coordinator.in_use("e") == 0 and not limit.try_acquire()

    anyio.run(main)
    assert actor.calls.count("acquire") == 3


def test_a_slot_granted_while_others_wait_is_not_leased() -> None:
    import anyio

    from evalrun.executor._limits import Coordinator

    coordinator = Coordinator()
    grants: dict[str, bool] = {}

    async def take(ticket: str) -> None:
        grants[ticket] = await coordinator.acquire("e", ticket, 1)

    async def main() -> None:
        await take("a:0")
        async with anyio.create_task_group() as group:
            group.start_soon(take, "b:0")
            await anyio.sleep(0.01)
            group.start_soon(take, "c:0")
            await anyio.sleep(0.01)
            coordinator.release("a:0")  # to b, while c waits
            await anyio.sleep(0.01)
            coordinator.release("b:0")  # to c, alone

    anyio.run(main)
    assert grants == {"a:0": True, "b:0": False, "c:0": True}

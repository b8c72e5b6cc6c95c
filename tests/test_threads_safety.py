"""Module-level state that threads of one process share: `eval-set --executor ray` runs
several units in threads of one worker process, so the registry's lazy loading and the
secrets' list of keys must hold up when threads reach them at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from evalrun import secrets

#: a fresh process (the registry loads its components once per process) in which
#: THREADS threads, released together, look one name up
LOOKUP_SCRIPT = """
import sys, threading
from evalrun.registry import lookup

THREADS = 8
kind, name = sys.argv[1], sys.argv[2]
barrier = threading.Barrier(THREADS)
errors = []

def look():
    barrier.wait()
    try:
        entry = lookup(kind, name)
        assert entry.name == name, entry.name
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")

threads = [threading.Thread(target=look) for _ in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
for error in errors:
    print(error)
sys.exit(1 if errors else 0)
"""


@pytest.mark.parametrize(
    ("kind", "name"),
    [("solver", "interview"), ("solver", "generate"), ("question", "multiple_choice")],
)
def test_concurrent_first_lookups_all_succeed(kind: str, name: str) -> None:
    """Threads looking a name up as the process's first lookups all find it (the first
    to arrive loads the components; the others wait for it rather than seeing a
    half-loaded registry and `unknown solver `interview``)."""
    for attempt in range(4):
        done = subprocess.run(
            [sys.executable, "-c", LOOKUP_SCRIPT, kind, name],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (
            f"attempt {attempt}: {done.stdout.strip()}\n{done.stderr.strip()}"
        )


def test_scrub_masks_remembered_keys_while_others_are_remembered() -> None:
    """A key remembered before is masked by every scrub, while other threads remember
    new keys (which re-sorts the list of keys that scrub reads)."""
    old = "sk-thread-safety-remembered-0123456789"
    secrets.remember(old)
    text = f"the key is {old}, once"
    data = f'{{"key": "{old}"}}'.encode()
    leaks: list[str] = []
    stop = threading.Event()
    keys, forms = set(secrets.KEYS), list(secrets._FORMS)  # restored after

    def rememberer(index: int) -> None:
        count = 0
        while not stop.is_set():
            # keys of every length, so that each sorts somewhere else in the list
            try:
                secrets.remember(f"sk-thread-{index}-{count}-" + "x" * (count % 40))
            except Exception as exc:  # `list modified during sort`, say
                leaks.append(f"remember: {exc}")
                return
            count += 1

    def scrubber() -> None:
        while not stop.is_set():
            if old in secrets.scrub(text):
                leaks.append("scrub")
            if old.encode() in secrets.scrub_bytes(data):
                leaks.append("scrub_bytes")

    threads = [threading.Thread(target=rememberer, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=scrubber) for _ in range(3)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for thread in threads:
            thread.start()
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        sys.setswitchinterval(interval)
        secrets.KEYS.intersection_update(keys)
        secrets._FORMS = forms
    assert not leaks, f"{len(leaks)} failures: {sorted(set(leaks))}"
    assert secrets.scrub(text) == "the key is ***, once"

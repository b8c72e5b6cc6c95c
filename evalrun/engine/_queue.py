"""`SampleQueue`: the sample-epochs a unit still has to run, handed out one at a time.

Fresh work is generated lazily, in order (epoch-major, so that an interrupted run has
covered as many samples as possible): a run of 100,000 sample-epochs neither waits for
nor holds 100,000 queue entries (tests/bench/engine.py measures such a run's peak memory).
Retries of errored samples go to the back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from evalrun.dataset import Sample

#: errors of earlier attempts, as their records hold them
Errors = tuple[dict[str, Any], ...]
#: (sample, epoch, attempt, errors of earlier attempts)
Item = tuple[Sample, int, int, Errors]


class SampleQueue:
    def __init__(
        self, samples: list[Sample], epochs: int, attempts: dict[tuple[str, int], int]
    ) -> None:
        """`attempts`: (str(id), epoch) -> attempts already made; 0 means done (reused)."""
        self._fresh = _fresh(samples, epochs, attempts)
        self._retries: deque[Item] = deque()
        reused = sum(1 for made in attempts.values() if made == 0)
        #: how many items there are to start with
        self.pending = len(samples) * epochs - reused

    def pop(self) -> Item | None:
        """The next item, or None when there is none left (for now)."""
        for item in self._fresh:
            return item
        return self._retries.popleft() if self._retries else None

    def retry(self, item: Item, error: dict[str, Any]) -> None:
        """Queue another attempt of `item`, at the back, remembering `error`."""
        sample, epoch, attempt, earlier = item
        self._retries.append((sample, epoch, attempt + 1, (*earlier, error)))


def _fresh(
    samples: list[Sample], epochs: int, attempts: dict[tuple[str, int], int]
) -> Iterator[Item]:
    for epoch in range(1, epochs + 1):
        for sample in samples:
            made = attempts.get((str(sample.id), epoch)) if attempts else None
            if made == 0:
                continue  # finished in the log being resumed
            yield (sample, epoch, (made or 0) + 1, ())

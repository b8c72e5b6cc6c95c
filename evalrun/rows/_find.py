"""Finding one sample's records in a log: what `evalrun log sample` prints and the
viewer's sample page shows. Only that id's lines are parsed (evalrun writes each record
id first), and with the line numbers a row index knows, only those lines are read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from evalrun.errors import InputError
from evalrun.strict import suggest


def find_sample(
    log: Path, sample_id: str, epoch: int | None, at: Sequence[int] | None = None
) -> tuple[list[Any], float | None]:
    """The records of `sample_id` (each epoch once, in epoch order), or only `epoch`'s.
    Only the matching records are validated and kept; an unknown id or epoch is an
    `InputError` naming the closest ids or the epochs there are. `at`: the line numbers
    of its records when known (the viewer's rows): only those are read."""
    from evalrun.log import EvalSample, open_log
    from evalrun.log._base import parse_line

    reader = open_log(log)
    found: dict[int, Any] = {}
    ids: set[str] = set()
    # evalrun writes records compact, id first: a line that starts with another id is
    # skipped unparsed (a line written otherwise, `{"id": ...` say, is parsed)
    wanted = tuple(b'{"id":' + orjson.dumps(v) + b"," for v in _id_forms(sample_id))
    lines = reader.sample_lines() if at is None else _lines_at(reader, at)
    try:
        resumed_at = reader.header().get("started_at")
        epochs = int(reader.header().get("epochs") or 1)
        for line in lines:
            if line.startswith(b'{"id":') and line[6:7] != b" " and not line.startswith(wanted):
                if len(ids) < 1_000_000:  # its id alone, to suggest a near one
                    with contextlib.suppress(orjson.JSONDecodeError):
                        ids.add(str(orjson.loads(line[6 : line.find(b',"epoch":')])))
                continue
            record = parse_line(line)
            if record is None:
                continue
            this = str(record.get("id"))
            if this != sample_id:
                if len(ids) < 1_000_000:
                    ids.add(this)
                continue
            try:
                sample = EvalSample.model_validate_json(line)
            except ValueError:
                continue
            found.setdefault(sample.epoch, sample)
            # the first record of each epoch wins: stop once the ones asked for are found
            if epoch in found if epoch is not None else len(found) >= epochs:
                break
    finally:
        reader.close()
    if not found:
        raise InputError(f"{log}: no sample with id `{sample_id}`{suggest(sample_id, ids)}")
    if epoch is not None:
        if epoch not in found:
            there = ", ".join(str(e) for e in sorted(found))
            raise InputError(
                f"--epoch: sample `{sample_id}` has no epoch {epoch} (epochs: {there})"
            )
        return [found[epoch]], resumed_at
    return [found[e] for e in sorted(found)], resumed_at


def _lines_at(reader: Any, numbers: Sequence[int]) -> Iterator[bytes]:
    """The sample lines of these numbers (1-based; whole chunks before each are skipped
    unread)."""
    for number in numbers:
        line = next(iter(reader.sample_lines_after(number - 1)), None)
        if line is not None:
            yield line


def _id_forms(sample_id: str) -> list[Any]:
    """The JSON values an id given as text may have been written as: the text, and the
    whole number it spells."""
    forms: list[Any] = [sample_id]
    if sample_id.lstrip("-").isdigit():
        forms.append(int(sample_id))
    return forms

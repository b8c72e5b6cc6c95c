"""The response cache: identical model calls answered from disk (`--cache`).

The key is a hash of the canonical JSON of what decides an answer: provider, model,
base URL, messages, generation settings and epoch (so epochs stay independent samples),
and the tools offered when there are any (a request without tools keys as it always did).
Transport settings (timeouts, retries, connection limits) are not part of it. Values are
JSON files, never pickles; errors and truncated answers are never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalrun.model._request import ModelRequest
from evalrun.model._types import ModelOutput, ToolCall, Usage


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evalrun" / "responses"


@dataclass(frozen=True)
class CacheEntry:
    path: Path
    key: str
    model: str
    created: float
    size: int


class ResponseCache:
    def __init__(self, folder: Path | None = None, expiry: float | None = None) -> None:
        self.folder = folder or default_cache_dir()
        self.expiry = expiry

    @staticmethod
    def key(identity: dict[str, Any], request: ModelRequest) -> str:
        canonical = json.dumps(
            {
                **identity,
                "messages": [m.to_dict() for m in request.messages],
                "settings": request.config.settings(),
                "epoch": request.epoch,
                **({"salt": request.salt} if request.salt is not None else {}),
                **({"tools": request.tools} if request.tools else {}),
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> ModelOutput | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if self.expiry is not None and time.time() - float(data.get("created", 0)) > self.expiry:
            return None
        usage = data.get("usage", {})
        return ModelOutput(
            data["model"],
            data["completion"],
            data.get("stop_reason", "stop"),
            Usage(
                usage.get("input_tokens", 0),
                usage.get("output_tokens", 0),
                usage.get("reasoning_tokens", 0),
                1,
            ),
            cached=True,
            tool_calls=tuple(ToolCall.from_dict(call) for call in data.get("tool_calls") or ()),
        )

    def put(self, key: str, output: ModelOutput) -> None:
        if output.stop_reason in ("max_tokens", "length"):
            return  # a truncated answer is not the answer
        path = self._path(key)
        data = {
            "created": time.time(),
            "model": output.model,
            "completion": output.completion,
            "stop_reason": output.stop_reason,
            "usage": {
                "input_tokens": output.usage.input_tokens,
                "output_tokens": output.usage.output_tokens,
                "reasoning_tokens": output.usage.reasoning_tokens,
            },
        }
        if output.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in output.tool_calls]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            partial.replace(path)  # atomic: readers never see half a file
        except OSError:
            pass  # a cache that cannot be written is only a slower run

    def entries(self) -> Iterator[CacheEntry]:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*/*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                yield CacheEntry(
                    path,
                    path.stem,
                    str(data.get("model")),
                    float(data.get("created", 0)),
                    path.stat().st_size,
                )
            except (OSError, ValueError):
                continue

    def clear(self) -> int:
        removed = 0
        for entry in list(self.entries()):
            entry.path.unlink(missing_ok=True)
            removed += 1
        return removed

"""`Sample`: one row of a dataset after field mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Sample:
    """One question. `target` is a string or a list of accepted answers, as in the file."""

    id: str | int
    input: str
    target: str | list[str] = ""
    choices: list[str] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> list[str]:
        """The accepted answers as a list (empty when the sample has no target)."""
        if isinstance(self.target, list):
            return self.target
        return [self.target] if self.target != "" else []

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "input": self.input, "target": self.target}
        if self.choices is not None:
            out["choices"] = self.choices
        if self.metadata:
            out["metadata"] = self.metadata
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        return cls(
            id=data["id"],
            input=data["input"],
            target=data.get("target", ""),
            choices=data.get("choices"),
            metadata=data.get("metadata") or {},
        )

"""A pydantic base model that rejects unknown keys and suggests the nearest valid one.

Every user-facing schema (task files, run configs, step arguments) derives from
`StrictModel`, so "did you mean `scorer`?" is written once, here.
"""

from __future__ import annotations

import difflib
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError


def suggest(word: str, choices: list[str] | set[str]) -> str:
    """Return '; did you mean `x`?' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


class StrictModel(BaseModel):
    """Unknown keys are an error naming the key and the nearest valid one."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    #: also list every allowed key in the error (where there are few, as in arguments)
    list_allowed: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = cls.allowed_keys()
            for key in data:
                if key not in allowed:
                    hint = suggest(str(key), allowed)
                    if cls.list_allowed:
                        hint += f" (allowed: {', '.join(cls.model_fields) or 'none'})"
                    raise PydanticCustomError(
                        "unknown_key", "unknown key `{key}`{hint}", {"key": key, "hint": hint}
                    )
        return data

    @classmethod
    def allowed_keys(cls) -> set[str]:
        keys: set[str] = set()
        for name, field in cls.model_fields.items():
            keys.add(name)
            if isinstance(field.alias, str):
                keys.add(field.alias)
        return keys

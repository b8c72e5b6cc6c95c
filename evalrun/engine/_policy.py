"""`fail_on_error`: when a task has had too many errors to go on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ErrorPolicy:
    """`True`: the first error fails; `False`: never; 0 < x < 1: the errored share of all
    planned sample x epochs exceeds x; x >= 1: more than x sample x epochs errored."""

    fail_on_error: bool | float
    total: int
    errors: int = 0

    def record_error(self) -> bool:
        """Count one error; True when the task must now stop."""
        self.errors += 1
        return self.tripped()

    def tripped(self) -> bool:
        rule = self.fail_on_error
        if rule is True:
            return self.errors >= 1
        if rule is False:
            return False
        if rule < 1:
            return self.errors > rule * self.total
        return self.errors > rule

    def describe(self) -> str:
        rule = self.fail_on_error
        if rule is True:
            allowed = "no errors allowed (fail_on_error: true)"
        elif rule < 1:
            allowed = f"more than the allowed {rule:.0%} of {self.total} (fail_on_error: {rule:g})"
        else:
            allowed = f"more than the allowed {rule:g} (fail_on_error: {rule:g})"
        return f"{self.errors} sample(s) errored, {allowed}"

"""The engine: plan task x model units, schedule samples under the run's limits,
apply fail_on_error, and record everything to the log as it happens."""

from evalrun.engine._control import RunControl
from evalrun.engine._policy import ErrorPolicy
from evalrun.engine._run import EvalResult, NullReporter, Reporter, run_units
from evalrun.engine._unit import Unit, plan, redact

__all__ = [
    "ErrorPolicy",
    "EvalResult",
    "NullReporter",
    "Reporter",
    "RunControl",
    "Unit",
    "plan",
    "redact",
    "run_units",
]

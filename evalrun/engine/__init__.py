"""The engine: plan task x model units, schedule samples under the run's limits,
apply fail_on_error, and record everything to the log as it happens."""

from evalrun.engine._control import RunControl
from evalrun.engine._run import EvalResult, NullReporter, Reporter, run_units
from evalrun.engine._unit import Unit, plan

__all__ = [
    "EvalResult",
    "NullReporter",
    "Reporter",
    "RunControl",
    "Unit",
    "plan",
    "run_units",
]

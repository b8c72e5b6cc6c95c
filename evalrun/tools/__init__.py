"""Tools a model may call: declared in a task file's `tools:`, described to the model by a
JSON schema derived from the function, called with validated arguments under a timeout.

```python
from evalrun.tools import tool
def add(a: int, b: int = 0) -> int:
    '''Add two numbers.

    Args:
        a: the first number.
        b: the second.
    '''
    return a + b
adder = tool(add, timeout=5)
adder.schema()          # {"name": "add", "description": "Add two numbers.", "parameters": {...}}
await adder.call('{"a": 2, "b": 3}')   # ToolResult(output="5", error=None, ...)
await adder.call({"a": "two"})         # an error result the model can read; never raises
```

- `_schema.py`: the schema from the signature, type hints and docstring (`ToolSchemaError`).
- `_tool.py`: `Tool`, `ToolResult`, `tool()`: validation, timeout, output cap, errors as results.
- `_builtins.py`: `calculator` (on `evalrun.expr`, no Python eval), `submit`, `think`.
- `_load.py`: `tools:` declarations in a task file, built with located errors.
- `_threads.py`: the daemon threads sync tools run on.

The loop that offers tools to a model is a solver step: `evalrun/solver/_agent.py`.
"""

from evalrun.tools._builtins import BUILTINS, THOUGHT_NOTED, calculator, submit, think
from evalrun.tools._load import BuiltinToolSpec, PythonToolSpec, ToolDeclaration, build_tools
from evalrun.tools._schema import ToolSchema, ToolSchemaError, function_schema, parse_docstring
from evalrun.tools._tool import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    Submission,
    Tool,
    ToolError,
    ToolResult,
    cap,
    tool,
)

__all__ = [
    "BUILTINS",
    "DEFAULT_MAX_OUTPUT",
    "DEFAULT_TIMEOUT",
    "THOUGHT_NOTED",
    "BuiltinToolSpec",
    "PythonToolSpec",
    "Submission",
    "Tool",
    "ToolDeclaration",
    "ToolError",
    "ToolResult",
    "ToolSchema",
    "ToolSchemaError",
    "build_tools",
    "calculator",
    "cap",
    "function_schema",
    "parse_docstring",
    "submit",
    "think",
    "tool",
]

"""`evalrun view`: a local, read-only web application over a log dir (Starlette, served
by uvicorn; the optional `view` extra). Imported only by `evalrun view`: `import evalrun`
and `evalrun --help` never import Starlette."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalrun.view._app import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from evalrun.view._app import create_app

        return create_app
    raise AttributeError(f"module 'evalrun.view' has no attribute {name!r}")


__all__ = ["create_app"]

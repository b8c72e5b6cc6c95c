"""The viewer's ASGI application: a read-only JSON API over the log package's readers.

Every route that names a log takes it as `{name:path}` and resolves it with
`resolve_log`, so no request can read a file outside the log dir. Endpoints are plain
functions: Starlette runs them in its thread pool, so reading a big log blocks no other
request.

- `GET /api/runs?task=&model=&status=&job=`: each log's name, task, model, status,
  counts, main metrics, created, job
- `GET /api/runs/{name}`: the header (task spec, run config: secrets are redacted in
  logs already), status, counts, results (scores, thresholds), stats (usage, cost)
- `GET /api/runs/{name}/samples?offset=&limit=&sort=&where=&failed=&errors=`: a page
  of sample rows (`evalrun log samples`' rows, streamed)
- `GET /api/runs/{name}/samples/{id}?epoch=`: one sample whole (every epoch, or one)

Any other method is answered 405.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from evalrun.errors import InputError
from evalrun.view._paths import LogNameError, resolve_log

#: the front-end: files shipped in the package, served as they are (no build step)
STATIC = Path(__file__).parent / "static"
#: the only files `/static/` serves, and their types
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
#: a page and its scripts are re-read on every load (an upgrade shows at once)
NO_STORE = {"Cache-Control": "no-store"}

#: the samples page's default and largest `limit`
PAGE = 50
MAX_PAGE = 1000


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(log_dir: Path, log: Path | None = None) -> Starlette:
    """The viewer's application over `log_dir`'s logs (over only `log`, a log in it,
    when given)."""
    root = Path(log_dir).resolve()
    only = Path(log).resolve() if log is not None else None

    def located(name: str) -> Path:
        path = resolve_log(root, name)
        if only is not None and path != only:
            raise LogNameError(f"no log `{name}`", 404)
        return path

    def quiet(exc: InputError, path: Path | None, name: str) -> str:
        """The error's message with the log's path shown as the name it was asked by."""
        message = str(exc)
        if path is not None:
            message = message.replace(str(path), name)
        return message.replace(str(root), ".")

    def runs(request: Request) -> Response:
        from evalrun.log import find_logs, read_summary

        wanted = {k: request.query_params.get(k) for k in ("task", "model", "status", "job")}
        paths = [only] if only is not None else find_logs(root)
        found = []
        for path in paths:
            try:
                resolve_log(root, path.relative_to(root).as_posix())  # no symlink out
                summary = read_summary(path)
            except InputError:
                continue  # not a readable log: left out, as `log list` skips it
            header = summary.header
            row = {
                "name": path.relative_to(root).as_posix(),
                "task": header.task,
                "model": header.model,
                "status": summary.status,
                "counts": summary.counts.to_dict(),
                "metrics": _metrics(summary.results),
                "created": header.created,
                "job": header.job,
                "damaged": summary.damaged,
            }
            if any(value is not None and row[key] != value for key, value in wanted.items()):
                continue
            found.append(row)
        return JSONResponse({"runs": found})

    def run(request: Request) -> Response:
        from evalrun.log import read_summary

        name = request.path_params["name"]
        path = located(name)
        try:
            summary = read_summary(path)
        except InputError as exc:
            return _error(quiet(exc, path, name), 422)
        return JSONResponse(
            {
                "name": name,
                "header": summary.header.model_dump(mode="json"),
                "status": summary.status,
                "counts": summary.counts.to_dict(),
                "samples_done": summary.samples_done,
                "results": summary.results.model_dump(mode="json") if summary.results else None,
                "stats": summary.stats,
                "error": summary.error,
                "damage": summary.damage.describe() if summary.damage else None,
            }
        )

    def samples(request: Request) -> Response:
        from evalrun.cli._samples import select_rows

        name = request.path_params["name"]
        path = located(name)
        params = request.query_params
        try:
            offset = _int(params.get("offset"), "offset", 0)
            limit = _int(params.get("limit"), "limit", PAGE)
            if limit < 1 or limit > MAX_PAGE:
                raise InputError(f"limit: {limit} is not between 1 and {MAX_PAGE}")
            selection = select_rows(
                path,
                failed=_flag(params.get("failed")),
                errors=_flag(params.get("errors")),
                where=params.get("where") or None,
                sort=params.get("sort") or None,
                limit=offset + limit,
            )
        except InputError as exc:
            return _error(quiet(exc, path, name), 400)
        return JSONResponse(
            {
                "name": name,
                "offset": offset,
                "limit": limit,
                "total": selection.matched,
                "scorers": selection.scorers,
                "rows": [row.to_json() for row in selection.rows[offset:]],
                "damage": selection.damage,
            }
        )

    def sample(request: Request) -> Response:
        from evalrun.cli._samples import find_sample

        name = request.path_params["name"]
        path = located(name)
        try:
            epoch = request.query_params.get("epoch")
            number = _int(epoch, "epoch", 0) if epoch else None
        except InputError as exc:
            return _error(str(exc), 400)
        try:
            found, resumed_at = find_sample(path, request.path_params["id"], number)
        except InputError as exc:
            return _error(quiet(exc, path, name), 404)
        return JSONResponse(
            {
                "name": name,
                "samples": [
                    {
                        **s.model_dump(mode="json"),
                        "reused": resumed_at is not None and s.started_at < resumed_at,
                    }
                    for s in found
                ],
            }
        )

    async def name_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LogNameError)
        return _error(exc.message, exc.status)

    def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=NO_STORE)

    def asset(request: Request) -> Response:
        file = request.path_params["file"]
        if file not in ASSETS:
            return _error(f"no file `{file}`", 404)
        return FileResponse(STATIC / file, media_type=ASSETS[file], headers=NO_STORE)

    # `samples/{id}` before `{name:path}` alone: a log name never ends in `/samples`
    routes = [
        Route("/", page, methods=["GET"]),
        Route("/static/{file}", asset, methods=["GET"]),
        Route("/api/runs", runs, methods=["GET"]),
        Route("/api/runs/{name:path}/samples/{id}", sample, methods=["GET"]),
        Route("/api/runs/{name:path}/samples", samples, methods=["GET"]),
        Route("/api/runs/{name:path}", run, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={LogNameError: name_error})


def _metrics(results: Any) -> dict[str, dict[str, float | None]]:
    """Each scorer's metrics: `{"match": {"accuracy": 0.8, "stderr": 0.09}}`."""
    if results is None:
        return {}
    found: dict[str, dict[str, float | None]] = {}
    for score in results.scores:
        key = score.scorer if score.scorer not in found else f"{score.scorer}/{score.reducer}"
        found[key] = dict(score.metrics)
    return found


def _int(text: str | None, name: str, default: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{name}: `{text}` is not a whole number") from None
    if value < 0:
        raise InputError(f"{name}: {value} is negative")
    return value


def _flag(text: str | None) -> bool:
    return (text or "").lower() in ("1", "true", "yes", "on")

"""The viewer's ASGI application: a read-only JSON API over the log package's readers,
and the front-end (plain files in `static/`, no build step) that reads it.

Every route that names a log takes it as `{name:path}` and resolves it with
`resolve_log`, so no request can read a file outside the log dir. Endpoints are plain
functions: Starlette runs them in its thread pool, so reading a big log blocks no other
request.

- `GET /api/runs?task=&model=&status=&job=`: each log's name, task, model, status,
  counts, main metrics, created, job; from the job index when the dir has one (logs it
  does not know, and runs it says are still going, are read from their logs)
- `GET /api/runs/{name}`: the header (task spec, run config: secrets are redacted in
  logs already), status, counts, results (scores, thresholds), each scorer's interval,
  stats (usage, cost)
- `GET /api/runs/{name}/samples?offset=&limit=&sort=&where=&failed=&errors=`: a page
  of sample rows, from the log's rows kept in memory (`_rows.py`), grown as it is written
- `GET /api/runs/{name}/samples/{id}?epoch=`: one sample whole (every epoch, or one)
- `GET /api/runs/{name}/scores`: each scorer's distribution of values
- `GET /api/runs/{name}/survey`: a survey's per-question answers and its flow graph
- `GET /api/compare?a=&b=&alpha=`: `evalrun.diff(a, b)`

Any other method is answered 405.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from evalrun.errors import InputError
from evalrun.strict import suggest
from evalrun.view._paths import LogNameError, resolve_log
from evalrun.view._rows import RowCache

#: the front-end: files shipped in the package, served as they are (no build step)
STATIC = Path(__file__).parent / "static"
#: the files `/static/` serves: the scripts and style sheets shipped in `static/` (its
#: folders included), listed once at import, and their types
ASSETS = {
    path.relative_to(STATIC).as_posix(): kind
    for suffix, kind in (
        (".js", "text/javascript; charset=utf-8"),
        (".css", "text/css; charset=utf-8"),
    )
    for path in STATIC.rglob(f"*{suffix}")
}
#: a page and its scripts are re-read on every load (an upgrade shows at once)
NO_STORE = {"Cache-Control": "no-store"}

#: the samples page's default and largest `limit`
PAGE = 50
MAX_PAGE = 1000
#: numeric scores are drawn in this many equal-width bins
BINS = 10
#: the normal quantile of the intervals shown beside a metric and its stderr (95%)
Z95 = 1.959964


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(log_dir: Path, log: Path | None = None, *, warm: int = 0) -> Starlette:
    """The viewer's application over `log_dir`'s logs (over only `log`, a log in it,
    when given). `warm`: read the rows of that many of the newest logs in a background
    thread now, so that their first samples page is as quick as the next."""
    root = Path(log_dir).resolve()
    only = Path(log).resolve() if log is not None else None
    cache = RowCache()
    if warm:
        from evalrun.log import find_logs

        newest = [only] if only is not None else find_logs(root)
        newest.sort(key=_modified, reverse=True)
        cache.warm(newest[:warm])

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
        wanted = {k: request.query_params.get(k) for k in ("task", "model", "status", "job")}
        found, source = _list_runs(root, only)
        found = [
            row
            for row in found
            if all(value is None or row[key] == value for key, value in wanted.items())
        ]
        return JSONResponse({"source": source, "runs": found})

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
                "intervals": _intervals(summary.results),
                "survey": _is_survey(summary.header.task_spec),
                "stats": summary.stats,
                "error": summary.error,
                "damage": summary.damage.describe() if summary.damage else None,
            }
        )

    def rows_of(path: Path, name: str) -> Any:
        """The log's rows, read up to now (hold `rows.lock` while using them)."""
        rows = cache.get(path)
        rows.lock.acquire()
        if cache.reading(path):
            return rows  # a thread reads it to its end: answer with what it has read
        try:
            rows.refresh()
        except InputError as exc:
            rows.lock.release()
            raise _Unreadable(quiet(exc, path, name)) from None
        except BaseException:
            rows.lock.release()
            raise
        if not rows.complete:  # read on between requests; this one answers with what is read
            cache.warm([path])
        return rows

    def samples(request: Request) -> Response:
        from evalrun.rows._samples import RowQuery

        name = request.path_params["name"]
        path = located(name)
        params = request.query_params
        try:
            offset = _int(params.get("offset"), "offset", 0)
            limit = _int(params.get("limit"), "limit", PAGE)
            if limit < 1 or limit > MAX_PAGE:
                raise InputError(f"limit: {limit} is not between 1 and {MAX_PAGE}")
            query = RowQuery.build(
                failed=_flag(params.get("failed")),
                errors=_flag(params.get("errors")),
                where=params.get("where"),
                sort=params.get("sort"),
            )
        except InputError as exc:
            return _error(str(exc).removeprefix("--"), 400)  # `where: ...`, not `--where: ...`
        rows = rows_of(path, name)
        try:
            try:
                chosen = rows.select(query)
            except InputError as exc:
                return _error(str(exc).removeprefix("--"), 400)
            return JSONResponse(
                {
                    "name": name,
                    "offset": offset,
                    "limit": limit,
                    "total": len(chosen),
                    "indexed": len(rows.rows),
                    "complete": rows.complete,
                    "live": rows.live,
                    "scorers": list(rows.scorers),
                    "rows": [row.to_json() for row in chosen[offset : offset + limit]],
                    "damage": _damage(rows.damaged),
                }
            )
        finally:
            rows.lock.release()

    def scores(request: Request) -> Response:
        name = request.path_params["name"]
        rows = rows_of(located(name), name)
        try:
            return JSONResponse(
                {
                    "name": name,
                    "rows": len(rows.rows),
                    "complete": rows.complete,
                    "live": rows.live,
                    "scorers": {
                        scorer: _distribution([row.scores.get(scorer) for row in rows.rows])
                        for scorer in rows.scorers
                    },
                }
            )
        finally:
            rows.lock.release()

    def survey(request: Request) -> Response:
        from evalrun.log import read_summary

        name = request.path_params["name"]
        path = located(name)
        try:
            return JSONResponse({"name": name, **_survey(path, read_summary(path))})
        except InputError as exc:
            return _error(quiet(exc, path, name), 422)
        except _NotSurvey:
            return _error(f"`{name}` is not a survey's log", 404)

    def compare(request: Request) -> Response:
        from evalrun import diff

        params = request.query_params
        names = {side: params.get(side) or "" for side in ("a", "b")}
        for side, value in names.items():
            if not value:
                return _error(f"{side}: which log? (compare?a=LOG&b=LOG)", 400)
        paths = {side: located(value) for side, value in names.items()}
        try:
            alpha = float(params.get("alpha") or 0.05)
        except ValueError:
            return _error(f"alpha: `{params.get('alpha')}` is not a number", 400)
        try:
            comparison = diff(paths["a"], paths["b"], alpha=alpha, parallel=False)
        except InputError as exc:
            message = quiet(exc, paths["a"], names["a"]).replace(str(paths["b"]), names["b"])
            return _error(message, 400)
        body = comparison.to_dict()
        body["a"]["log"], body["b"]["log"] = names["a"], names["b"]
        return JSONResponse(body)

    def sample(request: Request) -> Response:
        from evalrun.rows._find import find_sample

        name = request.path_params["name"]
        path = located(name)
        try:
            epoch = request.query_params.get("epoch")
            number = _int(epoch, "epoch", 0) if epoch else None
        except InputError as exc:
            return _error(str(exc), 400)
        sample_id = request.path_params["id"]
        rows = rows_of(path, name)
        try:  # where its records are, when the rows read so far say (else the log is read)
            at = rows.lines_of(sample_id) if rows.complete else []
            if rows.complete and not at and not rows.damaged:
                ids = rows.ids()
                return _error(
                    f"{name}: no sample with id `{sample_id}`{suggest(sample_id, ids)}", 404
                )
        finally:
            rows.lock.release()
        try:
            found, resumed_at = find_sample(path, sample_id, number, at or None)
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

    async def unreadable(request: Request, exc: Exception) -> Response:
        return _error(str(exc), 422)

    def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=NO_STORE)

    def asset(request: Request) -> Response:
        file = request.path_params["file"]
        if file not in ASSETS:
            return _error(f"no file `{file}`", 404)
        return FileResponse(STATIC / file, media_type=ASSETS[file], headers=NO_STORE)

    # `samples/{id}` before `{name:path}` alone: a log name never ends in `/samples`; an id
    # may hold `/` (a survey's are `agent/scenario`)
    routes = [
        Route("/", page, methods=["GET"]),
        Route("/static/{file:path}", asset, methods=["GET"]),
        Route("/api/runs", runs, methods=["GET"]),
        Route("/api/compare", compare, methods=["GET"]),
        Route("/api/runs/{name:path}/samples/{id:path}", sample, methods=["GET"]),
        Route("/api/runs/{name:path}/scores", scores, methods=["GET"]),
        Route("/api/runs/{name:path}/survey", survey, methods=["GET"]),
        Route("/api/runs/{name:path}/samples", samples, methods=["GET"]),
        Route("/api/runs/{name:path}", run, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes, exception_handlers={LogNameError: name_error, _Unreadable: unreadable}
    )
    app.state.rows = cache
    return app


def _metrics(scores: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Each scorer's metrics: `{"match": {"accuracy": 0.8, "stderr": 0.09}}` (a scorer
    reduced twice: `match/max` for its second reducer)."""
    found: dict[str, dict[str, float | None]] = {}
    for score in scores:
        scorer = str(score.get("scorer", "?"))
        key = scorer if scorer not in found else f"{scorer}/{score.get('reducer')}"
        found[key] = dict(score.get("metrics") or {})
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


class _Unreadable(Exception):
    """A log that cannot be read (its message names it as it was asked for): 422."""


class _NotSurvey(Exception):
    pass


def _list_runs(root: Path, only: Path | None) -> tuple[list[dict[str, Any]], str]:
    """Every log's row for the runs list, and where it came from: `index` (the dir's job
    index, with the logs it does not know, and its runs still going, read from their
    logs) or `scan` (every log read)."""
    from evalrun.log import find_logs
    from evalrun.log._index import INDEX_FILE, JobIndex

    paths = [only] if only is not None else find_logs(root)
    known: dict[Path, dict[str, Any]] = {}
    source = "scan"
    if only is None and (root / INDEX_FILE).is_file():
        try:
            for indexed in JobIndex.for_dir(root).all_runs():
                known[(root / indexed["path"]).resolve()] = indexed
            source = "index"
        except (InputError, OSError, sqlite3.Error):
            known = {}  # an index that cannot be read: the logs are the truth
    found = []
    for path in paths:
        name = path.relative_to(root).as_posix()
        try:
            resolve_log(root, name)  # no symlink out
        except InputError:
            continue
        run = known.get(path.resolve())
        row: dict[str, Any] | None = None
        if run is not None and run["status"] != "started":
            row = _indexed_row(name, run)
        else:
            row = _scanned_row(path, name)
        if row is not None:
            found.append(row)
    found.sort(key=lambda r: str(r["created"]), reverse=True)
    return found, source


def _indexed_row(name: str, run: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "task": run["task"],
        "model": run["model"],
        "status": run["status"],
        "counts": {"total": run["total"], "completed": run["completed"], "errored": run["errored"]},
        "metrics": _metrics([s for s in run["scores"] if isinstance(s, dict)]),
        "created": run["created"],
        "job": run["job"],
        "damaged": False,
    }


def _scanned_row(path: Path, name: str) -> dict[str, Any] | None:
    from evalrun.log import read_summary

    try:
        summary = read_summary(path)
    except InputError:
        return None  # not a readable log: left out, as `log list` skips it
    header = summary.header
    return {
        "name": name,
        "task": header.task,
        "model": header.model,
        "status": summary.status,
        "counts": summary.counts.to_dict(),
        "metrics": _metrics(
            [s.model_dump() for s in summary.results.scores] if summary.results else []
        ),
        "created": header.created,
        "job": header.job,
        "damaged": summary.damaged,
    }


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _intervals(results: Any) -> dict[str, dict[str, Any]]:
    """Each scorer's main metric with a 95% normal interval from its stderr (an
    accuracy's interval kept within 0 and 1)."""
    out: dict[str, dict[str, Any]] = {}
    if results is None:
        return out
    for score in results.scores:
        metrics = {k: v for k, v in score.metrics.items() if v is not None}
        main = next((k for k in metrics if k != "stderr"), None)
        if main is None or "stderr" not in metrics or score.scorer in out:
            continue
        value, half = metrics[main], Z95 * metrics["stderr"]
        low, high = value - half, value + half
        if main == "accuracy":
            low, high = max(0.0, low), min(1.0, high)
        out[score.scorer] = {
            "metric": main,
            "value": value,
            "low": low,
            "high": high,
            "confidence": 0.95,
        }
    return out


def _is_survey(task_spec: dict[str, Any]) -> bool:
    dataset = task_spec.get("dataset")
    return isinstance(dataset, dict) and dataset.get("interviews") is not None


_LETTERS = ("C", "P", "I", "N")


def _distribution(values: list[Any]) -> dict[str, Any]:
    """A scorer's values as chart bins: `binary` (C / I, or 1 / 0), `numeric` (equal-width
    bins), else `labels` (each value, most common first)."""
    from collections import Counter

    present = [v for v in values if v is not None]
    if all(v in _LETTERS for v in present if isinstance(v, str)) and all(
        isinstance(v, str) or v in (0, 1) for v in present
    ):
        counts = Counter(v if isinstance(v, str) else ("C" if v == 1 else "I") for v in present)
        shown = [letter for letter in _LETTERS if counts[letter] or letter in ("C", "I")]
        bins = [{"label": letter, "count": counts[letter]} for letter in shown]
        return {"kind": "binary", "count": len(present), "bins": bins}
    numbers = [float(v) for v in present if isinstance(v, int | float)]
    if len(numbers) == len(present):
        low, high = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
        width = (high - low) / BINS if high > low else 0.0
        counts_n = [0] * (BINS if width else 1)
        for number in numbers:
            counts_n[min(int((number - low) / width), BINS - 1) if width else 0] += 1
        bins = [
            {
                "label": f"{low + i * width:.3g}–{low + (i + 1) * width:.3g}"
                if width
                else f"{low:.3g}",
                "count": count,
            }
            for i, count in enumerate(counts_n)
        ]
        return {"kind": "numeric", "count": len(present), "bins": bins}
    labels = Counter(str(v) for v in present).most_common(20)
    return {
        "kind": "labels",
        "count": len(present),
        "bins": [{"label": label, "count": count} for label, count in labels],
    }


def _survey(path: Path, summary: Any) -> dict[str, Any]:
    """A survey log's questions with their answers' counts (as `evalrun results`
    summarises them), and its flow graph."""
    from evalrun.rows import filtered, open_table, summarise
    from evalrun.survey import survey_of_log
    from evalrun.survey._flow import graph

    header = summary.header.model_dump(mode="json")
    if not _is_survey(header["task_spec"]):
        raise _NotSurvey
    survey = survey_of_log(header)
    assert survey is not None
    table = open_table(path)
    infos = list(table.questions)
    counted = summarise(
        filtered(table, None), kind=table.kind, tasks=table.tasks, questions=infos, scorers=[]
    ).to_dict()["questions"]
    questions: list[dict[str, Any]] = [
        {
            "name": q.name,
            "type": q.type,
            "text": q.text,
            "options": list(q.options) if q.options is not None else None,
            "summary": q.summary,
            "answers": next(iter(counted.get(q.name, {}).get("groups", {}).values()), {}),
        }
        for q in survey.questions
    ]
    nodes, ends, edges = graph(survey)
    return {
        "questions": questions,
        "flow": {
            "nodes": [
                *({"id": e, "label": "start", "kind": "start"} for e in ends if e == "START"),
                *({"id": i, "label": label, "kind": "question"} for i, label in nodes),
                *({"id": e, "label": "end", "kind": "end"} for e in ends if e == "END"),
            ],
            "edges": [
                {"source": e.source, "target": e.target, "kind": e.kind, "label": e.label}
                for e in edges
            ],
        },
    }


def _damage(lines: list[int]) -> str | None:
    if not lines:
        return None
    shown = ", ".join(str(n) for n in lines[:5]) + (", ..." if len(lines) > 5 else "")
    return f"{len(lines)} sample record(s) could not be read (lines {shown})"

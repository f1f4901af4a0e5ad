"""/api/status and /healthz."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields

from index.matcher import implementation as matcher_implementation
from index.poller import STATE, public_status
from service.api.contract import operation
from service.errors import ApiError, Error
from service.state import current_store, services

bp = Blueprint("status", __name__)
_worker: tuple[int, str] | None = None


def worker_id() -> str:
    """A random id per worker process: which worker answered, without telling its process id."""
    global _worker
    if _worker is None or _worker[0] != os.getpid():  # new after a fork
        _worker = (os.getpid(), secrets.token_hex(6))
    return _worker[1]


class ProblemOut(Schema):
    file = fields.String(required=True)
    line = fields.Integer(allow_none=True, required=True)
    term = fields.String(allow_none=True, required=True)
    field = fields.String(allow_none=True, required=True)
    message = fields.String(required=True)


class GlossaryStatus(Schema):
    version = fields.String(required=True, metadata={"description": "the version being served (stored with the index)"})
    stored_at = fields.String(required=True)
    terms = fields.Integer(required=True)
    path = fields.String(required=True)
    file_version = fields.String(
        allow_none=True, required=True, metadata={"description": "the last valid version read from the file"}
    )
    pending = fields.Boolean(required=True, metadata={"description": "the file holds a version not served yet"})
    problems = fields.List(fields.Nested(ProblemOut), required=True)


class IndexStatus(Schema):
    backend = fields.String(required=True)
    version = fields.String(required=True)
    content_version = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    passages = fields.Integer(required=True)
    matcher = fields.String(
        required=True,
        metadata={
            "enum": ["compiled", "python"],
            "description": "the matcher's per-hit loop in this process: compiled (index/_scan.c) or its Python "
            "reference, slower on text dense with terms (an install without a C compiler)",
        },
    )


class PollError(Schema):
    at = fields.String(required=True)
    message = fields.String(required=True)


class ItemError(PollError):
    item = fields.String(required=True)


class FollowedSource(Schema):
    name = fields.String(required=True)
    url = fields.String(required=True)
    every_seconds = fields.Integer(required=True)
    tags = fields.List(fields.String(), required=True)
    polls = fields.Integer(required=True)
    last_poll = fields.String(allow_none=True, required=True)
    last_success = fields.String(allow_none=True, required=True)
    last_error = fields.Nested(PollError, allow_none=True, required=True)
    failures_in_a_row = fields.Integer(required=True, metadata={"description": "polls back off while this grows"})
    next_poll = fields.String(allow_none=True, required=True)
    documents_added = fields.Integer(required=True)
    documents_written_last_poll = fields.Integer(required=True)
    item_errors = fields.List(
        fields.Nested(ItemError), required=True, metadata={"description": "the latest articles that failed"}
    )


class FollowedSources(Schema):
    problems = fields.List(fields.String(), required=True, metadata={"description": "of sources.yaml"})
    sources = fields.List(fields.Nested(FollowedSource), required=True)


class StatusOut(Schema):
    glossary = fields.Nested(GlossaryStatus, required=True)
    index = fields.Nested(IndexStatus, required=True)
    sources = fields.Nested(FollowedSources, required=True, metadata={"description": "the feeds and pages followed"})
    writer = fields.Dict(
        allow_none=True,
        required=True,
        metadata={"description": "the background writer's last job: rematch progress (done/total)"},
    )
    worker = fields.String(
        required=True, metadata={"description": "an opaque id of the worker that answered (not its process id)"}
    )


class HealthOut(Schema):
    status = fields.String(required=True)


class ReadyOut(Schema):
    status = fields.String(required=True)
    backend = fields.String(required=True)


@operation(bp, "/api/status", responses={200: StatusOut}, cached=False)
def status() -> Any:
    """Glossary version and index counts: what is served, any problem on disk, the writer's progress."""
    svc = services()
    store = current_store()
    snap = store.snapshot
    counts = store.counts()
    on_disk = svc.live.current
    return {
        "glossary": {
            "version": store.glossary.version,
            "stored_at": dt.datetime.fromtimestamp(snap.state.glossary_updated_at, dt.UTC).isoformat(),
            "terms": len(store.glossary),
            "path": Path(svc.live.path).name,
            "file_version": on_disk.version if on_disk else None,
            "pending": bool(on_disk and on_disk.version != store.glossary.version and not svc.live.problems),
            # Named like `path`: where the service's files live is not the public's business.
            "problems": [{**p.as_dict(), "file": Path(p.file).name} for p in svc.live.problems],
        },
        "index": {
            "backend": svc.backend,
            "version": snap.version,
            "content_version": snap.state.content_version,
            "documents": counts.documents,
            "passages": counts.passages,
            "matcher": matcher_implementation(),
        },
        "sources": public_status(snap.derived(STATE)),
        "writer": svc.index.job(),
        "worker": worker_id(),
    }


@operation(bp, "/healthz", responses={200: HealthOut}, cached=False)
def healthz() -> Any:
    """Liveness for load balancers: 200 while the process can answer."""
    return {"status": "ok"}


@operation(bp, "/readyz", responses={200: ReadyOut}, errors=[Error.INDEX_UNAVAILABLE], cached=False)
def readyz() -> Any:
    """Readiness for load balancers: 200 while the index (or the database) can be read, else 503."""
    svc = services()
    if not svc.index.ready():
        raise ApiError(Error.INDEX_UNAVAILABLE, f"the {svc.backend} index cannot be read now")
    return {"status": "ready", "backend": svc.backend}

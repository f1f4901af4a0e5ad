"""/api/status and /healthz."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields

from service.state import services

bp = Blueprint("status", __name__)


class ProblemOut(Schema):
    file = fields.String(required=True)
    line = fields.Integer(allow_none=True, required=True)
    term = fields.String(allow_none=True, required=True)
    field = fields.String(allow_none=True, required=True)
    message = fields.String(required=True)


class GlossaryStatus(Schema):
    version = fields.String(required=True)
    loaded_at = fields.String(required=True)
    terms = fields.Integer(required=True)
    path = fields.String(required=True)
    problems = fields.List(fields.Nested(ProblemOut), required=True)


class IndexStatus(Schema):
    backend = fields.String(required=True)
    version = fields.String(required=True)
    documents = fields.Integer(required=True)
    passages = fields.Integer(required=True)


class StatusOut(Schema):
    glossary = fields.Nested(GlossaryStatus, required=True)
    index = fields.Nested(IndexStatus, required=True)
    worker = fields.Integer(required=True, metadata={"description": "process id of the worker that answered"})


class HealthOut(Schema):
    status = fields.String(required=True)


@bp.get("/api/status")
def status() -> Any:
    """What is being served: glossary version (and any problem on disk), index counts."""
    svc = services()
    glossary = svc.live.current
    counts = svc.store.counts()
    return {
        "glossary": {
            "version": glossary.version,
            "loaded_at": dt.datetime.fromtimestamp(glossary.loaded_at, dt.timezone.utc).isoformat(),
            "terms": len(glossary), "path": glossary.path,
            "problems": [p.as_dict() for p in svc.live.problems],
        },
        "index": {"backend": svc.backend, "version": svc.store.index.version(),
                  "documents": counts.documents, "passages": counts.passages},
        "worker": os.getpid(),
    }


@bp.get("/healthz")
def healthz() -> Any:
    """For load balancers: 200 while the process can answer."""
    return {"status": "ok"}

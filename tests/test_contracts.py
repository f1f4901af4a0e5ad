"""Every operation keeps its declared contract: a walk over /openapi.json that sends each one a
request it must accept and one it must refuse, and checks both answers against the schema the
view declares (service/api/contract.py) and against the published OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
from flask import Blueprint
from marshmallow import Schema, fields

from service import create_app
from service.api.contract import operation, response_problems
from service.errors import Error
from tests.support import ROOT, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Call(NamedTuple):
    url: str
    status: int
    json: Any = None
    data: bytes | None = None
    content_type: str | None = None
    auth: bool = False


NEW_DOC = {"id": "walk", "title": "Walk", "text": "A digital twin of a walk."}


def _fingerprint(doc_id: str, ordinal: int) -> str:
    from index.corpus import parse_document
    from index.text import passage_fingerprint

    raw = (ROOT / "tests" / "data" / "corpus" / f"{doc_id}.md").read_text(encoding="utf-8")
    return passage_fingerprint(parse_document(doc_id, raw).passages[ordinal - 1].text)


ALPHA, GAMMA = _fingerprint("alpha", 1), _fingerprint("gamma", 1)
# (method, OpenAPI path) -> calls; every operation needs one that succeeds and one that fails.
CALLS: dict[tuple[str, str], list[Call]] = {
    ("get", "/api/terms"): [Call("/api/terms?limit=2", 200), Call("/api/terms?limit=0", 400)],
    ("get", "/api/terms/{term_id}"): [Call("/api/terms/gpu", 200), Call("/api/terms/gpus", 404)],
    ("get", "/api/terms/{term_id}/passages"): [
        Call("/api/terms/digital-twin/passages?limit=1", 200),
        Call("/api/terms/digital-twin/passages?sort=up", 400),
        Call("/api/terms/nope/passages", 404),
    ],
    ("get", "/api/terms/{term_id}/trend"): [
        Call("/api/terms/gpu/trend?interval=year", 200),
        Call("/api/terms/gpu/trend?interval=day", 400),
        Call("/api/terms/nope/trend", 404),
    ],
    ("get", "/api/terms/{term_id}/cooccurring"): [
        Call("/api/terms/digital-twin/cooccurring", 200),
        Call("/api/terms/digital-twin/cooccurring?limit=x", 400),
        Call("/api/terms/nope/cooccurring", 404),
    ],
    ("get", "/api/terms/{term_id}/history"): [
        Call("/api/terms/gpu/history", 404),
        Call("/api/terms/nope/history", 404),
    ],
    ("get", "/api/lookup"): [Call("/api/lookup?label=Digital-Twins", 200), Call("/api/lookup?label=zzz", 404)],
    ("get", "/api/suggest"): [Call("/api/suggest?q=dig", 200), Call("/api/suggest", 400)],
    ("get", "/api/search"): [Call("/api/search?q=twin", 200), Call("/api/search?q=", 400)],
    ("post", "/api/annotate"): [
        Call("/api/annotate", 200, json={"text": "Two AI factories."}),
        Call("/api/annotate", 200, data=b"A GPU.", content_type="text/plain"),
        Call("/api/annotate", 422, json={"txt": "x"}),
        Call("/api/annotate", 400, data=b"\xff", content_type="text/plain"),
    ],
    ("get", "/api/trends"): [Call("/api/trends?window=2", 200), Call("/api/trends?top=0", 400)],
    ("get", "/api/reports/deprecated"): [
        Call("/api/reports/deprecated", 200),
        Call("/api/reports/deprecated?since=x", 400),
    ],
    ("get", "/api/candidates"): [Call("/api/candidates?limit=5", 200), Call("/api/candidates?since=2025-01-01", 400)],
    ("get", "/api/changes"): [Call("/api/changes?since=2025-01-01", 404), Call("/api/changes", 400)],
    ("get", "/api/export"): [
        Call("/api/export", 200),
        Call("/api/export?format=skos&syntax=json-ld", 200),
        Call("/api/export?format=xml", 400),
    ],
    ("post", "/api/import"): [
        Call("/api/import", 200, data=b"id,term,definition\n", content_type="text/csv", auth=True),
        Call("/api/import", 415, json={}, auth=True),
        Call("/api/import", 401, data=b"", content_type="text/csv"),
    ],
    ("post", "/api/documents"): [
        Call("/api/documents", 201, json=NEW_DOC, auth=True),
        Call("/api/documents", 409, json=NEW_DOC, auth=True),
        Call("/api/documents", 422, json={"id": "x"}, auth=True),
        Call("/api/documents", 401, json=NEW_DOC),
    ],
    ("get", "/api/documents/{doc_id}"): [Call("/api/documents/walk", 200), Call("/api/documents/missing", 404)],
    ("put", "/api/documents/{doc_id}"): [
        Call("/api/documents/walk", 200, json={"text": "Another GPU."}, auth=True),
        Call("/api/documents/fresh", 201, json={"text": "A GPU."}, auth=True),
        Call("/api/documents/a..b", 400, json={"text": "x"}, auth=True),
    ],
    ("delete", "/api/documents/{doc_id}"): [
        Call("/api/documents/fresh", 204, auth=True),
        Call("/api/documents/fresh", 404, auth=True),
    ],
    ("get", "/api/suggestions/aliases"): [
        Call("/api/suggestions/aliases?min_score=0.5", 200),
        Call("/api/suggestions/aliases?kind=guess", 400),
    ],
    ("post", "/api/terms/{term_id}/aliases"): [
        Call("/api/terms/gpu/aliases", 200, json={"alias": "graphics card"}, auth=True),
        Call("/api/terms/gpu/aliases", 409, json={"alias": "digital twin"}, auth=True),
        Call("/api/terms/nope/aliases", 404, json={"alias": "x"}, auth=True),
        Call("/api/terms/gpu/aliases", 422, json={"alias": "x", "status": "maybe"}, auth=True),
    ],
    ("post", "/api/suggestions/aliases/rejections"): [
        Call("/api/suggestions/aliases/rejections", 200, json={"term": "gpu", "alias": "GPGPU"}, auth=True),
        Call("/api/suggestions/aliases/rejections", 404, json={"term": "nope", "alias": "x"}, auth=True),
        Call("/api/suggestions/aliases/rejections", 401, json={"term": "gpu", "alias": "x"}),
    ],
    ("get", "/api/terms/{term_id}/reviews"): [
        Call("/api/terms/gpu/reviews", 200),
        Call("/api/terms/nope/reviews", 404),
    ],
    ("post", "/api/terms/{term_id}/reviews"): [
        Call("/api/terms/gpu/reviews", 200, json={"passage": "alpha:1", "verdict": "confirm"}, auth=True),
        Call("/api/terms/gpu/reviews", 200, json={"passage": "gamma:1", "verdict": "reject"}, auth=True),
        Call("/api/terms/gpu/reviews", 404, json={"passage": "nope:1", "verdict": "reject"}, auth=True),
        Call("/api/terms/gpu/reviews", 422, json={"passage": "alpha:1", "verdict": "maybe"}, auth=True),
    ],
    ("delete", "/api/terms/{term_id}/reviews/{fingerprint}"): [
        Call(f"/api/terms/gpu/reviews/{ALPHA}", 204, auth=True),
        Call(f"/api/terms/gpu/reviews/{ALPHA}", 404, auth=True),
    ],
    ("post", "/api/terms/{term_id}/reviews/{fingerprint}/no-match"): [
        Call(f"/api/terms/gpu/reviews/{GAMMA}/no-match", 200, auth=True),
        Call("/api/terms/gpu/reviews/0000000000000000/no-match", 404, auth=True),
    ],
    ("get", "/api/status"): [Call("/api/status", 200), Call("/api/status?x=1", 200)],
    ("get", "/healthz"): [Call("/healthz", 200)],
    ("get", "/readyz"): [Call("/readyz", 200), Call("/readyz?x=1", 200)],
}


def _operation_of(app: Any, method: str, url: str) -> Any:
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(url.split("?")[0], method=method.upper())
    return app.view_functions[endpoint].operation


def _openapi_schema(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any] | None:
    documented = spec["paths"][path][method]["responses"][str(status)]
    content = documented.get("content", {}).get("application/json")
    return None if content is None else {**content["schema"], "components": spec["components"]}


def test_every_operation_keeps_its_contract(app: Any, client: Any) -> None:
    spec = client.get("/openapi.json").get_json()
    operations = {(method, path) for path, methods in spec["paths"].items() for method in methods}
    assert operations == set(CALLS), "every operation (and only those) has calls here"
    for (method, path), calls in CALLS.items():
        statuses = set()
        for call in calls:
            response = client.open(
                call.url,
                method=method.upper(),
                json=call.json,
                data=call.data,
                content_type=call.content_type,
                headers=AUTH if call.auth else {},
            )
            where = f"{method.upper()} {call.url}"
            assert response.status_code == call.status, (where, response.get_data(as_text=True))
            assert response_problems(_operation_of(app, method, call.url), response) == [], where
            schema = _openapi_schema(spec, path, method, response.status_code)
            if schema is not None:
                jsonschema.Draft202012Validator(schema).validate(response.get_json())
            statuses.add(response.status_code)
        if path not in ("/api/terms/{term_id}/history", "/api/changes"):  # no git history here
            assert any(200 <= s < 300 for s in statuses), f"{method} {path} is never called successfully"
        if path not in ("/healthz", "/readyz", "/api/status"):  # nothing to refuse (503 is tested elsewhere)
            assert any(s >= 400 for s in statuses), f"{method} {path} is never refused"


def test_a_body_that_leaves_its_schema_is_caught(tmp_path: Path, app_config: dict[str, Any]) -> None:
    class Out(Schema):
        name = fields.String(required=True)

    bp = Blueprint("broken", __name__)

    @operation(bp, "/api/broken", args=None, responses={200: Out}, cached=False)
    def broken() -> Any:
        """Answers with a field its contract does not declare."""
        return {"name": "x", "added": 1}

    @operation(bp, "/api/undeclared-error", responses={200: Out}, cached=False)
    def undeclared() -> Any:
        """Fails with a code it does not declare."""
        from service.errors import ApiError

        raise ApiError(Error.CONFLICT, "not declared")

    app = create_app(app_config)
    app.register_blueprint(bp)
    client = app.test_client()
    response = client.get("/api/broken")
    assert response.status_code == 500
    assert "added" in str(response.get_json()["error"]["details"]["problems"])
    response = client.get("/api/undeclared-error")
    assert response.status_code == 500
    assert "409 conflict: not a declared error" in str(response.get_json()["error"]["details"]["problems"])
    app.extensions["glossary"].index.close()


def test_every_error_code_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \| \d{3} \|", readme, re.M))
    assert documented == {e.code for e in Error}

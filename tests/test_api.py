"""Every endpoint and every error through Flask's test client, checked against /openapi.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.support import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    return client.get("/openapi.json").get_json()  # type: ignore[no-any-return]


def conforms(spec: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The response body validates against the schema the spec documents for its status."""
    documented = spec["paths"][path][method]["responses"][str(response.status_code)]
    if "content" not in documented:
        return
    schema = documented["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": spec["components"]})
    validator.validate(response.get_json())


def error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


def test_list_terms_paged_and_filtered(client: Any, spec: dict[str, Any]) -> None:
    r = client.get("/api/terms?limit=2")
    conforms(spec, "/api/terms", "get", r)
    body = r.get_json()
    assert body["total"] == 4 and len(body["terms"]) == 2 and body["next"] == "/api/terms?limit=2&offset=2"
    assert client.get(body["next"]).get_json()["next"] is None
    assert [t["id"] for t in client.get("/api/terms?tag=hardware").get_json()["terms"]] == ["gpu"]
    assert [t["id"] for t in client.get("/api/terms?status=deprecated").get_json()["terms"]] == ["ai-plant"]
    assert {t["id"] for t in client.get("/api/terms?lang=ko").get_json()["terms"]} == {"digital-twin", "ai-factory"}
    details = error_shape(client.get("/api/terms?limit=0"), 400, "bad_arguments")["details"]
    assert "limit" in details
    error_shape(client.get("/api/terms?status=old"), 400)


def test_term_detail(client: Any, spec: dict[str, Any]) -> None:
    r = client.get("/api/terms/digital-twin")
    conforms(spec, "/api/terms/{term_id}", "get", r)
    t = r.get_json()
    assert t["labels"]["en"][0] == {"label": "digital twin", "kind": "preferred", "status": "preferred"}
    assert {"label": "virtual replica", "kind": "alternative", "status": "deprecated"} in t["labels"]["en"]
    assert all(lb["label"] != "digitial twin" for lb in t["labels"]["en"])  # hidden labels are never shown
    assert t["labels"]["ko"] == [{"label": "디지털 트윈", "kind": "preferred", "status": "preferred"}]
    assert "디지털 트윈".encode() in r.get_data() and r.get_data().endswith(b"}\n")  # UTF-8 as is, not \uXXXX
    assert t["related"] == [{"id": "ai-factory", "preferred": "AI factory"}]
    assert t["usage"] == {"passages": 3, "documents": 3, "first_seen": "2025-01-10", "last_seen": "2025-03-05"}
    plant = client.get("/api/terms/ai-plant").get_json()
    assert plant["status"] == "deprecated" and plant["replaced_by"] == {"id": "ai-factory", "preferred": "AI factory"}
    error = error_shape(client.get("/api/terms/digital-twins"), 404, "not_found")
    assert [t["id"] for t in error["details"]["suggestions"]] == ["digital-twin"]  # one rule with /api/lookup


def test_term_passages(client: Any, spec: dict[str, Any]) -> None:
    r = client.get("/api/terms/digital-twin/passages")
    conforms(spec, "/api/terms/{term_id}/passages", "get", r)
    body = r.get_json()
    assert body["term"] == "digital-twin" and body["total"] == 3 and body["next"] is None
    first = body["passages"][0]
    assert (first["doc"], first["passage"], first["date"], first["title"]) == ("gamma", "gamma:1", "2025-03-05", "감마")
    assert first["matches"] == [{"start": 0, "end": 6, "label": "디지털 트윈", "rule": "exact", "nested": False}]
    alpha = body["passages"][1]
    assert [alpha["text"][m["start"] : m["end"]] for m in alpha["matches"]] == ["digital twin", "digital twins"]
    page = client.get("/api/terms/digital-twin/passages?limit=1&offset=1").get_json()
    assert page["passages"][0]["passage"] == "alpha:1"
    assert page["next"] == "/api/terms/digital-twin/passages?limit=1&offset=2"
    # The next page keeps the other arguments (the first of repeated ones), encoded again.
    page = client.get("/api/terms/digital-twin/passages?offset=0&sort=oldest&lang=%65n&limit=1&sort=newest")
    assert page.get_json()["next"] == "/api/terms/digital-twin/passages?sort=oldest&lang=en&limit=1&offset=1"
    assert client.get("/api/terms/digital-twin/passages?doc=alpha").get_json()["total"] == 1
    assert client.get("/api/terms/digital-twin/passages?since=2025-02-01").get_json()["total"] == 1
    assert client.get("/api/terms/digital-twin/passages?until=2025-02-01").get_json()["total"] == 1
    assert client.get("/api/terms/digital-twin/passages?lang=ko").get_json()["total"] == 1
    oldest = client.get("/api/terms/digital-twin/passages?sort=oldest").get_json()["passages"]
    assert [p["passage"] for p in oldest] == ["alpha:1", "gamma:1", "sub/beta:3"]
    error_shape(client.get("/api/terms/digital-twin/passages?limit=1001"), 400)
    error_shape(client.get("/api/terms/digital-twin/passages?since=yesterday"), 400)
    error_shape(client.get("/api/terms/nope/passages"), 404)


@pytest.mark.parametrize(
    ("label", "term", "rule"),
    [
        ("digital twin", "digital-twin", "exact"),
        ("DIGITAL TWIN", "digital-twin", "case"),
        ("Digital-Twin", "digital-twin", "variant"),
        ("AI factories", "ai-factory", "inflection"),
        ("디지털 트윈", "digital-twin", "exact"),
        ("디지털 트윈을", "digital-twin", "exact"),
        ("digitial twin", "digital-twin", "exact"),
        ("GPU's", "gpu", "inflection"),
        ("gpus", "gpu", "inflection"),
    ],
)
def test_lookup_resolves_any_form(client: Any, spec: dict[str, Any], label: str, term: str, rule: str) -> None:
    r = client.get("/api/lookup", query_string={"label": label})
    conforms(spec, "/api/lookup", "get", r)
    body = r.get_json()
    assert (body["term"], body["summary"]["id"], body["rule"]) == (term, term, rule)


def test_lookup_miss_suggests(client: Any) -> None:
    error = error_shape(client.get("/api/lookup?label=digtal%20twin"), 404)
    assert [t["id"] for t in error["details"]["suggestions"]] == ["digital-twin"]
    error_shape(client.get("/api/lookup"), 400)


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("digi", ("digital-twin", "digital twin")),
        ("디지털", ("digital-twin", "디지털 트윈")),
        ("twin", ("digital-twin", "digital twin")),
        ("digitial", ("digital-twin", "digital twin")),
        ("ai f", ("ai-factory", "AI factory")),
        ("디지털 트윈을", ("digital-twin", "디지털 트윈")),
    ],
)
def test_suggest(client: Any, spec: dict[str, Any], q: str, first: tuple[str, str]) -> None:
    r = client.get("/api/suggest", query_string={"q": q})
    conforms(spec, "/api/suggest", "get", r)
    s = r.get_json()["suggestions"]
    assert (s[0]["term"], s[0]["label"]) == first and len(s) <= 10


def test_search_passages_and_terms(client: Any, spec: dict[str, Any]) -> None:
    r = client.get("/api/search?q=digital%20twins")
    conforms(spec, "/api/search", "get", r)
    body = r.get_json()
    assert [t["id"] for t in body["terms"]] == ["digital-twin"]
    alpha = next(p for p in body["passages"] if p["passage"] == "alpha:1")
    assert [alpha["text"][h["start"] : h["end"]] for h in alpha["highlights"]][:2] == ["digital", "twin"]
    ko = client.get("/api/search", query_string={"q": "디지털"}).get_json()
    assert [p["passage"] for p in ko["passages"]] == ["gamma:1"]


@pytest.mark.parametrize("q", ["AND OR NOT", '"unclosed', "title:(x", "* ? ~2 ^3 [a TO b] {}", "\\", "((((", "a -b +c"])
def test_search_never_chokes_on_query_syntax(client: Any, q: str) -> None:
    r = client.get("/api/search", query_string={"q": q})
    assert r.status_code == 200 and "passages" in r.get_json()


def test_annotate_json_and_text(client: Any, spec: dict[str, Any]) -> None:
    r = client.post("/api/annotate", json={"text": "Two AI factories and a GPU's fan.", "lang": "en"})
    conforms(spec, "/api/annotate", "post", r)
    assert r.get_json()["matches"] == [
        {"term": "ai-factory", "start": 4, "end": 16, "label": "AI factory", "rule": "inflection", "nested": False},
        {"term": "gpu", "start": 23, "end": 28, "label": "GPU", "rule": "inflection", "nested": False},
    ]
    error_shape(client.post("/api/annotate?overlaps=some", json={"text": "x"}), 400, "bad_arguments")
    r = client.post("/api/annotate", data="디지털 트윈을".encode(), content_type="text/plain; charset=utf-8")
    assert r.get_json()["matches"][0]["term"] == "digital-twin"
    error_shape(client.post("/api/annotate", data="x", content_type="application/xml"), 415)
    error_shape(client.post("/api/annotate", data="{bad json", content_type="application/json"), 400, "bad_json")
    details = error_shape(client.post("/api/annotate", json={"txt": "x"}), 422)["details"]
    assert "text" in details and "txt" in details
    error_shape(client.post("/api/annotate", data=b"\xff\xfe", content_type="text/plain"), 400)
    error_shape(client.post("/api/annotate", json={"text": "x" * 1_100_000}), 413)


def test_documents_crud_with_token(client: Any, spec: dict[str, Any], corpus_dir: Path, backend: str) -> None:
    new = {
        "id": "news/new-one",
        "title": "New",
        "date": "2025-08-01",
        "text": "A digital twin of a GPU cluster.\n\nSecond.",
    }
    error_shape(client.post("/api/documents", json=new), 401)
    error_shape(client.post("/api/documents", json=new, headers={"Authorization": "Bearer wrong"}), 401)
    r = client.post("/api/documents", json=new, headers=AUTH)
    conforms(spec, "/api/documents", "post", r)
    assert r.status_code == 201 and r.headers["Location"] == "/api/documents/news/new-one"
    assert (corpus_dir / "news" / "new-one.md").is_file() == (backend == "whoosh")  # PostgreSQL: the database only
    error_shape(client.post("/api/documents", json=new, headers=AUTH), 409)
    got = client.get("/api/documents/news/new-one")
    conforms(spec, "/api/documents/{doc_id}", "get", got)
    body = got.get_json()
    assert (body["title"], body["date"], body["text"]) == ("New", "2025-08-01", new["text"])
    assert [p["passage"] for p in body["passages"]] == ["news/new-one:1", "news/new-one:2"]
    assert client.get("/api/terms/digital-twin/passages").get_json()["passages"][0]["passage"] == "news/new-one:1"
    r = client.put("/api/documents/news/new-one", json={"text": "Now about AI factories."}, headers=AUTH)
    conforms(spec, "/api/documents/{doc_id}", "put", r)
    assert r.status_code == 200
    assert client.get("/api/terms/digital-twin/passages").get_json()["total"] == 3
    assert client.put("/api/documents/other", json={"text": "x"}, headers=AUTH).status_code == 201
    assert client.delete("/api/documents/news/new-one", headers=AUTH).status_code == 204
    error_shape(client.get("/api/documents/news/new-one"), 404)
    error_shape(client.delete("/api/documents/news/new-one", headers=AUTH), 404)
    assert not (corpus_dir / "news" / "new-one.md").exists()


@pytest.mark.parametrize("doc_id", ["..%2Fetc%2Fpasswd", "a/../b", "a%0Ab", "x%01y", ".hidden"])
def test_bad_document_ids_are_400(client: Any, doc_id: str) -> None:
    error_shape(client.get(f"/api/documents/{doc_id}"), 400)
    error_shape(client.put(f"/api/documents/{doc_id}", json={"text": "x"}, headers=AUTH), 400)


def test_document_body_validation(client: Any) -> None:
    details = error_shape(
        client.post("/api/documents", json={"id": "../x", "date": "soon", "colour": 1}, headers=AUTH), 422
    )["details"]
    assert {"id", "date", "colour"} <= set(details)
    # Text is needed unless a url says where to fetch it.
    details = error_shape(client.post("/api/documents", json={"id": "x"}, headers=AUTH), 422)["details"]
    assert set(details) == {"text"}
    error_shape(client.post("/api/documents", data="x", content_type="text/plain", headers=AUTH), 415)
    error_shape(client.post("/api/documents", json={"id": "big", "text": "x" * 1_100_000}, headers=AUTH), 413)


def test_writes_refused_without_configured_token(app_config: dict[str, Any]) -> None:
    from service import create_app

    client = create_app({**app_config, "WRITE_TOKEN": None}).test_client()
    error_shape(client.post("/api/documents", json={"id": "a", "text": "b"}, headers=AUTH), 403, "writes_disabled")


def test_status_health_and_invalid_glossary_edit(client: Any, spec: dict[str, Any], glossary_file: Path) -> None:
    r = client.get("/api/status")
    conforms(spec, "/api/status", "get", r)
    status = r.get_json()
    version = status["glossary"]["version"]
    assert status["glossary"]["problems"] == [] and status["index"]["passages"] == 7
    assert status["index"]["documents"] == 3
    assert status["index"]["matcher"] == "compiled"  # make install built index/_scan.c
    assert client.get("/healthz").get_json() == {"status": "ok"}
    glossary_file.write_text(glossary_file.read_text().replace("    definition: A graphics processing unit.\n", ""))
    status = client.get("/api/status").get_json()
    assert status["glossary"]["version"] == version
    problem = status["glossary"]["problems"][0]
    assert (problem["term"], problem["field"]) == ("gpu", "definition") and problem["line"]
    assert client.get("/api/terms/gpu").status_code == 200  # the last good glossary keeps serving


def test_valid_glossary_edit_is_live_once_the_writer_stored_it(app: Any, client: Any, glossary_file: Path) -> None:
    before = client.get("/api/terms/gpu").headers["X-Glossary-Version"]
    glossary_file.write_text(
        glossary_file.read_text().replace("    term: GPU\n", "    term: GPU\n    aliases: [old name]\n")
    )
    status = client.get("/api/status").get_json()
    assert status["glossary"]["pending"] and status["glossary"]["version"] == before
    r = client.get("/api/terms/gpu/passages")  # until the writer stores it: the old glossary with its postings
    assert r.headers["X-Glossary-Version"] == before and r.get_json()["total"] == 2
    assert app.extensions["glossary"].writer.run_once() == ["rematch", "candidates", "aliases"]
    r = client.get("/api/terms/gpu/passages")
    assert r.headers["X-Glossary-Version"] != before
    status = client.get("/api/status").get_json()
    assert not status["glossary"]["pending"] and status["writer"]["state"] == "done"
    assert [p["passage"] for p in r.get_json()["passages"]] == ["alpha:2", "sub/beta:1", "sub/beta:2"]


def test_etag_and_cache_control(client: Any) -> None:
    r = client.get("/api/terms/gpu")
    assert r.headers["Cache-Control"] == "no-cache" and r.headers["ETag"]
    again = client.get("/api/terms/gpu", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_error_shapes_for_unknown_urls_methods_and_crashes(app: Any) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/boom", "boom", boom)  # before the first request, as Flask requires
    client = app.test_client()
    error_shape(client.get("/api/nothing-here"), 404, "not_found")
    r = client.post("/api/terms")
    error_shape(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]
    r = client.get("/api/boom")
    error = error_shape(r, 500, "internal_error")
    assert "secret" not in json.dumps(error) and "Traceback" not in r.get_data(as_text=True)


def test_openapi_lists_every_api_route(app: Any, spec: dict[str, Any]) -> None:
    routes = {
        str(rule) for rule in app.url_map.iter_rules() if str(rule).startswith(("/api/", "/healthz", "/readyz"))
    } - {"/api/docs"}
    assert len(routes) >= 13
    documented = {re.sub(r"{(\w+)}", r"<\1>", p).replace("<doc_id>", "<doc_id:doc_id>") for p in spec["paths"]}
    assert routes == documented
    assert spec["openapi"].startswith("3.1")


def test_api_docs_page(client: Any) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200 and "GET /api/terms/{term_id}/passages" in r.get_data(as_text=True)


def test_response_cache_follows_the_versions(app: Any, client: Any, glossary_file: Path) -> None:
    first = client.get("/api/terms/gpu/passages")
    again = client.get("/api/terms/gpu/passages")
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    client.put("/api/documents/cache-test", json={"text": "One more GPU."}, headers=AUTH)
    after_write = client.get("/api/terms/gpu/passages").get_json()
    assert after_write["total"] == first.get_json()["total"] + 1  # a write changes the index version
    glossary_file.write_text(
        glossary_file.read_text().replace("    term: GPU\n", "    term: GPU\n    aliases: [one more]\n")
    )
    app.extensions["glossary"].writer.run_once()
    assert client.get("/api/terms/gpu/passages").headers["ETag"] != first.headers["ETag"]


def test_json_bodies_convert_what_the_encoder_does_not_know_as_flask_does(app: Any) -> None:
    import datetime
    import decimal

    with app.app_context():
        body = app.json.dumps({"at": datetime.date(2026, 1, 2), "n": decimal.Decimal("1.5"), 3: "x"})
    assert json.loads(body) == {"at": "Fri, 02 Jan 2026 00:00:00 GMT", "n": "1.5", "3": "x"}

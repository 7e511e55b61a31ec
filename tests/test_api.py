"""The public JSON API (/api/v1/): what the home and webinar pages show, as JSON, and
every response checked against the OpenAPI 3.1 description it serves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator

from eventsapp.api.openapi import DOCUMENT
from eventsapp.extensions import db
from eventsapp.models import Webinar
from tests.support import create_user, create_webinar, login, organisation, register_via

BASE = "https://webinars.example.org"


def _webinars() -> None:
    """One webinar in each state the API reports."""
    now = datetime.now(UTC)
    organisation("clinic").website = "https://clinic.example.org"
    winter = create_webinar(
        slug="winter", starts_at=datetime(2030, 1, 15, 18, 30, tzinfo=UTC), capacity=40
    )
    winter.seats_taken = 3
    winter.panel[0].speaker.photo_filename = "abcdef0123456789.jpg"
    create_webinar(
        slug="summer",
        title="Neck pain in summer",
        starts_at=datetime(2030, 7, 2, 17, 0, tzinfo=UTC),
        capacity=0,
    )
    create_webinar(slug="no-list", title="Sleep and pain", capacity=0, waitlist_enabled=False)
    create_webinar(slug="shut", title="Pacing your day", registration_open=False)
    create_webinar(slug="off", title="Called off", status="cancelled")
    create_webinar(slug="done", title="Last month's panel", starts_at=now - timedelta(days=30))
    create_webinar(slug="draft", title="Unannounced pacing session", status="draft")
    db.session.commit()


def test_list_shows_what_the_home_page_shows(any_ctx):
    _webinars()
    client = any_ctx.test_client()
    home = client.get("/").get_data(as_text=True)
    response = client.get("/api/v1/webinars")
    assert response.status_code == 200 and response.mimetype == "application/json"
    listed = response.get_json()["webinars"]
    assert [w["slug"] for w in listed] == ["no-list", "shut", "off", "winter", "summer"]
    for item in listed:
        assert item["title"] in home
    assert "Unannounced" not in response.text and "Last month" not in response.text
    by_slug = {w["slug"]: w for w in listed}
    assert {slug: w["availability"] for slug, w in by_slug.items()} == {
        "winter": "open",
        "summer": "waitlist",
        "no-list": "full",
        "shut": "closed",
        "off": "cancelled",
    }
    winter = by_slug["winter"]
    assert "37 places left" in home and winter["places_left"] == 37
    assert "join the waiting list" in home and by_slug["summer"]["places_left"] is None
    assert winter["starts_at"] == "2030-01-15T18:30:00Z"
    assert winter["ends_at"] == "2030-01-15T19:30:00Z"
    assert winter["when"] == "Tuesday 15 January 2030, 6:30pm to 7:30pm GMT"
    assert winter["when"].split(", ")[0] in home and "6:30pm to 7:30pm GMT" in home
    assert by_slug["summer"]["when"].endswith("6:00pm to 7:00pm BST")
    assert winter["hosts"] == [
        {"name": "Meadowbank Medical Cannabis Clinic", "website": "https://clinic.example.org"},
        {"name": "BackWell UK", "website": None},
    ]
    (chair,) = winter["panel"]
    assert chair["name"] == "Dr Helen Marsh" and chair["role"] == "chair"
    assert chair["professional_title"] == "Consultant in Pain Medicine"
    speaker_id = db.session.scalars(db.select(Webinar).filter_by(slug="winter")).one().panel[0]
    assert chair["photo_url"] == f"{BASE}/speakers/{speaker_id.speaker_id}/photo?v=abcdef01"
    assert by_slug["summer"]["panel"][0]["photo_url"] is None
    assert winter["url"] == f"{BASE}/webinars/winter"
    assert winter["registration_url"] == f"{BASE}/webinars/winter#register"
    assert by_slug["summer"]["registration_url"] == f"{BASE}/webinars/summer#register"
    assert by_slug["off"]["registration_url"] is None
    assert winter["ics_url"] == f"{BASE}/webinars/winter/calendar.ics"
    assert client.get(winter["ics_url"].removeprefix(BASE)).mimetype == "text/calendar"


def test_detail_for_a_slug_including_past_and_cancelled(any_ctx):
    _webinars()
    client = any_ctx.test_client()
    listed = {w["slug"]: w for w in client.get("/api/v1/webinars").get_json()["webinars"]}
    for slug, item in listed.items():
        assert client.get(f"/api/v1/webinars/{slug}").get_json() == item
    done = client.get("/api/v1/webinars/done").get_json()
    assert done["availability"] == "past" and done["registration_url"] is None
    assert client.get("/api/v1/webinars/off").get_json()["availability"] == "cancelled"


def test_unknown_draft_and_wrong_method_are_problem_documents(any_ctx):
    _webinars()
    client = any_ctx.test_client()
    for path in ("/api/v1/webinars/no-such-thing", "/api/v1/webinars/draft", "/api/v2/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
        assert response.get_json() == {"type": "about:blank", "title": "Not found", "status": 404}
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    wrong = client.post("/api/v1/webinars", json={})
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"
    assert wrong.get_json()["title"] == "Method not allowed"
    assert "GET" in wrong.headers["Allow"]
    # The site's own pages keep their HTML error page.
    assert client.get("/webinars/no-such-thing").mimetype == "text/html"


def test_etag_gives_304_on_repeat_and_changes_with_the_places_left(client, ctx):
    webinar = create_webinar(slug="winter", capacity=40)
    for path in ("/api/v1/webinars", "/api/v1/webinars/winter", "/api/v1/openapi.json"):
        first = client.get(path)
        assert first.headers["Cache-Control"] == "public, max-age=60", path
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", path
        assert again.headers["Access-Control-Allow-Origin"] == "*"
    etag = client.get("/api/v1/webinars/winter").headers["ETag"]
    webinar.seats_taken = 1
    db.session.commit()
    changed = client.get("/api/v1/webinars/winter", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["places_left"] == 39


def test_cors_for_any_origin_and_no_cookies_even_when_signed_in(client, ctx):
    create_webinar(slug="winter")
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    origin = {"Origin": "https://another-site.example"}
    response = client.get("/api/v1/webinars", headers=origin)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    preflight = client.options(
        "/api/v1/webinars/winter",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204 and preflight.data == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Set-Cookie" not in preflight.headers


def test_no_personal_data_in_the_api(any_ctx):
    create_webinar(slug="winter", join_url="https://zoom.example.com/j/123456")
    client = any_ctx.test_client()
    assert register_via(client, "winter").status_code == 303
    api = any_ctx.test_client()
    text = api.get("/api/v1/webinars").text + api.get("/api/v1/webinars/winter").text
    assert api.get("/api/v1/webinars/winter").get_json()["places_left"] == 49
    for secret in ("ann@example.com", "Ann Example", "Can I drive", "captions", "zoom.example"):
        assert secret not in text


# --- the OpenAPI description, and every response against it ----------------------------


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A Draft 2020-12 validator for a response schema, its local $refs (#/components/…)
    resolved against the OpenAPI document."""
    return Draft202012Validator({**schema, "components": DOCUMENT["components"]})


def test_openapi_document_is_a_structurally_valid_openapi_3_1(client, ctx):
    served = client.get("/api/v1/openapi.json").get_json()
    assert served == {**DOCUMENT, "servers": [{"url": BASE}]}
    assert served["openapi"] == "3.1.0"
    assert served["info"]["title"] and served["info"]["version"]
    assert served["paths"] and served["components"]["schemas"]
    for ref in _refs(served):
        assert _resolve(served, ref) is not None, ref
    for name, schema in served["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        assert name
    ids = []
    for path, item in served["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, operation in item.items():
            assert method in {"get", "head", "options", "post", "put", "patch", "delete"}
            ids.append(operation["operationId"])
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert f"{{{parameter['name']}}}" in path and parameter["required"]
                else:
                    assert parameter["in"] == "query" and not parameter["required"]
            # Private operations name the key scheme and answer 401 and 429.
            if "security" in operation:
                assert operation["security"] == [{"organisationKey": []}]
                assert {"401", "404", "429"} <= set(operation["responses"])
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status) and response["description"]
                for content in response.get("content", {}).values():
                    Draft202012Validator.check_schema(content["schema"])
    assert len(ids) == len(set(ids))
    # Every API route is documented, and nothing documented is missing.
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in ctx.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert routes == set(served["paths"])


def test_every_documented_response_validates_against_its_schema(any_ctx):
    """The public operations, each status produced by hand (the private ones, with keys:
    tests/test_api_schema.py and tests/test_api_keys.py)."""
    _webinars()
    client = any_ctx.test_client()
    slugs = ["winter", "summer", "no-list", "shut", "off", "done"]
    checked: set[tuple[str, str]] = set()
    for path, item in DOCUMENT["paths"].items():
        for verb, operation in item.items():
            if "security" in operation:
                continue
            method = verb.upper()
            urls = [path.replace("{slug}", s) for s in slugs] if "{slug}" in path else [path]
            for status, documented in operation["responses"].items():
                if status == "200":
                    responses = [client.open(url, method=method) for url in urls]
                elif status == "304":
                    responses = [
                        client.open(url, method=method, headers={"If-None-Match": etag})
                        for url in urls
                        for etag in [client.open(url, method=method).headers["ETag"]]
                    ]
                elif status == "404":
                    responses = [client.open(path.replace("{slug}", "no-such-webinar"))]
                else:
                    raise AssertionError(f"no way to produce {status} for {path}")
                for response in responses:
                    assert response.status_code == int(status), (path, status)
                    content = documented.get("content")
                    if content is None:
                        assert response.data == b"", (path, status)
                        continue
                    (media_type,) = content
                    assert response.mimetype == media_type, (path, status)
                    _validator(content[media_type]["schema"]).validate(response.get_json())
                    checked.add((path, status))
    assert ("/api/v1/webinars", "200") in checked
    assert ("/api/v1/webinars/{slug}", "404") in checked


def test_the_public_api_ignores_keys_and_the_document_describes_the_private_one(client, ctx):
    """A key sent to a public operation changes nothing (still shared and cacheable); the
    private operations are in the same document, marked with the key scheme."""
    create_webinar(slug="winter")
    plain = client.get("/api/v1/webinars/winter")
    keyed = client.get(
        "/api/v1/webinars/winter", headers={"Authorization": "Bearer bpw_x_not-a-key"}
    )
    assert keyed.status_code == 200 and keyed.data == plain.data
    assert keyed.headers["Access-Control-Allow-Origin"] == "*"
    assert keyed.headers["Cache-Control"] == "public, max-age=60"
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["organisationKey"] == {**schemes["organisationKey"], "scheme": "bearer"}
    private = {
        path
        for path, item in DOCUMENT["paths"].items()
        for operation in item.values()
        if operation.get("security") == [{"organisationKey": []}]
    }
    assert "/api/v1/registrations" in private and "/api/v1/webinars" not in private
    problem = DOCUMENT["components"]["schemas"]["Problem"]["properties"]
    assert "detail" in problem

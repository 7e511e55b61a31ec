"""The OpenAPI 3.1 description of the public JSON API: the one source of its contract.

Served at /api/v1/openapi.json (with `servers` added from PUBLIC_BASE_URL); the tests
validate every documented response against these JSON Schemas (Draft 2020-12).
Objects allow no other properties, so nothing undocumented (personal data above all) can
appear in a response without the tests failing.
"""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"

_URL = {"type": "string", "format": "uri"}
_NULLABLE_URL = {"type": ["string", "null"], "format": "uri"}
_UTC = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
    "description": "ISO 8601, UTC (ends in Z).",
}


def _json(schema: str, description: str, media_type: str = "application/json") -> dict[str, Any]:
    return {
        "description": description,
        "content": {media_type: {"schema": {"$ref": _REF + schema}}},
    }


_NOT_MODIFIED = {"description": "Not modified: the ETag given in If-None-Match still holds."}
_CACHE_HEADERS = {
    "ETag": {
        "description": "A tag of this response; send it back in If-None-Match.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "`public, max-age=60`.", "schema": {"type": "string"}},
}
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The webinar's name in its page's address, e.g. `back-pain-panel`.",
    "schema": {"type": "string", "pattern": "^[^/]+$"},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
    "info": {
        "title": "Back pain webinars",
        "version": "1.0.0",
        "summary": "Free webinars about chronic back pain: what is on and whether places are left.",
        "description": (
            "Public and read-only; no key needed. Times are UTC; `when` is the wording the site "
            "shows, in UK time. Responses may be kept for 60 seconds and revalidated with "
            "their ETag. Errors are RFC 9457 problem documents."
        ),
    },
    "paths": {
        "/api/v1/webinars": {
            "get": {
                "operationId": "listWebinars",
                "summary": "Webinars that have not ended, soonest first",
                "description": (
                    "What the home page lists, cancelled ones included (with their state)."
                ),
                "responses": {
                    "200": {
                        **_json("WebinarList", "The upcoming webinars."),
                        "headers": _CACHE_HEADERS,
                    },
                    "304": _NOT_MODIFIED,
                },
            }
        },
        "/api/v1/webinars/{slug}": {
            "get": {
                "operationId": "getWebinar",
                "summary": "One published webinar, past and cancelled ones included",
                "parameters": [_SLUG],
                "responses": {
                    "200": {**_json("Webinar", "The webinar."), "headers": _CACHE_HEADERS},
                    "304": _NOT_MODIFIED,
                    "404": _json(
                        "Problem", "No published webinar has this slug.", "application/problem+json"
                    ),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This description",
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"$ref": _REF + "OpenApi"}}},
                    },
                    "304": _NOT_MODIFIED,
                },
            }
        },
    },
    "components": {
        "schemas": {
            "WebinarList": {
                "type": "object",
                "required": ["webinars"],
                "additionalProperties": False,
                "properties": {"webinars": {"type": "array", "items": {"$ref": _REF + "Webinar"}}},
            },
            "Webinar": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "slug",
                    "title",
                    "summary",
                    "starts_at",
                    "ends_at",
                    "when",
                    "hosts",
                    "panel",
                    "availability",
                    "places_left",
                    "url",
                    "registration_url",
                    "ics_url",
                ],
                "properties": {
                    "slug": {"type": "string", "minLength": 1},
                    "title": {"type": "string", "minLength": 1},
                    "summary": {"type": "string"},
                    "starts_at": _UTC,
                    "ends_at": _UTC,
                    "when": {
                        "type": "string",
                        "description": "UK time, as the site says it: "
                        "'Tuesday 15 December 2026, 6:30pm to 7:45pm GMT'.",
                    },
                    "hosts": {"type": "array", "items": {"$ref": _REF + "Host"}},
                    "panel": {"type": "array", "items": {"$ref": _REF + "PanelMember"}},
                    "availability": {
                        "type": "string",
                        "enum": ["open", "waitlist", "full", "closed", "past", "cancelled"],
                        "description": (
                            "open: places left; waitlist: full, registering joins the waiting "
                            "list; full: no waiting list; closed: registration closed; past: it "
                            "has ended; cancelled."
                        ),
                    },
                    "places_left": {
                        "type": ["integer", "null"],
                        "minimum": 1,
                        "description": "Places left when `availability` is open, else null.",
                    },
                    "url": {**_URL, "description": "The webinar's page."},
                    "registration_url": {
                        **_NULLABLE_URL,
                        "description": "Where to register (open or waitlist), else null.",
                    },
                    "ics_url": {**_URL, "description": "A calendar file for the webinar."},
                },
                "if": {"properties": {"availability": {"const": "open"}}},
                "then": {"properties": {"places_left": {"type": "integer"}}},
                "else": {"properties": {"places_left": {"type": "null"}}},
            },
            "Host": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "website"],
                "properties": {"name": {"type": "string"}, "website": _NULLABLE_URL},
            },
            "PanelMember": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "role", "professional_title", "photo_url"],
                "properties": {
                    "name": {"type": "string"},
                    "role": {"type": "string", "enum": ["chair", "moderator", "panellist"]},
                    "professional_title": {"type": ["string", "null"]},
                    "photo_url": _NULLABLE_URL,
                },
            },
            "Problem": {
                "type": "object",
                "description": "RFC 9457 problem details.",
                "required": ["type", "title", "status"],
                "additionalProperties": False,
                "properties": {
                    "type": {"type": "string", "const": "about:blank"},
                    "title": {"type": "string"},
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                },
            },
            "OpenApi": {
                "type": "object",
                "required": ["openapi", "info", "paths", "components"],
                "properties": {"openapi": {"const": "3.1.0"}},
            },
        }
    },
}

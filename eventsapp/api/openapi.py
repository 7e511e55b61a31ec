"""The OpenAPI 3.1 description of the public JSON API: the one source of its contract.

Served at /api/v1/openapi.json (with `servers` added from PUBLIC_BASE_URL); the tests
validate every documented response against these JSON Schemas (Draft 2020-12).
Objects allow no other properties, so nothing undocumented (personal data above all) can
appear in a response without the tests failing. Lists of values (statuses, roles,
languages) are read from the code's enums, so the two cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from eventsapp.locales import LANGUAGES
from eventsapp.models import (
    AUDIENCES,
    ApiAccess,
    AttendanceSource,
    PanelRole,
    RegistrationStatus,
    WebinarStatus,
)
from eventsapp.services.webinars import Availability


def _enum(values: type[StrEnum], *but: StrEnum) -> dict[str, Any]:
    """A string that is one of the enum's values: the list follows the code."""
    return {"type": "string", "enum": [v.value for v in values if v not in but]}


_REGISTRATION_STATUS = _enum(RegistrationStatus)

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


_CURSOR_PAGE = {
    "type": ["string", "null"],
    "description": "Pass as `cursor` for the next page; null when there is no more now.",
}
_COUNT = {"type": "integer", "minimum": 0}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_PRIVATE_SCHEMAS: dict[str, Any] = {
    "OrganisationKey": {
        "type": "object",
        "additionalProperties": False,
        "required": ["organisation", "key"],
        "properties": {
            "organisation": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "slug", "name"],
                "properties": {
                    "id": {"type": "integer"},
                    "slug": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
            "key": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "prefix", "access", "include_health", "created_at"],
                "properties": {
                    "name": {"type": "string"},
                    "prefix": {"type": "string", "description": "The key starts `bpw_<prefix>_`."},
                    "access": _enum(ApiAccess),
                    "include_health": {"type": "boolean"},
                    "created_at": _UTC,
                },
            },
        },
    },
    "OrganisationWebinarList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["webinars"],
        "properties": {
            "webinars": {"type": "array", "items": {"$ref": _REF + "OrganisationWebinar"}}
        },
    },
    "OrganisationWebinar": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "slug",
            "title",
            "status",
            "starts_at",
            "ends_at",
            "capacity",
            "hosts",
            "url",
            "counts",
        ],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "status": _enum(WebinarStatus),
            "starts_at": _UTC,
            "ends_at": _UTC,
            "capacity": _COUNT,
            "hosts": {"type": "array", "items": {"type": "string"}},
            "url": {**_NULLABLE_URL, "description": "Its public page; null for a draft."},
            "counts": {
                "type": "object",
                "additionalProperties": False,
                "required": ["confirmed", "waitlisted", "cancelled", "attended"],
                "properties": {
                    "confirmed": _COUNT,
                    "waitlisted": _COUNT,
                    "cancelled": _COUNT,
                    "attended": _COUNT,
                },
            },
        },
    },
    "Registration": {
        "type": "object",
        "description": (
            "A registration as one host organisation sees it (the same record as in "
            "webhooks). Erased people (`erased`: on request or after the retention period) "
            "keep only id, webinar, status, attendance and times: every personal field is "
            "null. `i_am`, `question_for_panel`, `access_needs`, `communication_needs` and "
            "`registered_by_carer` are present only for a key created to include health "
            "details; answers to questions marked about health are left out of `answers` "
            "otherwise."
        ),
        "additionalProperties": False,
        "required": [
            "id",
            "webinar",
            "status",
            "registered_at",
            "status_changed_at",
            "updated_at",
            "attended",
            "minutes_attended",
            "erased",
            "name",
            "email",
            "marketing_opt_in",
            "language",
            "answers",
        ],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "webinar": {"type": "string", "description": "The webinar's slug."},
            "status": _REGISTRATION_STATUS,
            "registered_at": _UTC,
            "status_changed_at": _UTC,
            "updated_at": {**_UTC, "description": "When anything about it last changed (UTC)."},
            "attended": {
                "type": "boolean",
                "description": "Checked in, or in the session for the webinar's minimum minutes.",
            },
            "minutes_attended": {"type": ["integer", "null"], "minimum": 0},
            "erased": {"type": "boolean"},
            "name": _NULLABLE_TEXT,
            "email": _NULLABLE_TEXT,
            "marketing_opt_in": {
                "type": "boolean",
                "description": "Whether they asked for news from your organisation (only yours).",
            },
            "language": {
                "type": "string",
                "enum": list(LANGUAGES),
                "description": "The language they registered in (English or Welsh): their "
                "emails are in it.",
            },
            "answers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["question", "answer"],
                    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
                },
            },
            "i_am": {
                "type": ["string", "null"],
                "enum": [*AUDIENCES, None],
                "description": "Health details only.",
            },
            "question_for_panel": {**_NULLABLE_TEXT, "description": "Health details only."},
            "access_needs": {**_NULLABLE_TEXT, "description": "Health details only."},
            "communication_needs": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Health details only. What they asked for on the form: live_captions, "
                    "bsl_interpreter (British Sign Language), transcript, large_print_email, "
                    "plain_text_email, phone_call_reminder (more may be added). Empty once "
                    "erased."
                ),
            },
            "registered_by_carer": {
                "type": "boolean",
                "description": (
                    "Health details only. Someone registered them on their behalf (`name` "
                    "is the person attending; `email` may be the carer's)."
                ),
            },
        },
    },
    "RegistrationPage": {
        "type": "object",
        "additionalProperties": False,
        "required": ["registrations", "next_cursor"],
        "properties": {
            "registrations": {"type": "array", "items": {"$ref": _REF + "Registration"}},
            "next_cursor": _CURSOR_PAGE,
        },
    },
    "WebinarAttendance": {
        "type": "object",
        "additionalProperties": False,
        "required": ["webinar", "attendance_threshold_minutes", "attendance"],
        "properties": {
            "webinar": {"type": "string"},
            "attendance_threshold_minutes": {
                **_COUNT,
                "description": "Minutes in a platform's report that count as attending.",
            },
            "attendance": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "registration_id",
                        "status",
                        "attended",
                        "minutes_attended",
                        "source",
                        "updated_at",
                    ],
                    "properties": {
                        "registration_id": {"type": "integer"},
                        "status": _REGISTRATION_STATUS,
                        "attended": {"type": "boolean"},
                        "minutes_attended": {"type": ["integer", "null"], "minimum": 0},
                        "source": _enum(AttendanceSource),
                        "updated_at": _UTC,
                    },
                },
            },
        },
    },
    "OptInPage": {
        "type": "object",
        "additionalProperties": False,
        "required": ["opt_ins", "next_cursor"],
        "properties": {
            "opt_ins": {"type": "array", "items": {"$ref": _REF + "OptIn"}},
            "next_cursor": _CURSOR_PAGE,
        },
    },
    "OptIn": {
        "type": "object",
        "description": "One registration's choice about your organisation's news.",
        "additionalProperties": False,
        "required": [
            "registration_id",
            "webinar",
            "opted_in",
            "name",
            "email",
            "recorded_at",
            "updated_at",
        ],
        "properties": {
            "registration_id": {"type": "integer"},
            "webinar": {"type": "string"},
            "opted_in": {"type": "boolean"},
            "name": _NULLABLE_TEXT,
            "email": _NULLABLE_TEXT,
            "recorded_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When they opted in (UTC); null unless `opted_in`.",
            },
            "updated_at": _UTC,
        },
        "if": {"properties": {"opted_in": {"const": False}}},
        "then": {
            "properties": {
                "name": {"type": "null"},
                "email": {"type": "null"},
                "recorded_at": {"type": "null"},
            }
        },
    },
}

# --- the organisations' private API (api/private.py, docs/api.md) ---------------------------


def _problem(description: str) -> dict[str, Any]:
    return _json("Problem", description, "application/problem+json")


_PRIVATE_HEADERS = {
    "Cache-Control": {"description": "`no-store`.", "schema": {"type": "string"}},
}
_UNAUTHORISED = {
    **_problem("No key, or a key that is unknown or revoked."),
    "headers": {
        "WWW-Authenticate": {
            "description": 'The scheme to use: `Bearer realm="…"`.',
            "schema": {"type": "string"},
        }
    },
}
_TOO_MANY = {
    **_problem("This key made too many requests (API_KEY_RATE_LIMIT); wait and try again."),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}
_NOT_HERE = _problem(
    "Not found: it does not exist, or it belongs to a webinar your organisation does not host."
)
_WRONG_METHOD = _problem("This path does not take that method (see `Allow`).")


def _private(
    operation_id: str,
    summary: str,
    description: str,
    ok: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    write: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {**ok, "headers": _PRIVATE_HEADERS}}
    if parameters and any(p["in"] == "query" for p in parameters):
        responses["400"] = _problem("A query value cannot be used; `detail` says which and why.")
    responses["401"] = _UNAUTHORISED
    if write:
        responses["403"] = _problem("This key can only read.")
    responses["404"] = _NOT_HERE
    responses["405"] = _WRONG_METHOD
    responses.update(extra or {})
    responses["429"] = _TOO_MANY
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "security": [{"organisationKey": []}],
        "responses": dict(sorted(responses.items())),
    }
    if parameters:
        operation["parameters"] = parameters
    return operation


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_REGISTRATION_ID = {
    "name": "registration_id",
    "in": "path",
    "required": True,
    "description": "The registration's `id`.",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
_UPDATED_SINCE = _query(
    "updated_since",
    "Only what changed at or after this moment (ISO 8601 with a time zone, e.g. "
    "`2026-11-30T09:00:00Z`). Pass the latest `updated_at` you have seen.",
    {"type": "string", "format": "date-time"},
)
_CURSOR = _query(
    "cursor",
    "The `next_cursor` of the previous page, as it came (with the same other parameters).",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "maxLength": 200},
)
_LIMIT = _query(
    "limit",
    "Items per page, 1 to 200 (default 50).",
    {"type": "integer", "minimum": 1, "maximum": 200},
)
_PRIVATE_PATHS: dict[str, Any] = {
    "/api/v1/organisation": {
        "get": _private(
            "getOrganisation",
            "The organisation this key belongs to, and what the key may do",
            "Useful to check a key works.",
            _json("OrganisationKey", "The organisation and the key."),
        )
    },
    "/api/v1/organisation/webinars": {
        "get": _private(
            "listOrganisationWebinars",
            "The webinars your organisation hosts, drafts included, with counts",
            "Newest first. Co-hosted webinars are listed for each host.",
            _json("OrganisationWebinarList", "Your organisation's webinars."),
        )
    },
    "/api/v1/registrations": {
        "get": _private(
            "listRegistrations",
            "Registrations for your organisation's webinars, oldest change first",
            "In the order of `updated_at`, then `id`: a page ends with `next_cursor`. "
            "`updated_at` moves with any change to a registration: its status, its "
            "details, erasure, attendance, joining. To keep a copy in step, page through "
            "once, then ask with `updated_since` set to the latest `updated_at` you hold "
            "(you may see a few again).",
            _json("RegistrationPage", "A page of registrations."),
            parameters=[
                _query(
                    "webinar",
                    "Only this webinar (its slug). A webinar your organisation does not "
                    "host is a 404.",
                    {"type": "string", "minLength": 1, "maxLength": 200},
                ),
                _query(
                    "status",
                    "Only registrations with this status.",
                    _REGISTRATION_STATUS,
                ),
                _UPDATED_SINCE,
                _CURSOR,
                _LIMIT,
            ],
        )
    },
    "/api/v1/registrations/{registration_id}": {
        "get": _private(
            "getRegistration",
            "One registration",
            "Of a webinar your organisation hosts; any other is a 404.",
            _json("Registration", "The registration."),
            parameters=[_REGISTRATION_ID],
        )
    },
    "/api/v1/registrations/{registration_id}/cancel": {
        "post": _private(
            "cancelRegistration",
            "Cancel someone's place (read and write keys)",
            "As an organiser's “Cancel their place”: they are emailed, and a freed place "
            "goes to the first person on the waiting list. Audited as done with this key.",
            _json("Registration", "The registration, now cancelled."),
            parameters=[_REGISTRATION_ID],
            write=True,
            extra={"409": _problem("It is already cancelled.")},
        )
    },
    "/api/v1/registrations/{registration_id}/check-in": {
        "post": _private(
            "checkInRegistration",
            "Mark someone as attending (read and write keys)",
            "As an organiser's check-in by hand, for the whole session. Audited as done "
            "with this key.",
            _json("Registration", "The registration, now attended."),
            parameters=[_REGISTRATION_ID],
            write=True,
            extra={
                "409": _problem(
                    "They have no confirmed place, or their attendance comes from the "
                    "platform's report."
                )
            },
        )
    },
    "/api/v1/webinars/{slug}/attendance": {
        "get": _private(
            "getWebinarAttendance",
            "Who attended one of your organisation's webinars",
            "Every registration with an attendance record (a check-in, or a platform "
            "report). Match people by `registration_id`.",
            _json("WebinarAttendance", "The attendance records."),
            parameters=[_SLUG],
        )
    },
    "/api/v1/opt-ins": {
        "get": _private(
            "listOptIns",
            "People who asked for your organisation's news",
            "Only the choices made to your organisation: on a co-hosted webinar the other "
            "host's are never shown. Without `updated_since`: everyone opted in now. With "
            "it: every change since, withdrawals included (`opted_in` false, without "
            "name or email: delete them from your list).",
            _json("OptInPage", "A page of opt-ins."),
            parameters=[_UPDATED_SINCE, _CURSOR, _LIMIT],
        )
    },
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
            "their ETag. Errors are RFC 9457 problem documents.\n\n"
            "The organisations' private API (operations with a key): each host "
            "organisation reads the registrations, attendance and marketing opt-ins of "
            "the webinars it hosts, with a key an admin creates for it in the organisers' "
            "area. Send it as `Authorization: Bearer <key>`. Health details only with a "
            "key created to include them. Never cached, never available to web pages on "
            "other sites (no CORS). Limited per key; a 429 says when to try again."
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
        **_PRIVATE_PATHS,
    },
    "components": {
        "securitySchemes": {
            "organisationKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "An organisation's API key (`bpw_…`), from an admin.",
            }
        },
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
                        **_enum(Availability, Availability.DRAFT),  # never a draft in public
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
                    "role": _enum(PanelRole),
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
                    "detail": {"type": "string", "description": "What to do, in plain words."},
                },
            },
            **_PRIVATE_SCHEMAS,
            "OpenApi": {
                "type": "object",
                "required": ["openapi", "info", "paths", "components"],
                "properties": {"openapi": {"const": "3.1.0"}},
            },
        },
    },
}

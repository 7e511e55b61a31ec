"""The organisations' private API (docs/api.md): one organisation's registrations,
attendance and marketing opt-ins, with a key an admin made for it.

- `Authorization: Bearer <key>`; no key, an unknown or a revoked one: 401 with
  `WWW-Authenticate: Bearer`. A read-only key asking to change something: 403.
- Only webinars the key's organisation hosts: any other (or a missing one) is a 404,
  exactly as in the organisers' area. A co-hosted webinar is seen by both hosts, but each
  sees only the marketing opt-ins made to itself.
- Health details (questions for the panel, access needs, answers to health questions,
  "I am") only with a key created to include them (services/records.py).
- One transaction per request: reads run as reads (transactions.py), a change commits at
  the end of its view, audited as done through the key.
- Rate limited per key (API_KEY_RATE_LIMIT); responses are `Cache-Control: no-store` and
  carry no CORS header (api/views.py), so no other site's page can use a key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, abort, g, jsonify, request
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from eventsapp import rate_limits
from eventsapp.api import bp, params
from eventsapp.api.views import PRIVATE_ENDPOINTS, problem
from eventsapp.extensions import csrf, db
from eventsapp.links import external_url
from eventsapp.models import (
    ApiKey,
    Attendance,
    MarketingConsent,
    Registration,
    RegistrationStatus,
    Webinar,
    WebinarStatus,
    attended,
    webinar_hosts,
)
from eventsapp.services import api_keys, attendance, audit, records, registrants
from eventsapp.services.errors import DomainError
from eventsapp.uktime import utcnow

REALM = 'Bearer realm="Back pain webinars API"'
STATUSES = [str(s) for s in RegistrationStatus]


def _unauthorised(detail: str, invalid: bool) -> Response:
    challenge = REALM + (', error="invalid_token"' if invalid else "")
    return problem(401, detail=detail, headers={"WWW-Authenticate": challenge})


def _bearer() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def private(*, write: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """A view of the private API: authenticated by key, limited per key; `write`: needs a
    read and write key (and so no CSRF token: nothing here reads a cookie)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        limited = rate_limits.api_key(view)

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            secret = _bearer()
            if secret is None:
                return _unauthorised(
                    "Send your organisation's API key: Authorization: Bearer <key>.", False
                )
            key = api_keys.authenticate(secret)
            if key is None:
                return _unauthorised(
                    "This API key is not valid. It may have been revoked: ask an admin.", True
                )
            g.api_key = key
            api_keys.note_use(key, utcnow(), request.endpoint or "")
            if write and not key.can_write:
                return problem(
                    403, detail="This key can only read. Ask an admin for a read and write key."
                )
            with audit.acting_through(api_key=key.id, api_key_name=key.name):
                return limited(*args, **kwargs)

        PRIVATE_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
        if write:
            csrf.exempt(wrapper)
        return wrapper

    return decorate


def _key() -> ApiKey:
    return g.api_key  # type: ignore[no-any-return]


def _hosted() -> Select[tuple[int]]:
    return select(webinar_hosts.c.webinar_id).where(
        webinar_hosts.c.organisation_id == _key().organisation_id
    )


def _webinar_or_404(slug: str) -> Webinar:
    webinar = db.session.scalars(
        select(Webinar).where(Webinar.slug == slug[:200], Webinar.id.in_(_hosted()))
    ).one_or_none()
    if webinar is None:
        abort(404)
    return webinar


def _with_record_data(query: Select[tuple[Registration]]) -> Select[tuple[Registration]]:
    return query.options(
        joinedload(Registration.webinar),
        selectinload(Registration.marketing_consents),
        selectinload(Registration.attendance),
        selectinload(Registration.answers),  # type: ignore[attr-defined]
    )


def _registration_or_404(registration_id: int) -> Registration:
    registration = db.session.scalars(
        _with_record_data(
            select(Registration).where(
                Registration.id == registration_id, Registration.webinar_id.in_(_hosted())
            )
        )
    ).one_or_none()
    if registration is None:
        abort(404)
    return registration


def _records(rows: list[Registration]) -> list[dict[str, Any]]:
    key = _key()
    health = records.health_question_ids(rows)
    return [
        records.registration_record(
            r, key.organisation_id, include_health=key.include_health, health_questions=health
        )
        for r in rows
    ]


def _bad(exc: params.BadParameter) -> Response:
    return problem(400, detail=str(exc))


def _page(
    query: Select[Any], position: params.Position | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page in (updated_at, id) order, and the cursor of the next (None: no more)."""
    if position is not None:
        query = query.where(position.after(Registration.updated_at, Registration.id))
    rows = list(
        db.session.execute(
            query.order_by(Registration.updated_at, Registration.id).limit(limit + 1)
        ).all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if not more:
        return rows, None
    last = rows[-1][0]
    return rows, params.encode_cursor(last.updated_at, last.id)


# --- who am I ---------------------------------------------------------------------------


@bp.get("/organisation")
@private()
def get_organisation() -> Response:
    key = _key()
    organisation = key.organisation
    return jsonify(
        organisation={"id": organisation.id, "slug": organisation.slug, "name": organisation.name},
        key={
            "name": key.name,
            "prefix": key.prefix,
            "access": key.access,
            "include_health": key.include_health,
            "created_at": records.utc(key.created_at),
        },
    )


@bp.get("/organisation/webinars")
@private()
def list_organisation_webinars() -> Response:
    webinars = list(
        db.session.scalars(
            select(Webinar)
            .where(Webinar.id.in_(_hosted()))
            .options(selectinload(Webinar.hosts))
            .order_by(Webinar.starts_at.desc(), Webinar.id)
        )
    )
    ids = [w.id for w in webinars]
    by_status: dict[tuple[int, str], int] = {}
    attended_counts: dict[int, int] = {}
    if ids:
        for webinar_id, status, count in db.session.execute(
            select(Registration.webinar_id, Registration.status, func.count())
            .where(Registration.webinar_id.in_(ids))
            .group_by(Registration.webinar_id, Registration.status)
        ):
            by_status[(webinar_id, status)] = count
        attended_counts = dict(
            db.session.execute(
                select(Registration.webinar_id, func.count())
                .join(Attendance, Attendance.registration_id == Registration.id)
                .join(Webinar, Webinar.id == Registration.webinar_id)
                .where(
                    Registration.webinar_id.in_(ids),
                    or_(
                        Attendance.source == "manual",
                        func.coalesce(Attendance.minutes, 0)
                        >= Webinar.attendance_threshold_minutes,
                    ),
                )
                .group_by(Registration.webinar_id)
            ).all()
        )
    items = [
        {
            "slug": w.slug,
            "title": w.title,
            "status": w.status,
            "starts_at": records.utc(w.starts_at),
            "ends_at": records.utc(w.ends_at),
            "capacity": w.capacity,
            "hosts": [h.name for h in w.hosts],
            "url": external_url("public.webinar", slug=w.slug)
            if w.status != WebinarStatus.DRAFT
            else None,
            "counts": {
                **{s: by_status.get((w.id, s), 0) for s in STATUSES},
                "attended": attended_counts.get(w.id, 0),
            },
        }
        for w in webinars
    ]
    return jsonify(webinars=items)


# --- registrations ------------------------------------------------------------------------


@bp.get("/registrations")
@private()
def list_registrations() -> Response:
    args = request.args
    try:
        status = params.one_of(args.get("status"), "status", STATUSES)
        since = params.moment(args.get("updated_since"), "updated_since")
        position = params.cursor(args.get("cursor"))
        limit = params.limit(args.get("limit"))
    except params.BadParameter as exc:
        return _bad(exc)
    query = select(Registration).where(Registration.webinar_id.in_(_hosted()))
    slug = args.get("webinar")
    if slug:
        query = query.where(Registration.webinar_id == _webinar_or_404(slug).id)
    if status:
        query = query.where(Registration.status == status)
    if since is not None:
        query = query.where(Registration.updated_at >= since)
    rows, next_cursor = _page(_with_record_data(query), position, limit)
    registrations = [row[0] for row in rows]
    return jsonify(registrations=_records(registrations), next_cursor=next_cursor)


@bp.get("/registrations/<int:registration_id>")
@private()
def get_registration(registration_id: int) -> Response:
    return jsonify(_records([_registration_or_404(registration_id)])[0])


def _change(registration_id: int, change: Callable[[Webinar, datetime], None]) -> Response:
    """Run one change through the organisers' own service, commit, return the record."""
    registration = _registration_or_404(registration_id)
    try:
        change(registration.webinar, utcnow())
    except DomainError as exc:
        db.session.rollback()
        return problem(409, detail=str(exc))
    db.session.commit()
    return jsonify(_records([_registration_or_404(registration_id)])[0])


@bp.post("/registrations/<int:registration_id>/cancel")
@private(write=True)
def cancel_registration(registration_id: int) -> Response:
    """As an organiser's "Cancel their place": they are emailed, the waiting list moves."""
    return _change(
        registration_id,
        lambda webinar, now: registrants.cancel_for(webinar, registration_id, None, now),  # type: ignore[arg-type]
    )


@bp.post("/registrations/<int:registration_id>/check-in")
@private(write=True)
def check_in_registration(registration_id: int) -> Response:
    """As an organiser's check-in by hand: attended, for the whole session."""

    def check_in(webinar: Webinar, now: datetime) -> None:
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.status != RegistrationStatus.CONFIRMED:
            raise DomainError("Only someone with a confirmed place can be checked in")
        attendance.check_in(webinar, registration_id, None, now)  # type: ignore[arg-type]

    return _change(registration_id, check_in)


# --- attendance and opt-ins -----------------------------------------------------------------


@bp.get("/webinars/<slug>/attendance")
@private()
def get_webinar_attendance(slug: str) -> Response:
    webinar = _webinar_or_404(slug)
    rows = db.session.execute(
        select(Registration.id, Registration.status, Attendance)
        .join(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.webinar_id == webinar.id)
        .order_by(Registration.id)
    ).all()
    return jsonify(
        webinar=webinar.slug,
        attendance_threshold_minutes=webinar.attendance_threshold_minutes,
        attendance=[
            {
                "registration_id": registration_id,
                "status": status,
                "attended": attended(record, webinar),
                "minutes_attended": record.minutes,
                "source": record.source,
                "updated_at": records.utc(record.updated_at),
            }
            for registration_id, status, record in rows
        ],
    )


@bp.get("/opt-ins")
@private()
def list_opt_ins() -> Response:
    args = request.args
    try:
        since = params.moment(args.get("updated_since"), "updated_since")
        position = params.cursor(args.get("cursor"))
        limit = params.limit(args.get("limit"))
    except params.BadParameter as exc:
        return _bad(exc)
    organisation_id = _key().organisation_id
    consent = aliased(MarketingConsent)
    query = (
        select(Registration, consent)
        .outerjoin(
            consent,
            and_(
                consent.registration_id == Registration.id,
                consent.organisation_id == organisation_id,
            ),
        )
        .where(Registration.webinar_id.in_(_hosted()))
        .options(joinedload(Registration.webinar))
    )
    if since is None:  # what holds now: the people who want this organisation's news
        query = query.where(consent.given.is_(True))
    else:  # what changed: withdrawals too (a new "no", or details erased), without details
        query = query.where(
            Registration.updated_at >= since,
            or_(consent.id.is_not(None), Registration.erased_at.is_not(None)),
        )
    rows, next_cursor = _page(query, position, limit)
    return jsonify(opt_ins=[_opt_in(r, c) for r, c in rows], next_cursor=next_cursor)


def _opt_in(registration: Registration, consent: MarketingConsent | None) -> dict[str, Any]:
    given = bool(consent is not None and consent.given and registration.erased_at is None)
    return {
        "registration_id": registration.id,
        "webinar": registration.webinar.slug,
        "opted_in": given,
        "name": registration.full_name if given else None,
        "email": registration.email if given else None,
        "recorded_at": records.utc(consent.recorded_at) if given and consent else None,
        "updated_at": records.utc(registration.updated_at),
    }

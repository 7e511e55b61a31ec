"""The usual registration as one PostgreSQL statement: one round trip, one transaction.

A new address registering is what an announcement brings thousands of at once. Written as
separate statements it costs six round trips (BEGIN, the registration, the marketing
choices, the seat, the email, COMMIT), each a wake-up of the database and of the web worker.
As one statement, run on its own (autocommit), it is atomic all the same:

    w       locks the webinar's row and reads its seats: concurrent registrations for the
            webinar queue here, and each sees the seats the one before it left
    ins     inserts the registration, confirmed if a seat is free, else waiting (only if
            the webinar has a waiting list); nothing if the address is registered already
    seat    takes the seat, only for a confirmed registration
    consents, mail
            the marketing choices (one per host) and the confirmation or waiting-list email

It returns the registration's id and status and the seats now taken, or no row when it did
nothing (the address was registered before, or the webinar is full without a waiting list):
the caller then goes the general way (services/registration.py), which also explains why.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from eventsapp.models.outbox import FROM_SELECT_COLUMNS, OutboxMessage
from eventsapp.models.registration import MarketingConsent, Registration
from eventsapp.models.webinar import Webinar

# The registration's values are given as parameters named PREFIX + the column's name; which
# columns, the caller says (statement(fields)), and status is decided here. Also parameters:
# host_ids and host_given (arrays, one element per host), message_id, now, and the email's
# dedupe key around the registration's id: key_head_confirmed, key_head_waitlisted, key_tail
# (services/registration.py keeps the one key format).
PREFIX = "new_"

_webinars = Webinar.__table__
_registrations = Registration.__table__
_consents = MarketingConsent.__table__
_outbox = OutboxMessage.__table__


def _param(table, name: str):  # type: ignore[no-untyped-def]
    """A parameter for a column, named PREFIX + its name: a parameter named like a column of
    webinars would also be taken for a value to SET by the seat's UPDATE."""
    return bindparam(PREFIX + name, type_=table.c[name].type)


@cache
def statement(fields: tuple[str, ...]) -> Select[Any]:
    """The statement for a registration with these columns' values (built once)."""
    webinar_id = _param(_registrations, "webinar_id")
    w = (
        select(_webinars.c.seats_taken, _webinars.c.capacity, _webinars.c.waitlist_enabled)
        .where(_webinars.c.id == webinar_id)
        .with_for_update()
        .cte("w")
    )
    free = w.c.seats_taken < w.c.capacity
    # The model's defaults for the other columns (from_select() leaves them out inside WITH).
    defaults = {
        c.name: literal(c.default.arg, type_=c.type)
        for c in _registrations.c
        if c.default is not None and c.default.is_scalar and c.name not in fields
    }
    ins = (
        pg_insert(_registrations)
        .from_select(
            [*fields, "status", *defaults],
            select(
                *(_param(_registrations, name) for name in fields),
                case((free, "confirmed"), else_="waitlisted"),
                *defaults.values(),
            ).where(or_(free, w.c.waitlist_enabled)),
            include_defaults=False,
        )
        .on_conflict_do_nothing(index_elements=["webinar_id", "email_normalised"])
        .returning(_registrations.c.id, _registrations.c.status)
        .cte("ins")
    )
    confirmed = ins.c.status == "confirmed"
    seat = (
        update(_webinars)
        .where(
            _webinars.c.id == webinar_id,
            _webinars.c.seats_taken < _webinars.c.capacity,
            exists(select(ins.c.id).where(confirmed)),
        )
        .values(seats_taken=_webinars.c.seats_taken + 1)
        .returning(_webinars.c.seats_taken)
        .cte("seat")
    )
    hosts = (
        func.unnest(
            bindparam("host_ids", type_=ARRAY(Integer)),
            bindparam("host_given", type_=ARRAY(Boolean)),
        )
        .table_valued("organisation_id", "given")
        .render_derived(name="h")
    )
    now = bindparam("now", type_=_consents.c.recorded_at.type)
    consents = (
        _consents.insert()
        .from_select(
            ["registration_id", "organisation_id", "given", "recorded_at", "notice_version"],
            select(
                ins.c.id,
                hosts.c.organisation_id,
                hosts.c.given,
                now,
                _param(_registrations, "consent_notice_version"),
            ).select_from(ins.join(hosts, true())),
            include_defaults=False,
        )
        .cte("consents")
    )
    key_head = case(
        (confirmed, bindparam("key_head_confirmed", type_=String)),
        else_=bindparam("key_head_waitlisted", type_=String),
    )
    mail = (
        _outbox.insert()
        .from_select(
            FROM_SELECT_COLUMNS,
            select(
                func.concat(key_head, ins.c.id, bindparam("key_tail", type_=String)),
                case((confirmed, "confirmation"), else_="waitlisted"),
                _param(_registrations, "email"),
                ins.c.id,
                webinar_id,
                bindparam("context", value={}, type_=_outbox.c.context.type),
                literal("queued"),
                literal(0),
                now,
                bindparam("message_id", type_=_outbox.c.message_id.type),
                now,
            ).select_from(ins),
            include_defaults=False,
        )
        .cte("mail")
    )
    return (
        select(ins.c.id, ins.c.status, seat.c.seats_taken)
        .select_from(ins.outerjoin(seat, true()))
        .add_cte(consents, mail)
    )

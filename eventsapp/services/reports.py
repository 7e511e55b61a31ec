"""Figures for the partnership's reports: per webinar, and across the series."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.models import AUDIENCES, Attendance, Registration, RegistrationStatus, Webinar
from eventsapp.services.attendance import attended
from eventsapp.services.spreadsheets import csv_text


@dataclass(frozen=True)
class WebinarFigures:
    webinar: Webinar
    registered: int  # ever registered, whatever happened next
    confirmed: int
    waitlisted: int
    cancelled: int
    joined: int  # used their join link
    attended: int
    median_minutes: float | None
    registrations_by_day: list[tuple[date, int]]
    attended_by_audience: list[tuple[str, int, int]]  # (label, attended, confirmed)

    @property
    def attendance_rate(self) -> int | None:
        return round(100 * self.attended / self.confirmed) if self.confirmed else None


def _rows(webinar_ids: list[int]) -> list[tuple[Registration, Attendance | None]]:
    return [
        (reg, rec)
        for reg, rec in db.session.execute(
            select(Registration, Attendance)
            .outerjoin(Attendance, Attendance.registration_id == Registration.id)
            .where(Registration.webinar_id.in_(webinar_ids))
        )
    ]


def figures(webinar: Webinar) -> WebinarFigures:
    return _figures(webinar, _rows([webinar.id]))


def _figures(
    webinar: Webinar, rows: list[tuple[Registration, Attendance | None]]
) -> WebinarFigures:
    status = Counter(reg.status for reg, _ in rows)
    confirmed = [(reg, rec) for reg, rec in rows if reg.status == RegistrationStatus.CONFIRMED]
    came = [(reg, rec) for reg, rec in confirmed if attended(rec, webinar)]
    minutes = [rec.minutes for _, rec in came if rec is not None and rec.minutes is not None]
    by_day = Counter(uktime.to_uk(reg.created_at).date() for reg, _ in rows)
    audiences = {**AUDIENCES, "": "Did not say"}
    # The erased keep no audience: their webinar keeps the anonymous counts instead.
    booked = Counter(reg.audience or "" for reg, _ in confirmed if reg.erased_at is None)
    present = Counter(reg.audience or "" for reg, _ in came if reg.erased_at is None)
    for key, (erased_confirmed, erased_came) in (webinar.erased_audiences or {}).items():
        booked[key] += erased_confirmed
        present[key] += erased_came
    return WebinarFigures(
        webinar=webinar,
        registered=len(rows),
        confirmed=status[RegistrationStatus.CONFIRMED],
        waitlisted=status[RegistrationStatus.WAITLISTED],
        cancelled=status[RegistrationStatus.CANCELLED],
        joined=sum(1 for reg, _ in confirmed if reg.join_clicks),
        attended=len(came),
        median_minutes=statistics.median(minutes) if minutes else None,
        registrations_by_day=sorted(by_day.items()),
        attended_by_audience=[
            (label, present[key], booked[key]) for key, label in audiences.items() if booked[key]
        ],
    )


def series(webinars: list[Webinar]) -> list[WebinarFigures]:
    """Every webinar's figures from one query, however long the series."""
    by_webinar: dict[int, list[tuple[Registration, Attendance | None]]] = defaultdict(list)
    for reg, rec in _rows([w.id for w in webinars]):
        by_webinar[reg.webinar_id].append((reg, rec))
    return [_figures(w, by_webinar[w.id]) for w in webinars]


def series_csv(rows: list[WebinarFigures]) -> str:
    return csv_text(
        [
            "Webinar",
            "Date (UK)",
            "Registered",
            "Confirmed",
            "Waiting list",
            "Cancelled",
            "Joined",
            "Attended",
            "Attendance rate (%)",
            "Median minutes",
        ],
        (
            (
                f.webinar.title,
                uktime.to_uk(f.webinar.starts_at).strftime("%Y-%m-%d"),
                f.registered,
                f.confirmed,
                f.waitlisted,
                f.cancelled,
                f.joined,
                f.attended,
                "" if f.attendance_rate is None else f.attendance_rate,
                "" if f.median_minutes is None else f.median_minutes,
            )
            for f in rows
        ),
    )

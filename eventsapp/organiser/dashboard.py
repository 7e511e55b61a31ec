"""Dashboards: one webinar's figures and charts, and the series side by side."""

from __future__ import annotations

from flask import Response, render_template

from eventsapp.extensions import db
from eventsapp.models import Webinar, WebinarStatus
from eventsapp.organiser import bp
from eventsapp.organiser.charts import bar_chart
from eventsapp.organiser.context import actor, audited_read, csv_download, webinar_or_404
from eventsapp.services import access, reports
from eventsapp.transactions import writes_on_get


@bp.get("/webinars/<int:webinar_id>/dashboard")
def webinar_dashboard(webinar_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    figures = reports.figures(webinar)
    by_day = bar_chart(
        "Registrations per day",
        [(f"{day:%d %b}", count) for day, count in figures.registrations_by_day],
    )
    by_audience = bar_chart(
        "Attended, by who they are",
        [(label, came) for label, came, _ in figures.attended_by_audience],
    )
    return render_template(
        "organiser/dashboard_webinar.html",
        webinar=webinar,
        figures=figures,
        by_day=by_day,
        by_audience=by_audience,
    )


def _series() -> list[reports.WebinarFigures]:
    webinars = db.session.scalars(
        access.manageable_webinars(actor())
        .where(Webinar.status != WebinarStatus.DRAFT)
        .order_by(Webinar.starts_at)
    ).all()
    return reports.series(list(webinars))


@bp.get("/series")
def series_dashboard() -> str:
    return render_template("organiser/dashboard_series.html", rows=_series())


@bp.get("/series.csv")
@writes_on_get
def series_csv() -> Response:
    rows = _series()
    body = audited_read("series.exported", lambda: reports.series_csv(rows), rows=len(rows))
    return csv_download(body, "webinar-series.csv")

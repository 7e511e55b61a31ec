"""Admin only: accounts, the audit log and data requests."""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from eventsapp import odd_input
from eventsapp.extensions import db
from eventsapp.models import Organisation, User, Webinar
from eventsapp.organiser import bp
from eventsapp.organiser.context import apply, audited_read, now, require_admin, show_on_form
from eventsapp.organiser.forms import UserForm
from eventsapp.services import accounts, audit, privacy
from eventsapp.transactions import writes_on_get


@bp.route("/users", methods=["GET", "POST"])
def users() -> str | Response | tuple[str, int]:
    admin = require_admin()
    organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
    form = UserForm()
    form.organisation.choices = [(0, "None (admins only)")] + [
        (o.id, o.name) for o in organisations
    ]
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation.data or 0)
        try:
            user = accounts.create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                now=now(),
                is_admin=form.role.data == "admin",
                organisation=organisation,
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            show_on_form(form, exc, "email")
        else:
            audit.record("user.created", actor=admin, now=now(), user=user.id)
            db.session.commit()
            flash("Account created. Tell them their initial password by another route.")
            return redirect(url_for(".users"))
    rows = list(db.session.scalars(select(User).order_by(User.name)))
    status = 400 if form.is_submitted() else 200
    return render_template("organiser/users.html", users=rows, form=form), status


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int) -> Response:
    admin = require_admin()
    user = db.session.get(User, user_id)
    if user is None:
        flash("No such account.", "error")
    elif user.id == admin.id:
        flash("You cannot deactivate your own account.", "error")
    else:
        accounts.deactivate(user)
        audit.record("user.deactivated", actor=admin, now=now(), user=user.id)
        db.session.commit()
        flash("The account is deactivated and signed out everywhere.")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/reviewer")
def set_reviewer(user_id: int) -> Response:
    admin = require_admin()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    is_reviewer = request.form.get("reviewer") == "yes"
    done = (
        f"{user.name} can now approve webinars for {user.organisation.name}."
        if is_reviewer and user.organisation
        else f"{user.name} is no longer a reviewer."
    )

    def change() -> None:
        accounts.set_reviewer(user, is_reviewer)
        audit.record(
            "user.reviewer_set", actor=admin, now=now(), user=user.id, reviewer=is_reviewer
        )

    apply(change, done)
    return redirect(url_for(".users"))


@bp.get("/audit")
def audit_log() -> str:
    require_admin()
    webinar_id = odd_input.row_id(request.args.get("webinar"))
    webinars = list(db.session.scalars(select(Webinar).order_by(Webinar.starts_at.desc())))
    return render_template(
        "organiser/audit.html",
        events=audit.recent(webinar_id),
        webinars=webinars,
        webinar_id=webinar_id,
    )


def _subject_email() -> str:
    return (request.values.get("email") or "").strip()[:320]


@bp.get("/subject-access")
@writes_on_get
def subject_access() -> str:
    """Admins: find everything held about an email address (audited)."""
    require_admin()
    email = _subject_email()
    found = privacy.find_by_email(email) if email else []

    def page() -> str:
        return render_template("organiser/subject_access.html", email=email, found=found)

    if not email:
        return page()
    return audited_read("subject.searched", page, registrations=len(found))


@bp.get("/subject-access.json")
@writes_on_get
def subject_access_export() -> Response:
    require_admin()
    found = privacy.find_by_email(_subject_email())
    body = audited_read(
        "subject.exported",
        lambda: json.dumps(privacy.export(found), indent=2, ensure_ascii=False),
        registrations=len(found),
    )
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="subject-access.json"'},
    )


@bp.post("/subject-access/erase")
def subject_erase() -> Response:
    admin = require_admin()
    email = _subject_email()
    erased = privacy.erase_all(email, admin, now()) if email else 0
    db.session.commit()
    flash(f"Erased the details of {erased} registration(s).")
    return redirect(url_for(".subject_access"))

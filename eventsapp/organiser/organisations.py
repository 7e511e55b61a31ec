"""The partner organisations: admins add them; each organisation's organisers keep its settings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from eventsapp.extensions import db
from eventsapp.models import Organisation
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, now, require_admin
from eventsapp.organiser.forms import OrganisationForm, OrganisationSettingsForm
from eventsapp.request_limits import allows_upload
from eventsapp.services import audit, images, organisations
from eventsapp.services.errors import DomainError


@bp.route("/organisations", methods=["GET", "POST"])
def organisation_list() -> str | BaseResponse | tuple[str, int]:
    admin = require_admin()
    form = OrganisationForm()
    if form.validate_on_submit():
        if db.session.scalars(
            select(Organisation).where(Organisation.slug == form.slug.data)
        ).first():
            form.slug.errors.append("That short name is already used")
        else:
            org = Organisation(
                name=form.name.data, slug=form.slug.data, website=form.website.data or None
            )
            db.session.add(org)
            db.session.flush()
            audit.record("organisation.created", actor=admin, now=now(), organisation=org.id)
            db.session.commit()
            flash("Organisation added. Fill in its settings, which the public pages show.")
            return redirect(url_for(".organisation_settings", organisation_id=org.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "organiser/organisations.html", organisations=organisations.all_by_name(), form=form
    ), status


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@allows_upload(images.MAX_BYTES + 64 * 1024)
def organisation_settings(organisation_id: int) -> str | BaseResponse | tuple[str, int]:
    organisation = organisations.editable_by(actor(), organisation_id)
    if organisation is None:
        abort(404)
    form = OrganisationSettingsForm(obj=organisation)
    if form.validate_on_submit():
        settings = organisations.Settings(
            **{name: form[name].data or "" for name in organisations.Settings.field_names()}
        )
        try:
            logo = form.logo.data and images.store(
                form.logo.data.read(images.MAX_BYTES + 1), images.Kind.LOGO
            )
            organisations.update(
                organisation,
                settings,
                actor(),
                now(),
                logo_filename=logo or None,
                remove_logo=form.remove_logo.data,
            )
        except DomainError as exc:
            db.session.rollback()
            form.logo.errors = [str(exc)]
        else:
            db.session.commit()
            flash("Settings saved. The public pages show them now.")
            return redirect(url_for(".organisation_settings", organisation_id=organisation.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "organiser/organisation_settings.html", form=form, organisation=organisation
    ), status

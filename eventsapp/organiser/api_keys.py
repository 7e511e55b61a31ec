"""An organisation's keys to the private API (docs/api.md).

Admins create and revoke keys; the organisation's own organisers may see the list (which
systems can read their registrants' details, and when each was last used). A new key is
shown once, in the answer to the form that created it: it is never in a URL, the session
or a later page, and only its hash is stored.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from eventsapp import odd_input
from eventsapp.extensions import db
from eventsapp.form_fields import Form, one_line
from eventsapp.models import ApiAccess, Organisation
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, now, require_admin, show_on_form
from eventsapp.services import api_keys, organisations
from eventsapp.services.errors import DomainError


class ApiKeyForm(Form):
    name = StringField(
        "What is this key for?",
        filters=[one_line],
        validators=[DataRequired("Enter what the key is for"), Length(max=100)],
    )
    access = RadioField(
        "What may it do?",
        choices=[
            SelectChoice(ApiAccess.READ.value, "Read only"),
            SelectChoice(ApiAccess.READ_WRITE.value, "Read, and cancel or check in registrations"),
        ],
        default=ApiAccess.READ.value,
        validators=[DataRequired("Choose what the key may do")],
    )
    include_health = BooleanField("Include health details")


def _organisation(organisation_id: int) -> Organisation:
    organisation = organisations.editable_by(actor(), organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _page(organisation: Organisation, form: ApiKeyForm, status: int = 200) -> tuple[str, int]:
    revoking = api_keys.key_of(organisation, odd_input.row_id(request.args.get("revoke")))
    return render_template(
        "organiser/api_keys.html",
        organisation=organisation,
        keys=api_keys.of_organisation(organisation),
        form=form,
        revoking=revoking if revoking is not None and revoking.revoked_at is None else None,
    ), status


@bp.get("/organisations/<int:organisation_id>/api-keys")
def api_key_list(organisation_id: int) -> tuple[str, int]:
    return _page(_organisation(organisation_id), ApiKeyForm(formdata=None))


@bp.post("/organisations/<int:organisation_id>/api-keys")
def create_api_key(organisation_id: int) -> BaseResponse | tuple[str, int]:
    admin = require_admin()
    organisation = _organisation(organisation_id)
    form = ApiKeyForm()
    if not form.validate():
        return _page(organisation, form, 400)
    try:
        created = api_keys.create(
            organisation,
            name=form.name.data,
            access=ApiAccess(form.access.data),
            include_health=bool(form.include_health.data),
            actor=admin,
            now=now(),
        )
    except DomainError as exc:
        db.session.rollback()
        show_on_form(form, exc, "name")
        return _page(organisation, form, 400)
    db.session.commit()
    return render_template(
        "organiser/api_key_created.html",
        organisation=organisation,
        key=created.key,
        secret=created.secret,
        base_url=current_app.config["PUBLIC_BASE_URL"],
    ), 200


@bp.post("/organisations/<int:organisation_id>/api-keys/revoke")
def revoke_api_key(organisation_id: int) -> BaseResponse:
    admin = require_admin()
    organisation = _organisation(organisation_id)
    key = api_keys.key_of(organisation, odd_input.row_id(request.form.get("key")))
    if key is None:
        abort(404)
    try:
        api_keys.revoke(key, admin, now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"The key “{key.name}” is revoked. Anything using it is refused from now on.")
    return redirect(url_for(".api_key_list", organisation_id=organisation.id))

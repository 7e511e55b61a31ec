"""An organisation's webhooks: its organisers (or an admin) add endpoints, see every
delivery and attempt, pause, resume, send a test event or send one again.

Health details go to an endpoint only if an admin ticked it: sharing special category data
with another system is a decision for the people accountable for it.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from eventsapp.extensions import db
from eventsapp.models import Organisation, WebhookEndpoint
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, apply, now, show_on_form
from eventsapp.organiser.forms import WebhookEndpointForm
from eventsapp.services import organisations
from eventsapp.services import webhook_endpoints as hooks
from eventsapp.services.errors import DomainError


def _organisation(organisation_id: int) -> Organisation:
    organisation = organisations.editable_by(actor(), organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _endpoint(organisation: Organisation, endpoint_id: int) -> WebhookEndpoint:
    try:
        return hooks.endpoint_in(organisation, endpoint_id)
    except LookupError:
        abort(404)


def _input(form: WebhookEndpointForm, keep_health: bool) -> hooks.EndpointInput:
    health = bool(form.include_health.data) if actor().is_admin else keep_health
    return hooks.EndpointInput(
        form.address.data or "", form.description.data or "", list(form.events.data or []), health
    )


@bp.route("/organisations/<int:organisation_id>/webhooks", methods=["GET", "POST"])
def webhooks(organisation_id: int) -> str | tuple[str, int]:
    organisation = _organisation(organisation_id)
    form = WebhookEndpointForm()
    if form.validate_on_submit():
        try:
            endpoint, secret = hooks.create(
                organisation, _input(form, keep_health=False), actor(), now()
            )
        except DomainError as exc:
            db.session.rollback()
            show_on_form(form, exc, "address")
        else:
            db.session.commit()
            # The secret is shown here once, never stored anywhere it could be read back
            # from a page (the organiser area is not cached: Cache-Control no-store).
            return render_template(
                "organiser/webhook_created.html",
                organisation=organisation,
                endpoint=endpoint,
                secret=secret,
            )
    status = 400 if form.is_submitted() else 200
    return render_template(
        "organiser/webhooks.html",
        organisation=organisation,
        endpoints=hooks.endpoints(organisation),
        form=form,
    ), status


@bp.route(
    "/organisations/<int:organisation_id>/webhooks/<int:endpoint_id>", methods=["GET", "POST"]
)
def webhook(organisation_id: int, endpoint_id: int) -> str | BaseResponse | tuple[str, int]:
    organisation = _organisation(organisation_id)
    endpoint = _endpoint(organisation, endpoint_id)
    form = WebhookEndpointForm(obj=endpoint, address=endpoint.url)
    if form.validate_on_submit():
        try:
            hooks.update_endpoint(
                endpoint, _input(form, keep_health=endpoint.include_health), actor(), now()
            )
        except DomainError as exc:
            db.session.rollback()
            show_on_form(form, exc, "address")
        else:
            db.session.commit()
            flash("Webhook saved.")
            return redirect(
                url_for(".webhook", organisation_id=organisation.id, endpoint_id=endpoint.id)
            )
    status = 400 if form.is_submitted() else 200
    return render_template(
        "organiser/webhook.html",
        organisation=organisation,
        endpoint=endpoint,
        deliveries=hooks.recent_deliveries(endpoint),
        form=form,
    ), status


_ACTIONS = {
    "test": (hooks.send_test, "A test event is on its way. Its delivery shows below in a moment."),
    "pause": (hooks.pause, "Paused. Events are kept until you resume."),
    "resume": (hooks.resume, "Resumed. Everything that waited is being sent."),
}


@bp.post(
    "/organisations/<int:organisation_id>/webhooks/<int:endpoint_id>"
    "/<any(test, pause, resume, remove):action>"
)
def webhook_action(organisation_id: int, endpoint_id: int, action: str) -> BaseResponse:
    organisation = _organisation(organisation_id)
    endpoint = _endpoint(organisation, endpoint_id)
    if action == "remove":
        if request.form.get("confirm") != "yes":
            flash("Tick the box to confirm you want to remove this webhook.", "error")
        elif apply(lambda: hooks.remove(endpoint, actor(), now()), "Webhook removed."):
            return redirect(url_for(".webhooks", organisation_id=organisation.id))
        return redirect(
            url_for(".webhook", organisation_id=organisation.id, endpoint_id=endpoint.id)
        )
    change, done = _ACTIONS[action]
    apply(lambda: change(endpoint, actor(), now()), done)
    return redirect(url_for(".webhook", organisation_id=organisation.id, endpoint_id=endpoint.id))


@bp.post(
    "/organisations/<int:organisation_id>/webhooks/<int:endpoint_id>"
    "/deliveries/<int:delivery_id>/again"
)
def webhook_send_again(organisation_id: int, endpoint_id: int, delivery_id: int) -> BaseResponse:
    organisation = _organisation(organisation_id)
    endpoint = _endpoint(organisation, endpoint_id)
    try:
        apply(
            lambda: hooks.send_again(endpoint, delivery_id, actor(), now()),
            "Queued to send again.",
        )
    except LookupError:
        abort(404)
    return redirect(url_for(".webhook", organisation_id=organisation.id, endpoint_id=endpoint.id))

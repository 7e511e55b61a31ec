"""The widget's snippet for an organisation's website (docs/embed.md): copy, paste, done."""

from __future__ import annotations

from flask import abort, current_app, render_template, url_for
from markupsafe import escape

from eventsapp.links import external_url
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor
from eventsapp.services import organisations

# What the frame is called to screen readers on the organisation's page.
FRAME_TITLE = "Free back pain webinars: see what is on and register"
# Tall enough for the list on a phone; embed.js fits it to the content.
FRAME_HEIGHT = 700


def snippet(host_slug: str | None = None) -> str:
    """The HTML an organisation pastes into its own page: the frame, the optional script
    that fits the frame to its content, and a plain link for browsers that show no frame."""
    frame_url = escape(external_url("embed.webinar_list", host=host_slug))
    script_url = escape(external_url("static", filename="js/embed.js"))
    site_url = escape(external_url("public.home"))
    return (
        f'<iframe src="{frame_url}" title="{FRAME_TITLE}" width="100%" '
        f'height="{FRAME_HEIGHT}" style="border:0;max-width:100%" data-backpain-webinars>'
        f"</iframe>\n"
        f'<script src="{script_url}" async></script>\n'
        f'<p><a href="{site_url}">See our free back pain webinars and register on the '
        f"Back pain webinars website</a></p>"
    )


@bp.get("/organisations/<int:organisation_id>/embed")
def organisation_embed(organisation_id: int) -> str:
    organisation = organisations.editable_by(actor(), organisation_id)
    if organisation is None:
        abort(404)
    return render_template(
        "organiser/embed.html",
        organisation=organisation,
        snippet_all=snippet(),
        snippet_own=snippet(organisation.slug),
        allowed=current_app.config.get("EMBED_ORIGINS") or [],
        site=current_app.config["PUBLIC_BASE_URL"],
        preview_url=url_for("embed.webinar_list", host=organisation.slug),
        frame_title=FRAME_TITLE,
    )

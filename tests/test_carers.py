"""A carer registers someone they care for: the place is the person's (name, certificate,
attendance, calendar), the emails go to the address given and speak to the carer, and the
personal links work for whoever holds them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration
from tests.platform_support import run
from tests.support import assert_accessible, create_webinar, register_via

CAROL = "carol.carer@example.com"


def _registration(email: str) -> Registration:
    db.session.rollback()
    return db.session.scalars(select(Registration).where(Registration.email == email)).one()


def test_a_carer_registers_mary_smith_and_the_emails_speak_to_the_carer(any_ctx, smtp):
    client = any_ctx.test_client()
    webinar = create_webinar()
    page = client.get(f"/webinars/{webinar.slug}").get_data(as_text=True)
    assert "Who is this place for?" in page and "Someone I care for" in page

    response = register_via(
        client,
        webinar.slug,
        who_for="someone_else",
        carer_name="Carol Carer",
        full_name="Mary Smith",
        email=CAROL,
        carer_consent="y",
        communication_needs=["live_captions"],
    )
    assert response.status_code == 303

    mary = _registration(CAROL)
    # The place is Mary's: her name is the one on the certificate, the attendance list and
    # the platform registration; Carol is recorded as who registered her.
    assert (mary.full_name, mary.carer_name) == ("Mary Smith", "Carol Carer")

    assert run(any_ctx).sent == 1
    (received,) = smtp.to(CAROL)
    message = received.message
    assert message["Subject"].strip() == f"Mary Smith is booked: {webinar.title}"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert text.startswith("Dear Carol Carer,")
    assert "You registered Mary Smith for this webinar. Their place is confirmed." in text
    assert "View or cancel Mary Smith's registration:" in text
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert "You registered Mary Smith for this webinar." in html
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert "Mary Smith" in calendar.get_content()  # the attendee in the invitation

    # The manage link works for whoever holds it: here, Carol.
    manage = re.search(r"https?://[^\s]+/manage/[^\s]+", text)
    assert manage is not None
    shown = client.get(urlsplit(manage.group(0)).path).get_data(as_text=True)
    assert "Mary Smith" in shown and CAROL in shown
    # ... and says who booked it and what was asked for, and what will happen.
    assert "Registered by</dt><dd>Carol Carer" in shown
    assert "You asked for live captions: the webinar will have them." in shown
    # The place is Mary's, so Carol reads about Mary's place, not "your place".
    assert "Mary Smith's place is confirmed" in shown and "Your place" not in shown
    assert "Cancel their registration" in shown and "Cancel my registration" not in shown
    path = urlsplit(manage.group(0)).path
    cancel = client.get(path + "/cancel").get_data(as_text=True)
    assert "You are cancelling Mary Smith's registration for" in cancel
    assert "Yes, cancel their registration" in cancel and "No, keep their registration" in cancel
    welsh = client.get("/cy" + path).get_data(as_text=True)
    assert "Mae lle Mary Smith wedi'i gadarnhau" in welsh


def test_registering_someone_else_needs_the_carers_name_and_their_permission(client, ctx):
    webinar = create_webinar()
    response = register_via(
        client, webinar.slug, who_for="someone_else", full_name="Mary Smith", email=CAROL
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter your name, as the person registering them" in page
    assert "Tick the box to say you have their permission to register them" in page
    assert db.session.scalars(select(Registration)).first() is None


def test_registering_oneself_needs_neither_and_keeps_no_carer(client, ctx, smtp):
    webinar = create_webinar()
    # Without JavaScript every field shows: a name typed into "Your name" by mistake, with
    # "Me" chosen, is not kept.
    response = register_via(client, webinar.slug, carer_name="Carol Carer")
    assert response.status_code == 303
    ann = _registration("ann@example.com")
    assert (ann.full_name, ann.carer_name) == ("Ann Example", None)
    run(ctx)
    (received,) = smtp.to("ann@example.com")
    text = next(p for p in received.message.walk() if p.get_content_type() == "text/plain")
    assert text.get_content().startswith("Dear Ann Example,")
    assert "Your place is confirmed" in text.get_content()


def test_the_carer_choice_with_its_errors_passes_axe_at_every_width(browser, live_server, ctx):
    create_webinar(slug="panel")
    for width in (320, 390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(live_server.url + "/webinars/panel")
        # For "Me" the carer's fields are not shown; choosing "Someone I care for" shows them.
        carer_name = page.get_by_label("Your name, if you are registering someone else")
        assert not carer_name.is_visible()
        group = page.get_by_role("group", name="Who is this place for?")
        group.get_by_label("Someone I care for").check()
        assert carer_name.is_visible()
        page.get_by_role("group", name="Communication needs (optional)").get_by_label(
            "Live captions (words on screen)"
        ).check()
        page.get_by_role("button", name="Register for this webinar").click()
        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        summary.wait_for()
        assert "Enter your name, as the person registering them" in summary.inner_text()
        assert "Enter the full name of the person you are registering" in summary.inner_text()
        assert_accessible(page, f"carer errors at {width}px")
        # What was ticked stays ticked.
        assert page.get_by_label("Live captions (words on screen)").is_checked()
        context.close()

"""The two organisations are partners: neither can act on shared work behind the other's back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import AuditEvent, Webinar
from tests.support import create_user, create_webinar, login, organisation, post, register_via
from tests.test_organiser_webinars import webinar_form


def _form_for(webinar: Webinar, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": webinar.title,
        "summary": webinar.summary,
        "description": webinar.description,
        "start_date": webinar.starts_at.strftime("%Y-%m-%d"),
        "start_time": "18:00",
        "hosts": [str(h.id) for h in webinar.hosts],
    }
    return webinar_form(**{**values, **overrides})


def _then_page(client, response) -> str:  # type: ignore[no-untyped-def]
    """The page the browser lands on after a form's redirect."""
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_clinic_cannot_drop_the_charity_but_the_charity_can_leave(app, client, ctx, smtp):
    webinar = create_webinar(slug="shared", status="draft")
    clinic, charity = organisation("clinic"), organisation("charity")
    webinar_id = webinar.id
    create_user("colin@clinic.example", org="clinic")
    create_user("chris@charity.example", org="charity")
    login(client, "colin@clinic.example")

    refused = post(
        client, f"/organiser/webinars/{webinar_id}/edit", **_form_for(webinar, hosts=[clinic.id])
    )
    assert refused.status_code == 400
    assert f"Only an admin, or {charity.name} itself, can remove {charity.name} as a host" in (
        refused.get_data(as_text=True)
    )
    db.session.expire_all()
    assert [h.slug for h in db.session.get(Webinar, webinar_id).hosts] == ["clinic", "charity"]

    # The charity's organiser still sees it, and can choose to stop co-hosting.
    login(client, "chris@charity.example")
    page = client.get(f"/organiser/webinars/{webinar_id}").get_data(as_text=True)
    assert "Stop co-hosting this webinar" in page
    left = post(client, f"/organiser/webinars/{webinar_id}/stop-cohosting")
    assert left.headers["Location"].endswith("/organiser/")
    assert client.get(f"/organiser/webinars/{webinar_id}").status_code == 404
    db.session.expire_all()
    assert [h.slug for h in db.session.get(Webinar, webinar_id).hosts] == ["clinic"]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "webinar.hosts_changed")
    ).one()
    assert event.details["removed"] == [{"id": charity.id, "name": charity.name}]
    # The clinic's organisers are told, through the outbox.
    with app.app_context():
        worker.run_once()
    (told,) = smtp.to("colin@clinic.example")
    assert told.message["Subject"].strip() == f"{charity.name} stopped co-hosting: {webinar.title}"


def test_adding_a_co_host_tells_that_organisations_organisers(app, client, ctx, smtp):
    webinar = create_webinar(slug="clinic-only", status="draft", hosts=("clinic",))
    charity = organisation("charity")
    db.session.commit()
    create_user("colin@clinic.example", org="clinic")
    create_user("chris@charity.example", org="charity")
    login(client, "colin@clinic.example")
    hosts = [str(webinar.hosts[0].id), str(charity.id)]
    response = post(
        client, f"/organiser/webinars/{webinar.id}/edit", **_form_for(webinar, hosts=hosts)
    )
    assert response.status_code == 302
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "webinar.hosts_changed")
    ).one()
    assert event.details["added"] == [{"id": charity.id, "name": charity.name}]
    with app.app_context():
        worker.run_once()
    (told,) = smtp.to("chris@charity.example")
    assert told.message["Subject"].strip() == f"You are now co-hosting: {webinar.title}"
    assert not smtp.to("colin@clinic.example")


def test_publishing_waits_for_both_reviewers_and_an_edit_withdraws_approvals(client, ctx):
    webinar = create_webinar(slug="review-me", status="draft")
    webinar_id, title = webinar.id, webinar.title
    create_user("rita@clinic.example", org="clinic", reviewer=True)
    create_user("rob@charity.example", org="charity", reviewer=True)
    create_user("colin@clinic.example", org="clinic")

    login(client, "rita@clinic.example")
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    refused = _then_page(client, post(client, f"/organiser/webinars/{webinar_id}/publish"))
    assert "It needs approval from a reviewer at BackWell UK before it can be published" in refused
    assert db.session.get(Webinar, webinar_id).status == "draft"

    # Not a reviewer: no approve button, and approving is refused.
    login(client, "colin@clinic.example")
    assert "Approve for" not in client.get(f"/organiser/webinars/{webinar_id}").get_data(True)

    login(client, "rob@charity.example")
    page = client.get(f"/organiser/webinars/{webinar_id}").get_data(as_text=True)
    assert "approved by Rita on" in page and "Approve for BackWell UK" in page
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    post(client, f"/organiser/webinars/{webinar_id}/publish")
    db.session.expire_all()
    webinar = db.session.get(Webinar, webinar_id)
    assert webinar.status == "published"
    public = client.get("/webinars/review-me").get_data(as_text=True)
    assert "Reviewed by Rita, Meadowbank Medical Cannabis Clinic" in public
    assert "Rob, BackWell UK" in public

    # An edit to the description withdraws both approvals, and says so.
    text = _then_page(
        client,
        post(
            client,
            f"/organiser/webinars/{webinar_id}/edit",
            **_form_for(webinar, description="A new description of the talk."),
        ),
    )
    assert "This change withdrew the approval of" in text
    assert "approval withdrawn. Rita approved it on" in text
    assert "Reviewed by" not in client.get("/webinars/review-me").get_data(as_text=True)
    assert title in client.get("/webinars/review-me").get_data(as_text=True)  # still published
    # A change to what the public does not read (places) leaves approvals standing.
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    login(client, "rita@clinic.example")
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    kept = _then_page(
        client,
        post(
            client,
            f"/organiser/webinars/{webinar_id}/edit",
            **_form_for(webinar, description="A new description of the talk.", capacity="120"),
        ),
    )
    assert "withdrew" not in kept
    assert "Reviewed by Rita" in client.get("/webinars/review-me").get_data(as_text=True)


def test_a_speaker_edit_that_withdraws_another_organisations_approval_says_so(client, ctx):
    """The speaker library is shared: the charity editing a biography changes the clinic's
    page, so the clinic's approval goes, the audit log names who withdrew it, and the editor
    is told (without the clinic's webinar being named to them)."""
    webinar = create_webinar(slug="clinic-talk", status="draft", hosts=("clinic",))
    webinar_id, speaker_id = webinar.id, webinar.panel[0].speaker_id
    create_user("rita@clinic.example", org="clinic", reviewer=True)
    chris = create_user("chris@charity.example", org="charity")
    login(client, "rita@clinic.example")
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    post(client, f"/organiser/webinars/{webinar_id}/publish")
    assert "Reviewed by Rita" in client.get("/webinars/clinic-talk").get_data(as_text=True)

    login(client, "chris@charity.example")
    page = _then_page(
        client,
        post(
            client,
            f"/organiser/speakers/{speaker_id}/edit",
            name="Dr Helen Marsh",
            professional_title="Consultant in Pain Medicine",
            organisation="Meadowbank Medical Cannabis Clinic",
            bio="Helen leads the clinic and has a new biography.",
        ),
    )
    assert "Speaker saved." in page
    assert "also on webinars of another organisation" in page
    assert "withdrew their approval too" in page
    assert db.session.get(Webinar, webinar_id).title not in page
    assert "Reviewed by" not in client.get("/webinars/clinic-talk").get_data(as_text=True)
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "webinar.approvals_withdrawn")
    )
    assert event.actor_id == chris.id and event.webinar_id == webinar_id


def test_the_note_in_the_emails_is_reviewed_content(client, ctx):
    """Every registrant reads the organisers' note in their emails: a note written after the
    approval withdraws it, and the reviewer reads the note in the preview before approving."""
    # 6pm GMT, as the edit form below says it: the time itself is unchanged.
    starts = datetime(2030, 1, 15, 18, 0, tzinfo=UTC)
    webinar = create_webinar(slug="noted", status="draft", hosts=("clinic",), starts_at=starts)
    webinar_id = webinar.id
    create_user("rita@clinic.example", org="clinic", reviewer=True)
    login(client, "rita@clinic.example")
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    post(client, f"/organiser/webinars/{webinar_id}/publish")
    assert "Reviewed by Rita" in client.get("/webinars/noted").get_data(as_text=True)

    note = "Please have your **medication list** to hand."
    text = _then_page(
        client,
        post(
            client, f"/organiser/webinars/{webinar_id}/edit", **_form_for(webinar, email_note=note)
        ),
    )
    assert "This change withdrew the approval of Meadowbank Medical Cannabis Clinic" in text
    assert "Reviewed by" not in client.get("/webinars/noted").get_data(as_text=True)
    preview = client.get(f"/organiser/webinars/{webinar_id}/preview").get_data(as_text=True)
    assert "Your note in the emails" in preview
    assert "Please have your <strong>medication list</strong> to hand." in preview
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    assert "Reviewed by Rita" in client.get("/webinars/noted").get_data(as_text=True)


def test_cancelling_says_how_many_people_will_be_emailed_first(client, ctx):
    webinar = create_webinar(slug="to-cancel", capacity=1)
    register_via(client, "to-cancel", email="a@example.com")
    register_via(client, "to-cancel", email="b@example.com")  # waiting list
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    page = client.get(f"/organiser/webinars/{webinar.id}/cancel").get_data(as_text=True)
    assert "2 people will be emailed" in page
    assert db.session.get(Webinar, webinar.id).status == "published"  # a GET changes nothing


def test_the_partner_is_told_when_the_other_cancels_a_shared_webinar(app, client, ctx, smtp):
    webinar = create_webinar(slug="shared-talk")
    register_via(client, "shared-talk", email="a@example.com")
    create_user("colin@clinic.example", org="clinic")
    create_user("chris@charity.example", org="charity")
    login(client, "colin@clinic.example")
    post(client, f"/organiser/webinars/{webinar.id}/cancel", message="The speaker is unwell.")
    with app.app_context():
        worker.run_once()
    (told,) = smtp.to("chris@charity.example")
    assert told.message["Subject"].strip() == (
        f"Meadowbank Medical Cannabis Clinic cancelled: {webinar.title}"
    )
    text = told.message.get_body(("plain",)).get_content()
    assert "1 person will be emailed this message" in text and "The speaker is unwell." in text
    assert not smtp.to("colin@clinic.example")  # who cancelled it knows


def test_a_change_to_a_live_webinar_asks_its_reviewers_to_approve_again(app, client, ctx, smtp):
    """The page stays public while its approval is withdrawn: the reviewers are told at once,
    once for each approval lost, so it is not left unreviewed."""
    starts = datetime(2030, 1, 15, 18, 0, tzinfo=UTC)
    webinar = create_webinar(slug="live", status="draft", hosts=("clinic",), starts_at=starts)
    webinar_id = webinar.id
    create_user("rita@clinic.example", org="clinic", reviewer=True)
    create_user("colin@clinic.example", org="clinic")
    login(client, "rita@clinic.example")
    # While a draft, changes tell no one: it is not public.
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    post(client, f"/organiser/webinars/{webinar_id}/edit", **_form_for(webinar, summary="Draft."))
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    post(client, f"/organiser/webinars/{webinar_id}/publish")
    with app.app_context():
        worker.run_once()
    assert smtp.to("rita@clinic.example") == []

    login(client, "colin@clinic.example")
    # Two edits: the first withdraws the approval (one email), the second nothing more.
    for summary in ("A new summary.", "Another summary."):
        post(
            client, f"/organiser/webinars/{webinar_id}/edit", **_form_for(webinar, summary=summary)
        )
    with app.app_context():
        worker.run_once()
    (told,) = smtp.to("rita@clinic.example")
    assert told.message["Subject"].strip() == f"Approval needed: {webinar.title}"
    text = told.message.get_body(("plain",)).get_content()
    assert "Colin changed what the public reads about this published webinar" in text
    assert smtp.to("colin@clinic.example") == []  # not a reviewer

    # Approved again, then changed again: the reviewers hear again, however soon.
    login(client, "rita@clinic.example")
    post(client, f"/organiser/webinars/{webinar_id}/approve")
    login(client, "colin@clinic.example")
    post(client, f"/organiser/webinars/{webinar_id}/edit", **_form_for(webinar, summary="Third."))
    with app.app_context():
        worker.run_once()
    assert len(smtp.to("rita@clinic.example")) == 2


def test_a_speaker_edit_asks_for_no_review_of_webinars_that_are_over(app, client, ctx, smtp):
    past = create_webinar(
        slug="last-year", hosts=("clinic",), starts_at=datetime(2025, 1, 15, 18, 0, tzinfo=UTC)
    )
    speaker_id = past.panel[0].speaker_id
    create_user("rita@clinic.example", org="clinic", reviewer=True)
    create_user("ruth@clinic.example", org="clinic", reviewer=True)
    login(client, "rita@clinic.example")
    post(client, f"/organiser/webinars/{past.id}/approve")
    login(client, "ruth@clinic.example")
    page = _then_page(
        client,
        post(
            client,
            f"/organiser/speakers/{speaker_id}/edit",
            name="Dr Helen Marsh",
            bio="A new biography.",
        ),
    )
    assert "Speaker saved." in page and "withdrew" not in page
    with app.app_context():
        worker.run_once()
    assert smtp.to("rita@clinic.example") == []

"""Each organisation keeps its own settings, which the public pages show at once."""

from __future__ import annotations

import io

from PIL import Image

from eventsapp.extensions import db
from tests.support import create_user, create_webinar, form_token, login, organisation


def _logo(fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (1200, 400), (20, 90, 80, 255)).save(out, fmt)
    return out.getvalue()


def _settings(client, org_id: int, logo: bytes | None = None, **fields: str):  # type: ignore[no-untyped-def]
    form = {
        "csrf_token": form_token(client),
        "name": "BackWell UK",
        "about": "The national charity for people living with back pain.",
        "website": "https://charity.example.org",
        "contact_email": "hello@charity.example",
        "charity_number": "1000001",
        **fields,
    }
    if logo is not None:
        form["logo"] = (io.BytesIO(logo), "logo.png")
    return client.post(
        f"/organiser/organisations/{org_id}", data=form, content_type="multipart/form-data"
    )


def test_an_organiser_sets_their_organisation_and_the_public_page_shows_it(client, ctx):
    create_webinar(slug="settings")
    charity = organisation("charity")
    db.session.commit()
    create_user("chris@charity.example", org="charity")
    login(client, "chris@charity.example")
    assert "Your organisation" in client.get("/organiser/").get_data(as_text=True)
    before = client.get("/webinars/settings").get_data(as_text=True)
    assert "Registered charity number" not in before

    response = _settings(client, charity.id, logo=_logo())
    assert response.status_code == 302
    db.session.refresh(charity)
    assert charity.charity_number == "1000001" and charity.contact_phone is None
    page = client.get("/webinars/settings").get_data(as_text=True)
    assert "Registered charity number 1000001" in page
    assert "The national charity for people living with back pain." in page
    logo = client.get(f"/organisations/{charity.id}/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    with Image.open(io.BytesIO(logo.data)) as image:
        assert image.size[0] <= 480 and image.size[1] <= 160 and image.mode == "RGBA"
    assert f"/organisations/{charity.id}/logo?v=" in page
    assert "hello@charity.example" in client.get("/contact").get_data(as_text=True)


def test_bad_settings_are_explained_and_change_nothing(client, ctx):
    charity = organisation("charity")
    db.session.commit()
    create_user("chris@charity.example", org="charity")
    login(client, "chris@charity.example")
    response = _settings(client, charity.id, contact_email="not an address")
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.get_data(as_text=True)
    response = _settings(client, charity.id, logo=b"GIF89a not really an image")
    assert response.status_code == 400
    assert "The logo must be a PNG, JPEG or WebP image" in response.get_data(as_text=True)
    db.session.refresh(charity)
    assert charity.contact_email is None and charity.logo_filename is None


def test_an_organiser_cannot_change_the_other_organisation(client, ctx):
    clinic, charity = organisation("clinic"), organisation("charity")
    db.session.commit()
    create_user("chris@charity.example", org="charity")
    login(client, "chris@charity.example")
    assert client.get(f"/organiser/organisations/{clinic.id}").status_code == 404
    assert _settings(client, clinic.id, name="Taken over").status_code == 404
    db.session.refresh(clinic)
    assert clinic.name != "Taken over"
    # An admin may change either.
    create_user("ada@example.org", admin=True, org=None)
    login(client, "ada@example.org")
    assert _settings(client, clinic.id, name="Meadowbank Clinic").status_code == 302
    assert client.get(f"/organiser/organisations/{charity.id}").status_code == 200


def test_an_organiser_writes_the_organisations_lines_in_welsh_too(client, ctx):
    """The settings form's Welsh part is saved, and Welsh pages show it (docs/welsh.md)."""
    create_webinar(slug="settings")
    charity = organisation("charity")
    db.session.commit()
    create_user("chris@charity.example", org="charity")
    login(client, "chris@charity.example")
    response = _settings(
        client,
        charity.id,
        about_cy="Yr elusen genedlaethol i bobl sy'n byw gyda phoen cefn.",
        marketing_description="news from BackWell UK",
        marketing_description_cy="newyddion gan BackWell UK",
    )
    assert response.status_code == 302
    welsh = client.get("/cy/webinars/settings").get_data(as_text=True)
    assert "<p>Yr elusen genedlaethol i bobl sy&#39;n byw gyda phoen cefn.</p>" in welsh
    assert "BackWell UK: newyddion gan BackWell UK</label>" in welsh
    english = client.get("/webinars/settings").get_data(as_text=True)
    assert "The national charity for people living with back pain." in english
    assert "newyddion" not in english and "BackWell UK: news from BackWell UK</label>" in english
    # Emptied again: the English, marked as English, on the Welsh page.
    _settings(client, charity.id, about_cy="")
    welsh = client.get("/cy/webinars/settings").get_data(as_text=True)
    assert '<p lang="en">The national charity for people living with back pain.</p>' in welsh

"""Every organiser route, tried anonymously, by the other organisation, and by a non-admin."""

from __future__ import annotations

from eventsapp.organiser import PUBLIC_ENDPOINTS
from tests.support import create_user, form_token, login
from tests.surface import data_state, one_of_everything, organiser_routes

ADMIN_ENDPOINTS = {
    "organiser.subject_access",
    "organiser.subject_access_export",
    "organiser.subject_erase",
    "organiser.users",
    "organiser.deactivate_user",
    "organiser.organisation_list",
    "organiser.audit_log",
    # An organisation's organisers see its API keys; only admins make or revoke them.
    "organiser.create_api_key",
    "organiser.revoke_api_key",
}


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(app, client, ctx):
    ids = one_of_everything()
    token = form_token(client)
    before = data_state()
    routes = organiser_routes(app, ids)
    assert len(routes) > 30
    for endpoint, method, url in routes:
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (endpoint, method)
        assert response.headers["Location"].startswith("/organiser/login"), endpoint
    assert data_state() == before


def test_the_other_organisation_cannot_read_export_or_change_anything(app, client, ctx):
    ids = one_of_everything()
    create_user("chris@charity.example", org="charity")
    login(client, "chris@charity.example")
    token = form_token(client)
    before = data_state()
    checked = 0
    webinar_prefix = f"/organiser/webinars/{ids['webinar_id']}"
    for endpoint, method, url in organiser_routes(app, ids):
        if not url.startswith(webinar_prefix):
            continue
        response = client.open(
            url, method=method, data={"csrf_token": token, "message": "x", "status": "hidden"}
        )
        assert response.status_code == 404, (endpoint, method, response.status_code)
        assert "ann@example.com" not in response.get_data(as_text=True)
        checked += 1
    # Every route of a webinar, read or write (55 route-and-method pairs).
    assert checked == 55
    assert data_state() == before
    # Their own list does not show it either.
    assert "clinic-only" not in client.get("/organiser/").get_data(as_text=True)


def test_organisers_cannot_reach_admin_pages(app, client, ctx):
    ids = one_of_everything()
    login(client, "colin@clinic.example")
    token = form_token(client)
    for endpoint, method, url in organiser_routes(app, ids):
        if endpoint in ADMIN_ENDPOINTS:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (endpoint, method)


def test_the_hosting_organisation_and_admins_can_open_every_page(app, client, ctx):
    """The control for the tests above: the same URLs do work for those allowed."""
    ids = one_of_everything()
    create_user("ada@example.org", admin=True)
    for email, allowed in (("colin@clinic.example", False), ("ada@example.org", True)):
        login(client, email)
        for endpoint, method, url in organiser_routes(app, ids):
            if method != "GET" or endpoint in PUBLIC_ENDPOINTS:
                continue
            if endpoint in ADMIN_ENDPOINTS and not allowed:
                continue
            assert client.get(url).status_code == 200, (email, endpoint)
        client.post("/organiser/logout", data={"csrf_token": form_token(client)})


def test_forms_without_a_csrf_token_change_nothing(app, client, ctx):
    ids = one_of_everything()
    login(client, "colin@clinic.example")
    before = data_state()
    for endpoint, method, url in organiser_routes(app, ids):
        if method == "POST":
            assert client.post(url, data={"message": "x"}).status_code == 400, endpoint
    assert data_state() == before

"""Sign-in, sign-out, CSRF and the permission on every route."""

import pytest

from casework import models as m
from casework.extensions import db

from .conftest import PASSWORD, csrf_token, login
from .factories import create_user
from .parsed import Page


def test_sign_in_with_the_right_password_and_a_csrf_token(client):
    user = create_user("manager")
    response = login(client, user.email)
    assert response.status_code == 302
    assert client.get("/families").status_code == 200


def test_sign_in_without_a_csrf_token_is_refused(client):
    user = create_user("manager")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/families").status_code == 302  # still signed out


def test_sign_in_with_a_wrong_password_shows_an_error_summary(client):
    user = create_user("manager")
    response = login(client, user.email, "wrong-password-123")
    assert response.status_code == 200
    assert Page(response.text).errors == ["Enter a correct email address and password"]


def test_a_deactivated_user_cannot_sign_in(client):
    user = create_user("worker")
    user.active = False
    db.session.commit()
    assert login(client, user.email).status_code == 200
    assert client.get("/families").status_code == 302


def test_email_is_matched_without_regard_to_case(client):
    create_user("manager", email="Mixed.Case@test.casework")
    assert login(client, "mixed.case@TEST.casework").status_code == 302


def test_sign_out_needs_a_post_with_csrf_and_ends_the_session(client):
    user = create_user("manager")
    login(client, user.email)
    page = client.get("/families")
    assert client.post("/logout").status_code == 400
    response = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get("/families").status_code == 302


def test_pages_need_sign_in(client):
    response = client.get("/families/F1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_next_parameter_cannot_redirect_off_site(client):
    user = create_user("manager")
    page = client.get("/login?next=//evil.example/x")
    response = client.post("/login?next=//evil.example/x", data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert response.headers["Location"] == "/"


def test_every_view_names_its_permission(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "permission"):
            missing.append(rule.rule)
    assert missing == []


def test_public_views_are_only_sign_in_health_assets_and_the_api_document(app):
    """Open to anyone: these four. The API's other routes need no session but a token whose
    role has the permission each names (`api_permission`, tests/test_api.py)."""
    public = sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and app.view_functions[rule.endpoint].permission is None
        and not hasattr(app.view_functions[rule.endpoint], "api_permission")
    )
    assert public == ["/api/v1/openapi.json", "/assets/<path:filename>", "/healthz", "/login"]
    token_checked = [rule.rule for rule in app.url_map.iter_rules()
                     if hasattr(app.view_functions[rule.endpoint], "api_permission")]
    assert token_checked and all(r.startswith("/api/v1/") for r in token_checked)


def test_users_create_from_the_command_line(cli):
    result = cli("users", "create", "new@test.casework", "--name", "New Person", "--role", "worker",
                 "--team", "North", "--password-stdin", input="a-long-enough-passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.query(m.User).filter_by(email="new@test.casework").one()
    assert user.team.name == "North" and user.password_hash != "a-long-enough-passphrase"


@pytest.mark.parametrize("password, message", [
    ("short", "at least 12 characters"),
    ("password1234", "too common"),
])
def test_users_create_refuses_weak_passwords(cli, password, message):
    result = cli("users", "create", "new@test.casework", "--name", "N", "--role", "worker",
                 "--password-stdin", input=password + "\n")
    assert result.exit_code == 1 and message in result.output


def test_users_create_refuses_an_unknown_role_as_wrong_usage(cli):
    result = cli("users", "create", "x@test.casework", "--name", "N", "--role", "boss",
                 "--password-stdin", input="a-long-enough-passphrase\n")
    assert result.exit_code == 2

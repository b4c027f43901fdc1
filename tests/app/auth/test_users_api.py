"""Staff users: roles are enforced and organizations never see each other."""

import pytest

from app.auth.models import Role
from tests.factories import auth_headers, create_organization, create_user


def test_admin_creates_and_lists_users_of_own_organization(client, session):
    admin = create_user(session, role=Role.admin)
    headers = auth_headers(client, admin)
    created = client.post(
        "/api/v1/users",
        headers=headers,
        json={"email": "new.hr@example.com", "full_name": "New HR", "role": "hr",
              "password": "a-long-password"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] == admin.organization_id
    emails = [user["email"] for user in client.get("/api/v1/users", headers=headers).json()]
    assert sorted(emails) == sorted([admin.email, "new.hr@example.com"])


def test_creating_a_user_is_audited(client, session):
    from sqlmodel import select

    from app.audit.models import AuditEntry

    admin = create_user(session)
    client.post(
        "/api/v1/users",
        headers=auth_headers(client, admin),
        json={"email": "audited@example.com", "full_name": "A", "role": "manager",
              "password": "a-long-password"},
    )
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.actor_user_id == admin.id
    assert entry.details["email"] == "audited@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.com", "full_name": "X", "role": "owner", "password": "a-long-pass"},
         "role"),
        ({"email": "not-an-email", "full_name": "X", "role": "hr", "password": "a-long-pass"},
         "email"),
        ({"email": "x@example.com", "full_name": "X", "role": "hr", "password": "short"},
         "password"),
        ({"email": "x@example.com", "full_name": "X", "role": "hr", "password": "a-long-pass",
          "is_admin": True}, "is_admin"),
    ],
)
def test_bad_user_input_is_422_naming_the_field(client, session, body, field):
    admin = create_user(session)
    response = client.post("/api/v1/users", headers=auth_headers(client, admin), json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


def test_an_email_already_used_in_the_organization_is_409(client, session):
    admin = create_user(session)
    body = {"email": admin.email, "full_name": "Twin", "role": "hr",
            "password": "a-long-pass-phrase"}
    response = client.post("/api/v1/users", headers=auth_headers(client, admin), json=body)
    assert response.status_code == 409
    assert "your organization already has a user" in response.json()["detail"]


def test_malformed_json_is_a_clear_422(client, session):
    admin = create_user(session)
    headers = {**auth_headers(client, admin), "Content-Type": "application/json"}
    response = client.post("/api/v1/users", headers=headers, content=b'{"email": ')
    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "body: The request body is not valid JSON."


def test_oversize_body_is_413(client, session):
    admin = create_user(session)
    headers = {**auth_headers(client, admin), "Content-Type": "application/json"}
    response = client.post("/api/v1/users", headers=headers, content=b"x" * 1_100_000)
    assert response.status_code == 413


# The authorization matrix of every staff endpoint that exists so far.
ENDPOINTS = [
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/users", None),
    ("POST", "/api/v1/users", {"email": "m@example.com", "full_name": "M", "role": "hr",
                               "password": "a-long-password"}),
    ("GET", "/api/v1/users/{own_user}", None),
]
EXPECTED = {
    # endpoint index -> status per caller
    0: {"anonymous": 401, "admin": 200, "hr": 200, "manager": 200},
    1: {"anonymous": 401, "admin": 200, "hr": 403, "manager": 403},
    2: {"anonymous": 401, "admin": 201, "hr": 403, "manager": 403},
    3: {"anonymous": 401, "admin": 200, "hr": 403, "manager": 403},
}


@pytest.mark.parametrize("caller", ["anonymous", "admin", "hr", "manager"])
@pytest.mark.parametrize("index", range(len(ENDPOINTS)))
def test_authorization_matrix(client, session, caller, index):
    organization = create_organization(session)
    users = {role: create_user(session, organization=organization, role=role)
             for role in ("admin", "hr", "manager")}
    method, path, body = ENDPOINTS[index]
    path = path.format(own_user=users["hr"].id)
    headers = {} if caller == "anonymous" else auth_headers(client, users[caller])
    response = client.request(method, path, headers=headers, json=body)
    assert response.status_code == EXPECTED[index][caller], response.text


def test_another_organizations_user_is_404_not_403(client, session):
    mine = create_user(session, role=Role.admin)
    theirs = create_user(session, role=Role.hr)  # a different organization
    response = client.get(f"/api/v1/users/{theirs.id}", headers=auth_headers(client, mine))
    assert response.status_code == 404
    missing = client.get("/api/v1/users/999999", headers=auth_headers(client, mine))
    assert missing.json() == response.json()


def test_list_never_shows_another_organizations_users(client, session):
    mine = create_user(session)
    theirs = create_user(session)
    emails = {u["email"] for u in client.get("/api/v1/users",
                                             headers=auth_headers(client, mine)).json()}
    assert theirs.email not in emails

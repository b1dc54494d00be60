from io import StringIO

from django.core.management import call_command

from apps.accounts.models import ApiToken, Membership, Workspace


def run_issue_token(*args: str) -> list[str]:
    out = StringIO()
    call_command("issue_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()


def test_issue_token_creates_what_is_missing_idempotently(db, client):
    first = run_issue_token("alice", "--workspace", "Lumo", "--role", "analyst")[-1]
    second = run_issue_token("alice", "--workspace", "Lumo", "--role", "analyst")[-1]
    assert first != second and first.startswith("mur_")
    assert Workspace.objects.filter(name="Lumo").count() == 1
    assert Membership.objects.get(user__username="alice").role == "analyst"
    assert ApiToken.objects.count() == 2
    for token in (first, second):
        assert client.get("/api/v1/texts", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_api_rejects_missing_and_wrong_tokens(db, client):
    assert client.get("/api/v1/texts").status_code == 401
    assert client.get("/api/v1/texts", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_login_page_and_logout(db, client, django_user_model):
    user = django_user_model.objects.create_user("bob", password="pw-123456789")
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "bob", "password": "wrong"})
    assert response.status_code == 200 and b"didn" in response.content
    response = client.post("/login/", {"username": "bob", "password": "pw-123456789"})
    assert response.status_code == 302
    assert client.get("/").status_code == 403  # logged in but in no workspace yet
    client.post("/logout/")
    assert client.get("/").status_code == 302 and user.pk


def test_dashboard_redirects_anonymous_to_login(db, client):
    response = client.get("/texts/")
    assert response.status_code == 302 and "/login/" in response["Location"]

"""A user never sees another workspace's data, through any endpoint or page."""

import pytest

from apps.corpus.models import CustomerText
from apps.jobs.models import Job
from tests.conftest import import_now

CSV = b"text,rating\nThe hinge squeaks loudly,2\nLovely warm light,5\n"


@pytest.fixture
def two_workspaces(make_member):
    a, b = make_member("owner", "Alpha"), make_member("owner", "Beta")
    import_now(a, "a.csv", CSV)
    return a, b


def test_api_endpoints_are_scoped(two_workspaces):
    a, b = two_workspaces
    text = CustomerText.objects.filter(workspace=a.workspace).first()
    job = Job.objects.filter(workspace=a.workspace).first()
    api = b.api()
    assert api.get("/api/v1/texts").json()["count"] == 0
    assert api.get(f"/api/v1/texts/{text.pk}").status_code == 404
    assert api.get(f"/api/v1/texts/{text.pk}/similar").status_code == 404
    assert api.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert api.get("/api/v1/search?q=hinge").json()["results"] == []
    # and the owner does see them
    assert a.api().get(f"/api/v1/texts/{text.pk}").status_code == 200
    assert a.api().get("/api/v1/search?q=hinge").json()["results"][0]["id"] == text.pk


def test_pages_are_scoped(two_workspaces):
    a, b = two_workspaces
    text = CustomerText.objects.filter(workspace=a.workspace).first()
    job = Job.objects.filter(workspace=a.workspace).first()
    browser = b.browser()
    assert browser.get(f"/texts/{text.pk}/").status_code == 404
    assert browser.get(f"/jobs/{job.pk}/").status_code == 404
    assert b"hinge" not in browser.get("/texts/").content
    assert b"squeaks" not in browser.get("/search/?q=hinge").content
    assert b"squeaks" in a.browser().get("/search/?q=hinge").content


def test_switching_to_a_foreign_workspace_is_ignored(two_workspaces):
    a, b = two_workspaces
    browser = b.browser()
    browser.post("/workspace/switch/", {"workspace_id": a.workspace.pk})
    assert b"hinge" not in browser.get("/texts/").content

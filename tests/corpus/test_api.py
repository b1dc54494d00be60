import json

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.models import CustomerText, TextImport
from tests.conftest import import_now

CSV = (
    "text,rating,date,source,author,product\n"
    "Bright and warm light,5,2026-10-01,app_store,Ann,Lamp\n"
    "App keeps losing the Bluetooth connection,2,2026-10-05,play_store,Bo,App\n"
    "灯光很柔和，很喜欢,5,2026-10-07,tmall,王,Lamp\n"
).encode()


def test_post_import_returns_202_with_job_and_queues_work(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", CSV)})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["rows"] == 3 and body["job_id"]
    assert len(callbacks) == 1  # the task is published only after the commit
    job = owner.api().get(f"/api/v1/jobs/{body['job_id']}").json()
    assert job["status"] == "queued" and job["error"] == "" and job["result"] == {}


def test_bad_file_gets_400_with_row_details_and_writes_nothing(owner):
    bad = b"text,rating\nfine,5\n,2\nok,11\n"
    response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", bad)})
    assert response.status_code == 400
    body = response.json()
    assert "nothing was imported" in body["error"]
    assert [d["row"] for d in body["details"]] == [3, 4]
    assert TextImport.objects.count() == 0 and CustomerText.objects.count() == 0


def test_bad_mapping_json_is_400(owner):
    response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", CSV), "mapping": "[1"})
    assert response.status_code == 400 and "mapping" in response.json()["error"]


def test_mapping_chooses_columns(owner):
    data = b"body,who\nhello there,me\n"
    response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", data),
                                                    "mapping": json.dumps({"text": "body", "author": "who"})})
    assert response.status_code == 202
    assert TextImport.objects.get().mapping == {"text": "body", "author": "who"}


def test_upload_size_limit(owner, settings):
    settings.MURMUR_MAX_UPLOAD_BYTES = 10
    response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", CSV)})
    assert response.status_code == 400 and "limit" in response.json()["error"]


def test_viewer_cannot_import_via_api(make_member):
    viewer = make_member("viewer")
    response = viewer.api().post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", CSV)})
    assert response.status_code == 403


def test_texts_list_filters_pagination_and_originals_for_owners_only(owner, make_member):
    import_now(owner, "r.csv", CSV)
    api = owner.api()
    page = api.get("/api/v1/texts?limit=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert api.get("/api/v1/texts?limit=2&offset=2").json()["results"][0]["id"] not in {
        r["id"] for r in page["results"]}
    assert api.get("/api/v1/texts?rating=5").json()["count"] == 2
    assert api.get("/api/v1/texts?language=zh").json()["count"] == 1
    assert api.get("/api/v1/texts?source=play_store").json()["results"][0]["rating"] == 2
    assert api.get("/api/v1/texts?date_from=2026-10-04&date_to=2026-10-06").json()["count"] == 1
    assert api.get("/api/v1/texts?product=App").json()["count"] == 1
    assert api.get("/api/v1/texts?limit=0").status_code == 400
    assert api.get("/api/v1/texts?date_from=notadate").status_code == 400
    first = page["results"][0]
    assert first["original_text"] and first["author"]
    assert {"id", "text", "rating", "posted_at", "source", "language", "moderation"} <= set(first)
    analyst = make_member("analyst", owner.workspace.name)
    hidden = analyst.api().get("/api/v1/texts").json()["results"][0]
    assert hidden["original_text"] is None and hidden["author"] is None


def test_openapi_schema_documents_the_api(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/imports", "/api/v1/texts", "/api/v1/search", "/api/v1/jobs/{job_id}"):
        assert path in schema["paths"], path

"""Table-driven over every URL pattern and API operation, so a new endpoint cannot slip through:
anonymous callers get nothing, and viewers cannot write."""

import json
import re
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from apps.copy.models import CopyRequest, CopyVariant
from apps.corpus.models import CustomerText, ImportStatus, TextImport
from apps.insights.models import Theme
from apps.jobs.models import Job, JobStatus
from apps.moderation.models import CaseStatus, ModerationCase
from apps.privacy.models import ErasureRequest
from apps.replies.models import KnowledgeSnippet, ReplyDraft
from tests.factories import BRIEF, customer_text

PUBLIC = {"/healthz", "/login/", "/logout/", "/api/v1/openapi.json", "/api/v1/docs"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(route: str) -> str:
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    route = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), route)
    route = re.sub(r"<(int:)?[^>]+>", "1", route)
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route)
    return "/" + route.lstrip("/")


def page_routes() -> list[str]:
    routes = sorted({_concrete(r) for r in _walk(get_resolver().url_patterns)})
    return [r for r in routes if not r.startswith(("/admin", "/api/", "/static")) and r not in PUBLIC]


def api_operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    ops = []
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", lambda m: str(uuid.uuid4()) if "job" in m.group(0) else "1", path)
        ops.extend((method.upper(), concrete) for method in methods if method in ("get", "post", "put", "patch",
                                                                                   "delete"))
    return ops


def test_every_page_needs_a_login(db, client):
    routes = page_routes()
    assert len(routes) >= 8, routes
    for route in routes:
        response = client.get(route)
        assert response.status_code in (302, 403, 404, 405), (route, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"], route


def test_every_api_operation_needs_authentication(db, client):
    ops = api_operations(client)
    assert len(ops) >= 10, ops
    for method, path in ops:
        if path in PUBLIC:
            continue
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code in (401, 403, 405), (method, path, response.status_code)


def write_operations(client) -> list[tuple[str, str]]:
    """(method, path template) of every API operation that writes, as the OpenAPI schema lists them."""
    schema = client.get("/api/v1/openapi.json").json()
    return [(method.upper(), path) for path, methods in schema["paths"].items() for method in methods
            if method in ("post", "put", "patch", "delete")]


def _objects(owner, viewer) -> dict:
    """Real rows of the viewer's workspace for every id a write endpoint takes, so that no request fails on a
    missing object (404) instead of on the role check."""
    ws = owner.workspace
    text = customer_text(ws, "The lamp's warm light is lovely.")
    theme, other_theme = (Theme.objects.create(workspace=ws, label=label, embedding_model="test")
                          for label in ("Warm light", "Battery"))
    case = ModerationCase.objects.create(workspace=ws, subject_type="customer_text", subject_id=str(text.pk),
                                         text=text.text, status=CaseStatus.PENDING)
    failed = Job.objects.create(workspace=ws, kind="copy", status=JobStatus.FAILED, created_by=owner.user)
    copy_job = Job.objects.create(workspace=ws, kind="copy", status=JobStatus.SUCCEEDED, created_by=owner.user)
    copy_request = CopyRequest.objects.create(workspace=ws, job=copy_job, created_by=owner.user,
                                              product=BRIEF["product"], audience=BRIEF["audience"], goal=BRIEF["goal"],
                                              channel=BRIEF["channel"], language="en", locale="en-US",
                                              status="succeeded")
    variant = CopyVariant.objects.create(workspace=ws, request=copy_request, position=1, headline="Warm light",
                                         body="A softer glow for your evenings.", call_to_action="Pre-order",
                                         language="en", moderation_status="approved")
    draft = ReplyDraft.objects.create(workspace=ws, text=text, body="Thank you for your kind words!", language="en",
                                      moderation_status="approved")
    snippet = KnowledgeSnippet.objects.create(workspace=ws, title="Returns", body="30-day returns.")
    import_job = Job.objects.create(workspace=ws, kind="import", status=JobStatus.SUCCEEDED, created_by=owner.user)
    text_import = TextImport.objects.create(workspace=ws, job=import_job, filename="reviews.csv", file_format="csv",
                                            file_sha256="0" * 64, status=ImportStatus.COMMITTED, created_by=owner.user)
    erasure = ErasureRequest.objects.create(workspace=ws, requested_by=owner.user, kind="text", criterion_hash="0" * 64,
                                            text_ids=[text.pk])
    return {"ids": {"job_id": failed.pk, "case_id": case.pk, "text_id": text.pk, "theme_id": theme.pk,
                    "copy_id": copy_request.pk, "variant_id": variant.pk, "request_id": erasure.pk,
                    "draft_id": draft.pk, "snippet_id": snippet.pk, "import_id": text_import.pk},
            "text": text, "theme": theme, "other_theme": other_theme, "case": case, "variant": variant,
            "draft": draft, "snippet": snippet, "erasure": erasure, "viewer": viewer}


def _csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("reviews.csv", b"text,rating\nThe light is warm and soft.,5\n", content_type="text/csv")


# A valid body per write operation (what an owner or analyst could send), built from the rows above. A new write
# endpoint fails the test until it gets a body here.
BODIES = {
    ("POST", "/api/v1/jobs/{job_id}/cancel"): lambda o: None,
    ("POST", "/api/v1/jobs/{job_id}/retry"): lambda o: None,
    ("POST", "/api/v1/imports"): lambda o: {"file": _csv(), "mapping": ""},  # multipart
    ("POST", "/api/v1/imports/skipped-rows"): lambda o: {"file": _csv(), "mapping": ""},  # multipart
    ("POST", "/api/v1/imports/{import_id}/undo"): lambda o: None,
    ("POST", "/api/v1/llm/test"): lambda o: {"question": "Which lamp reads best?"},
    ("POST", "/api/v1/llm/batch"): lambda o: {"questions": ["Which lamp reads best?"]},
    ("PUT", "/api/v1/llm/budget"): lambda o: {"monthly_tokens": 1000},
    ("POST", "/api/v1/moderation/cases/{case_id}/decision"): lambda o: {"action": "approve", "note": "Fine."},
    ("POST", "/api/v1/moderation/cases/{case_id}/undo"): lambda o: None,
    ("POST", "/api/v1/moderation/cases/{case_id}/notes"): lambda o: {"body": "Looks fine to me."},
    ("POST", "/api/v1/moderation/cases/{case_id}/assign"): lambda o: {"user_id": o["viewer"].user.pk},
    ("POST", "/api/v1/moderation/bulk"): lambda o: {"action": "approve", "case_ids": [o["case"].pk]},
    ("POST", "/api/v1/moderation/screen-unchecked"): lambda o: None,
    ("PUT", "/api/v1/moderation/policy"): lambda o: {"use_llm_judge": False},
    ("POST", "/api/v1/analyses"): lambda o: None,
    ("POST", "/api/v1/texts/{text_id}/correction"): lambda o: {"sentiment": "negative"},
    ("PATCH", "/api/v1/themes/{theme_id}"): lambda o: {"label": "Renamed by a viewer"},
    ("DELETE", "/api/v1/themes/{theme_id}"): lambda o: None,
    ("POST", "/api/v1/themes/{theme_id}/merge"): lambda o: {"into": o["other_theme"].pk},
    ("POST", "/api/v1/themes/{theme_id}/split"): lambda o: None,
    ("PUT", "/api/v1/analysis-settings"): lambda o: {"product_context": "Reading lamps"},
    ("POST", "/api/v1/copy"): lambda o: {"brief": BRIEF},
    ("PATCH", "/api/v1/copy/{copy_id}/variants/{variant_id}"): lambda o: {"body": "Edited by a viewer."},
    ("POST", "/api/v1/copy/{copy_id}/variants/{variant_id}/regenerate"): lambda o: None,
    ("POST", "/api/v1/copy/{copy_id}/variants/{variant_id}/favourite"): lambda o: {"favourite": True},
    ("POST", "/api/v1/copy/{copy_id}/variants/{variant_id}/approve"): lambda o: None,
    ("PUT", "/api/v1/brand-voice"): lambda o: {"formality": 3, "words_to_avoid": ["cheap"]},
    ("POST", "/api/v1/ideas"): lambda o: None,
    ("PUT", "/api/v1/privacy/retention"): lambda o: {"original_days": 30},
    ("POST", "/api/v1/privacy/exports"): lambda o: {"include_originals": False},
    ("POST", "/api/v1/privacy/erasures"): lambda o: {"kind": "text", "value": "warm light"},
    ("POST", "/api/v1/privacy/erasures/{request_id}/confirm"): lambda o: {"text_ids": [o["text"].pk]},
    ("POST", "/api/v1/privacy/workspace/delete"): lambda o: {"confirm_name": o["text"].workspace.name},
    ("POST", "/api/v1/replies"): lambda o: {"text_ids": [o["text"].pk], "variants": 1},
    ("PATCH", "/api/v1/replies/{draft_id}"): lambda o: {"text": "Edited by a viewer."},
    ("POST", "/api/v1/replies/{draft_id}/approve"): lambda o: None,
    ("POST", "/api/v1/replies/{draft_id}/reject"): lambda o: None,
    ("PUT", "/api/v1/reply-policy"): lambda o: {"tone": "curt"},
    ("POST", "/api/v1/knowledge"): lambda o: {"title": "Shipping", "text": "Ships in 2 days."},
    ("PUT", "/api/v1/knowledge/{snippet_id}"): lambda o: {"title": "Edited by a viewer"},
    ("DELETE", "/api/v1/knowledge/{snippet_id}"): lambda o: None,
    ("POST", "/api/v1/translations"): lambda o: {"text_ids": [o["text"].pk], "lang": "zh"},
    ("PUT", "/api/v1/me/language"): lambda o: {"language": "zh"},
}
# Writes a viewer may make, and what they get: the reading language is each person's own preference.
VIEWER_MAY = {("PUT", "/api/v1/me/language"): 200}


def test_viewers_cannot_write_through_the_api(make_member, client):
    """Every write operation, with a valid body and real ids of the viewer's own workspace, so neither schema
    validation (422) nor a missing row (404) can answer before the role check: a viewer gets exactly 403."""
    owner = make_member("owner", "ReadOnly")
    viewer = make_member("viewer", "ReadOnly")
    objects = _objects(owner, viewer)
    ops = write_operations(client)
    assert len(ops) >= 30, ops
    missing = [op for op in ops if op not in BODIES]
    assert not missing, f"write operations with no valid body in BODIES (add one): {missing}"
    jobs_before = Job.objects.filter(workspace=owner.workspace).count()
    api = viewer.api()
    for method, template in ops:
        path = re.sub(r"\{([^}]+)\}", lambda m: str(objects["ids"][m.group(1)]), template)
        body = BODIES[(method, template)](objects)
        if template.startswith("/api/v1/imports"):
            response = api.post(path, body)  # multipart/form-data
        else:
            response = api.generic(method, path, "" if body is None else json.dumps(body),
                                   content_type="application/json")
        expected = VIEWER_MAY.get((method, template), 403)
        assert response.status_code == expected, (method, path, response.status_code, response.content[:300])
    # nothing a viewer sent was written
    assert Job.objects.filter(workspace=owner.workspace).count() == jobs_before
    objects["theme"].refresh_from_db()
    objects["variant"].refresh_from_db()
    objects["draft"].refresh_from_db()
    objects["case"].refresh_from_db()
    assert objects["theme"].label == "Warm light" and objects["theme"].status == "active"
    assert not objects["variant"].approved and not objects["variant"].favourite
    assert objects["variant"].body == "A softer glow for your evenings."
    assert objects["draft"].status == "draft" and objects["draft"].body == "Thank you for your kind words!"
    assert objects["case"].status == CaseStatus.PENDING and objects["case"].assigned_to_id is None
    assert KnowledgeSnippet.objects.filter(pk=objects["snippet"].pk, title="Returns").exists()
    assert KnowledgeSnippet.objects.filter(workspace=owner.workspace).count() == 1
    assert CustomerText.objects.filter(pk=objects["text"].pk).exists()  # neither erased nor undone

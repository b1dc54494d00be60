"""Schemathesis against the whole API, in process through Django's WSGI app (the same request path as the live
server, without a socket): every operation's generated requests must get no 5xx, only documented status codes,
bodies that match their schema and the documented content type."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api

# Left out, each for its reason (everything else in the schema runs):
EXCLUDED = {
    ("POST", "/api/v1/llm/test"): "asks the model synchronously (a model call per case)",
    ("POST", "/api/v1/llm/batch"): "starts a job of model calls",
    ("POST", "/api/v1/analyses"): "starts an analysis: model calls per theme and for the report",
    ("POST", "/api/v1/copy"): "starts copy generation",
    ("POST", "/api/v1/copy/{copy_id}/variants/{variant_id}/regenerate"): "generates copy again",
    ("POST", "/api/v1/ideas"): "starts product-idea generation",
    ("POST", "/api/v1/replies"): "starts reply drafting",
    ("GET", "/api/v1/texts/{text_id}/translation"): "translates a text with the model",
    ("POST", "/api/v1/translations"): "starts bulk translation",
    ("POST", "/api/v1/privacy/workspace/delete"): "deletes the workspace the run works in",
}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
MAX_EXAMPLES = 5  # per operation, besides the coverage phase: about 60 operations in under 3 minutes on two slow cores

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"),
                                                              default=str)))
schema.app = get_wsgi_application()
for method, path in EXCLUDED:
    schema = schema.exclude(method=method, path=path)


@pytest.fixture
def fuzz_owner(make_member, settings):
    """A workspace and owner token of the run's own, under a rate limit the run cannot reach. As Django's test
    client does, requests keep the test's database connection (its transaction holds the workspace)."""
    settings.MURMUR_API_REQUESTS_PER_MINUTE = 1_000_000
    settings.MURMUR_LLM_SYNC_CALLS_PER_MINUTE = 1_000_000
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield make_member("owner", workspace="Schemathesis")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_excluded_operations_exist():
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    operations = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert set(EXCLUDED) <= operations


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, fuzz_owner):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_owner.token}"}, checks=CHECKS)

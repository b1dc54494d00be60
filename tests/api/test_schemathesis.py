"""Schemathesis against the whole API, in process through Django's WSGI app (the same request path as the live
server, without a socket): every operation's generated requests must get no 5xx, only documented status codes,
bodies that match their schema and the documented content type.

Every operation runs. The ones that ask the model get the tests' scripted model server (tests/fakes.py): a
synchronous call (the playground, a text's translation, the judge of a reply edit) is answered by a script, and
a job that is queued on commit never starts inside the test's transaction. Deleting the workspace runs in a test
of its own, in a workspace of its own, so it takes nothing from the others."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from config.api import api
from tests.factories import BATTERY, customer_texts
from tests.fakes import AnalysisScript, CopyScript, RepliesScript, SaysNegative

WORKSPACE_DELETE = ("POST", "/api/v1/privacy/workspace/delete")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance,
          response_headers_conformance, ignored_auth,  # each operation refuses a request without or with a bad token
          unsupported_method, allow_header_conformance,  # an undocumented method is a 405 with a true Allow
          missing_required_header]
# Schemathesis's other checks, each with why it does not run here (test_every_check_is_accounted_for):
EXCLUDED_CHECKS = {
    "positive_data_acceptance": "the schema cannot say every rule of the input (a blank question, a CSV without a "
    "text column, an empty selection of texts): a schema-valid request can be a documented 400 by design",
    "negative_data_rejection": "pydantic's lax mode accepts what the schema's types call wrong, by design: "
    "a number in a string (\"5\" for an integer) and a Unix time for a date (date_to=0)",
    "use_after_free": "needs a stateful run (a DELETE then a read, linked); a parametrized case has no parent",
    "ensure_resource_availability": "needs a stateful run (a POST then a read through links); no parent here",
    "object_level_authorization": "needs a stateful run with two identities; tests/test_url_permissions.py and "
    "the apps' tests cover one workspace not reading another's objects",
}
MAX_EXAMPLES = 5  # per operation, besides the coverage phase: about 70 operations in under 3 minutes on two slow cores

raw_schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), default=str))
base_schema = schemathesis.openapi.from_dict(raw_schema)
base_schema.app = get_wsgi_application()
schema = base_schema.exclude(method=WORKSPACE_DELETE[0], path=WORKSPACE_DELETE[1])  # its own test, below
delete_schema = base_schema.include(method=WORKSPACE_DELETE[0], path=WORKSPACE_DELETE[1])


def _operations(of) -> set[tuple[str, str]]:
    return {(op.ok().method.upper(), op.ok().path) for op in of.get_all_operations()}


@pytest.fixture
def in_process(settings):
    """Under a rate limit the run cannot reach; as Django's test client does, requests keep the test's database
    connection (its transaction holds the workspace)."""
    settings.MURMUR_API_REQUESTS_PER_MINUTE = 1_000_000
    settings.MURMUR_LLM_SYNC_CALLS_PER_MINUTE = 1_000_000
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_owner(in_process, make_member, fake_llm):
    """A workspace (with a few texts) and owner token of the run's own, and the scripted model server answering
    every prompt."""
    fake_llm.use(AnalysisScript(), SaysNegative(), CopyScript(), RepliesScript())
    fake_llm.on("llm/playground", answer=lambda asked: {"answer": "Because they say what to fix."})
    member = make_member("owner", workspace="Schemathesis")
    customer_texts(member.workspace, BATTERY[:3], sentiment="negative")
    return member


def test_every_operation_is_exercised():
    """The two parametrized tests together cover the whole schema, and the workspace deletion only the second."""
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    operations = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert _operations(schema) | _operations(delete_schema) == operations
    assert _operations(delete_schema) == {WORKSPACE_DELETE}


def test_every_check_is_accounted_for():
    """Run or excluded with a reason: a check a newer Schemathesis adds shows up here."""
    assert {check.__name__ for check in CHECKS} | set(EXCLUDED_CHECKS) == set(REGISTERED_CHECKS.get_all_names())
    assert not {check.__name__ for check in CHECKS} & set(EXCLUDED_CHECKS)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, fuzz_owner):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_owner.token}"}, checks=CHECKS)


@delete_schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_workspace_deletion_conforms_to_its_schema(case, in_process, make_member):
    """In a workspace of its own (a generated confirm_name rarely matches, so most cases are refused)."""
    member = make_member("owner", workspace="Schemathesis deletes")
    case.call_and_validate(headers={"Authorization": f"Bearer {member.token}"}, checks=CHECKS)


def test_the_model_operations_reach_the_model(fuzz_owner, fake_llm):
    """Generated ids rarely name a text of the workspace: one case per synchronous model operation that does,
    and the workspace deletion that matches, so the model's answers and a deletion's response are validated."""
    headers = {"Authorization": f"Bearer {fuzz_owner.token}"}
    text_id = fuzz_owner.workspace.texts.first().pk
    for case in [
        schema["/api/v1/llm/test"]["POST"].Case(body={"question": "Why do reviews matter?"}),
        schema["/api/v1/texts/{text_id}/translation"]["GET"].Case(path_parameters={"text_id": text_id},
                                                                  query={"lang": "zh"}),
    ]:
        case.call_and_validate(headers=headers, checks=CHECKS)
    assert fake_llm.calls["llm/playground"] == 1 and fake_llm.calls["translation/translate"] == 1
    deletion = delete_schema[WORKSPACE_DELETE[1]][WORKSPACE_DELETE[0]].Case(body={"confirm_name": "Schemathesis"})
    assert deletion.call_and_validate(headers=headers, checks=CHECKS).status_code == 200

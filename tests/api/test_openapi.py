"""The OpenAPI schema documents every response: errors share one body (ErrorOut), and no two schemas share a
name (ninja keys components by class name, so a second `JobAccepted` silently replaced the first)."""

from config.api import ERROR_STATUSES_OF_ALL, api


def _schema() -> dict:
    return api.get_openapi_schema(path_prefix="/api/v1/")


def test_every_operation_documents_its_errors_with_the_shared_body():
    schema = _schema()
    assert set(schema["components"]["schemas"]["ErrorOut"]["required"]) == {"error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert set(ERROR_STATUSES_OF_ALL) <= set(responses), (method, path)
            if "{" in path:
                assert 404 in responses, (method, path)
            assert any(200 <= int(status) < 300 for status in responses), (method, path)
            for status in ERROR_STATUSES_OF_ALL:
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
                # ErrorOut, or a body that extends it (an import's 400 counts valid and invalid rows)
                assert ref.endswith("/ErrorOut") or "error" in body["required"], (method, path, status)


def test_screen_unchecked_documents_the_body_it_returns():
    schema = _schema()
    ref = schema["paths"]["/api/v1/moderation/screen-unchecked"]["post"]["responses"][202]["content"][
        "application/json"]["schema"]["$ref"]
    accepted = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(accepted["properties"]) == {"job_id", "total"}


def test_the_api_answers_with_the_documented_error_body(owner):
    response = owner.api().get("/api/v1/texts/999999")
    assert response.status_code == 404 and set(response.json()) == {"error"}
    response = owner.api().get("/api/v1/texts?limit=abc")
    assert response.status_code == 400 and response.json()["details"][0]["field"]

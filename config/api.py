"""The JSON API: one NinjaAPI, one router per app, Bearer token or browser session auth."""

from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from apps.accounts.context import PermissionDenied
from apps.accounts.web import API_AUTH
from apps.copy.apis import router as copy_router
from apps.core.errors import Conflict, InvalidRequest, NotFound, UpstreamFailed
from apps.corpus.apis import router as corpus_router
from apps.insights.apis import router as insights_router
from apps.jobs.apis import router as jobs_router
from apps.llm.apis import router as llm_router
from apps.llm.gateway import LLMError
from apps.llm.interactive import LLMRateLimited
from apps.moderation.apis import router as moderation_router
from apps.privacy.apis import router as privacy_router
from apps.replies.apis import router as replies_router
from apps.search.apis import router as search_router
from apps.translation.apis import router as translation_router


class ErrorOut(Schema):
    """Every error the API answers has this body: `error`, a sentence for the caller; `details`, per field or per
    row where there are several problems; some errors add fields of their own (a conflict names what it
    conflicts with, a refused import counts `valid_rows` and `invalid_rows`)."""

    model_config = {"extra": "allow"}
    error: str
    details: list[dict[str, Any]] = []


# What each error status means; every operation documents those it can return (`error_statuses`).
ERROR_MEANINGS = {
    400: "The request is invalid: a parameter, the body or an uploaded file (`details` says where).",
    401: "Authentication required: send a valid Bearer token (or a browser session).",
    403: "Your role in this workspace may not do this.",
    404: "No such object in this workspace.",
    409: "The request conflicts with the object's state (a run in progress, a decision already made, ...).",
    429: "Rate limit exceeded (API requests per minute, or model calls from the browser); see Retry-After.",
    502: "An upstream service (the model server) gave an unusable answer.",
    503: "The database or the model server is unavailable or out of budget; retry later (see Retry-After).",
}
# Every operation: invalid input, no credentials, a role short of it, the rate limit, the database down.
ERROR_STATUSES_OF_ALL = (400, 401, 403, 429, 503)
# Operations that fetch an object by id (a path parameter) can miss it; writes can conflict with its state.
# Beyond those rules, the operations below (by operation id) return these statuses too.
MORE_ERROR_STATUSES: dict[str, tuple[int, ...]] = {
    "apps_replies_apis_text_translation": (502,),  # the model's translation was unusable (TranslationFailed)
}


def error_statuses(path: str, method: str, operation_id: str) -> list[int]:
    statuses = set(ERROR_STATUSES_OF_ALL) | set(MORE_ERROR_STATUSES.get(operation_id, ()))
    if "{" in path:
        statuses.add(404)
    if method != "get":
        statuses |= {404, 409}
    return sorted(statuses)


class MurmurAPI(NinjaAPI):
    """A NinjaAPI whose schema documents every error response, all with one body (`ErrorOut`): errors come from
    the handlers below, not from each operation's `response=`, so they are added here."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in error_statuses(path, method, operation.get("operationId", "")):
                    responses.setdefault(status, {"description": ERROR_MEANINGS[status], "content": error_body})
        return schema


class ObjectBodyParser(Parser):
    """Every JSON body of the API is an object. Ninja reads a schema's fields off anything else as attributes, so
    an array or a scalar passed an all-optional schema as its defaults (a PUT of `[null]` was a 200); now a 400."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


api = MurmurAPI(
    title="Murmur API",
    version="1",
    description="Customer voice in, market analysis and copy out. Authenticate with `Authorization: Bearer <token>` "
    "(python manage.py issue_token USER --workspace NAME --role ROLE).",
    auth=API_AUTH,
    parser=ObjectBodyParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


# Errors whose message is meant for the caller, by status code. Handlers follow each exception's MRO, so
# a subclass (CopyConflict, ReplyError, ModerationError, CaseNotFound, PrivacyError, NotRetryable, ...) gets the
# status of the nearest class listed here; its `payload`, if any, adds fields to the body.
STATUS_OF_ERROR: dict[type[Exception], int] = {
    InvalidRequest: 400, PermissionDenied: 403, NotFound: 404, Conflict: 409, UpstreamFailed: 502,
    LLMError: 503,  # a request that calls the model while it is down or out of budget
    LLMRateLimited: 429,  # a user's model calls from the browser beyond MURMUR_LLM_SYNC_CALLS_PER_MINUTE
    HttpError: 0,  # carries its own status
}


def _error_response(request: HttpRequest, exc: Exception):
    status = getattr(exc, "status_code", 0) or next(
        code for cls in type(exc).__mro__ if (code := STATUS_OF_ERROR.get(cls)))
    return api.create_response(request, {"error": str(exc), **getattr(exc, "payload", {})}, status=status)


for error_class in STATUS_OF_ERROR:
    api.add_exception_handler(error_class, _error_response)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"error": "Authentication required: send a valid Bearer token."}, status=401)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception):
    from apps.dashboard.views import DATABASE_DOWN

    response = api.create_response(request, {"error": DATABASE_DOWN}, status=503)
    response["Retry-After"] = "30"
    return response


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    details = [{"field": ".".join(str(p) for p in e.get("loc", [])), "error": e.get("msg", "")} for e in exc.errors]
    return api.create_response(request, {"error": "Invalid request.", "details": details}, status=400)


api.add_router("/", jobs_router)
api.add_router("/", corpus_router)
api.add_router("/", search_router)
api.add_router("/", llm_router)
api.add_router("/", moderation_router)
api.add_router("/", insights_router)
api.add_router("/", copy_router)
api.add_router("/", privacy_router)
api.add_router("/", replies_router)
api.add_router("/", translation_router)  # after replies: its operations were the last of replies' router

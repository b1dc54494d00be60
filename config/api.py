"""The JSON API: one NinjaAPI, one router per app, Bearer token or browser session auth."""

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

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

api = NinjaAPI(
    title="Murmur API",
    version="1",
    description="Customer voice in, market analysis and copy out. Authenticate with `Authorization: Bearer <token>` "
    "(python manage.py issue_token USER --workspace NAME --role ROLE).",
    auth=API_AUTH,
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

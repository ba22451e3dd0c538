"""The example backend's views: what the deploy health check and the frontend call."""

import os

from django.core import signing
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the app can run a query on its database, else 503 with the reason.

    A deploy waits on this before it takes traffic, so it asks the database
    itself rather than only answering that the process is up.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        body = {"status": "error", "database": "unavailable", "reason": reason}
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def info(request: HttpRequest) -> JsonResponse:
    """Which build is serving, so the frontend and smoke tests can show it."""
    return JsonResponse(
        {
            "app": "shipyard-demo",
            "version": os.environ.get("APP_VERSION") or "dev",
            "git_sha": os.environ.get("GIT_SHA") or None,
        }
    )


# Tokens of these two views are signed for this purpose only, so they can never
# pass for a session, a password reset or any other signed value of the app.
ROTATION_CHECK_SALT = "shipyard_demo.rotation-check"
MAX_CHECK_VALUE = 64


@require_GET
def sign(request: HttpRequest) -> JsonResponse:
    """A token signing `value` with the app's key: lets a key rotation be checked."""
    value = request.GET.get("value", "")
    if not value or len(value) > MAX_CHECK_VALUE:
        return JsonResponse({"error": "give a value of 1-64 characters"}, status=400)
    return JsonResponse({"token": signing.dumps(value, salt=ROTATION_CHECK_SALT)})


@require_GET
def verify(request: HttpRequest) -> JsonResponse:
    """Whether `token` was signed by this app's key or one of its fallbacks."""
    try:
        value = signing.loads(request.GET.get("token", ""), salt=ROTATION_CHECK_SALT)
    except signing.BadSignature:
        return JsonResponse({"valid": False})
    return JsonResponse({"valid": True, "value": value})

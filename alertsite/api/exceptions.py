"""Every API error is JSON a person can act on (DESIGN §5)."""

import logging
import re

from django.apps import apps
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.validators import UniqueValidator
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5


def exception_handler(exc, context):
    """DRF's handler, plus the errors that come from the model layer.

    A model or service `ValidationError` and a constraint violation are bad
    input (400); a database that cannot be reached is a 503 the client may
    retry, not a 500.
    """
    if isinstance(exc, SuspiciousOperation | BadRequest):
        # Raised by Django while reading the request (too large, too many
        # fields): the client's mistake, logged as any 400, without a traceback.
        return Response({"detail": bad_request_message(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, IntegrityError):
        # The database's text names tables, constraints and other rows' values: logged, never returned.
        logger.warning("Constraint violation during %s: %s", context["request"].path, exc)
        exc = exceptions.ValidationError(constraint_errors(exc, context.get("view")))
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.error("Database unavailable during %s: %s", context["request"].path, exc)
        set_rollback()
        return Response(
            {"detail": _("The database is unavailable; try again in a few seconds.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return drf_exception_handler(exc, context)


# What PostgreSQL (psycopg's diagnostics) and SQLite say about the violated constraint.
_POSTGRES_KEY = re.compile(r"Key \((?P<columns>[^)]+)\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")


def constraint_errors(exc: IntegrityError, view=None) -> dict[str, list[str]]:
    """Field messages for a constraint the database enforced (a concurrent duplicate…).

    A unique column gets the message its serializer field's own validator
    gives when it sees the duplicate first, so the answer does not depend on
    who won the race; a check constraint its `violation_error_message`; a
    vanished related object its field. Anything else is one generic message.
    """
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    text = str(cause or exc)
    table, columns, name = None, [], None
    if diag is not None:
        table, name = diag.table_name, diag.constraint_name
        match = _POSTGRES_KEY.match(diag.message_detail or "")
        columns = [column.strip() for column in match["columns"].split(",")] if match else []
    elif match := _SQLITE_UNIQUE.search(text):
        pairs = [column.strip().rsplit(".", 1) for column in match["columns"].split(",")]
        table, columns = pairs[0][0], [column for _table, column in pairs]
    elif match := _SQLITE_CHECK.search(text):
        name = match["name"]
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name and getattr(constraint, "violation_error_message", None):
                return {"non_field_errors": [str(constraint.violation_error_message)]}
        if model._meta.db_table != table or len(columns) != 1:
            continue
        field = next((f for f in model._meta.concrete_fields if f.column == columns[0]), None)
        if field is not None and (errors := _field_errors(view, field)):
            return errors
    return {"non_field_errors": [_("The change conflicts with data saved meanwhile; reload and try again.")]}


def _field_errors(view, model_field) -> dict[str, list[str]] | None:
    serializer_class = getattr(view, "get_serializer_class", None)
    if serializer_class is None:
        return None
    for name, field in serializer_class()().fields.items():
        if field.read_only or field.source != model_field.name:
            continue
        if model_field.is_relation:
            return {name: [_("The related object no longer exists.")]}
        messages = [str(v.message) for v in field.validators if isinstance(v, UniqueValidator)]
        if messages:
            return {name: messages[:1]}
    return None


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request_message(exception: Exception) -> str:
    """What a client is told about a request Django refused to read."""
    if isinstance(exception, RequestDataTooBig):
        return _("The request body is too large (at most %(size)d bytes).") % {
            "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        }
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return _("Too many parameters (at most %(count)d).") % {"count": limit}
    if isinstance(exception, DisallowedHost):
        return _("This site does not answer to that Host header.")
    return _("The request could not be read.")


def bad_request(request, exception, template_name="400.html"):
    """JSON 400 under /api/ for what Django refuses before the API sees it (bad Host, too large)."""
    if _is_api(request):
        return JsonResponse({"detail": bad_request_message(exception)}, status=400)
    return defaults.bad_request(request, exception, template_name)


def page_not_found(request, exception, template_name="404.html"):
    """JSON 404 for unknown URLs under /api/, the usual page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": _("No API endpoint at this address.")}, status=404)
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name="500.html"):
    """JSON 500 under /api/, the usual page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": _("Server error; it has been logged.")}, status=500)
    return defaults.server_error(request, template_name)

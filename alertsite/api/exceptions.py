"""Every API error is JSON a person can act on (DESIGN §5)."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
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
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("The change conflicts with existing data: %(error)s") % {"error": exc}]}
        )
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.error("Database unavailable during %s: %s", context["request"].path, exc)
        set_rollback()
        return Response(
            {"detail": _("The database is unavailable; try again in a few seconds.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return drf_exception_handler(exc, context)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


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

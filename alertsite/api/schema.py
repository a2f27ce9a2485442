"""OpenAPI generation: the error responses every operation can give."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import permissions, serializers

ERROR_CODES_DESCRIPTIONS = {
    "401": _("Missing, invalid or expired token."),
    "403": _("The user lacks the permission this operation needs."),
    "404": _("No object with this id."),
}
VALIDATION_ERROR_SCHEMA = {
    "description": (
        "Messages per field or query parameter (`non_field_errors` for the whole input), "
        "or a `detail` when the body cannot be read at all (malformed JSON)."
    ),
    "anyOf": [
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    ],
}


class JWTScheme(SimpleJWTScheme):
    """simplejwt's bearer scheme, for the project's JWTAuthentication (alertsite/api/authentication.py)."""

    target_class = "alertsite.api.authentication.JWTAuthentication"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, documenting the 400/401/403/404 each operation can answer.

    A viewset lists in `filtered_actions` the extra actions that take the list's filters.
    """

    def get_paginated_name(self, serializer_name: str) -> str:
        # The list answers an array or, with limit/offset, a page.
        return f"{serializer_name}ListOrPage"

    def get_filter_backends(self):
        # Extra list-level actions (e.g. `read-all`) take the list's filters too.
        if getattr(self.view, "action", None) in getattr(self.view, "filtered_actions", ()):
            return getattr(self.view, "filter_backends", [])
        return super().get_filter_backends()

    def _get_filter_parameters(self):
        # django-filter reads an empty value (`?is_read=`, `?ordering=`) as no filter at all;
        # only an empty choice of a multiple-choice filter (`?status=`) is a 400.
        parameters = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class else {}
        for parameter in parameters:
            if not isinstance(filters.get(parameter["name"]), django_filters.MultipleChoiceFilter):
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        has_input = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        if has_input or self._get_filter_parameters():
            responses.setdefault("400", self._get_response_for_code(VALIDATION_ERROR_SCHEMA, "400"))
        codes = []
        perms = self.view.get_permissions()
        if perms and not any(isinstance(p, permissions.AllowAny) for p in perms):
            codes += ["401", "403"]
        if "{id}" in self.path:
            codes.append("404")
        for code in codes:
            response = self._get_response_for_code(ErrorSerializer, code)
            response["description"] = str(ERROR_CODES_DESCRIPTIONS[code])
            responses.setdefault(code, response)
        return responses

"""OpenAPI generation: the error responses every operation can give, documented in one place.

Every operation of the schema gets the statuses the shared machinery can
answer, whatever the view (DESIGN §5; `alertsite/api/exceptions.py`):

- 400: any request Django or the parser refuses to read (too many parameters,
  a body too large or malformed, a bad Host), besides invalid input;
- 401 and 403 from the permission classes, 404 on paths with an `{id}`;
- 406 when no renderer matches `Accept`, 415 when a body is not JSON;
- 429 with `Retry-After` on throttled views;
- 503 with `Retry-After` when the database cannot be reached (every view reads it).

Views add only what is theirs (generate's 409, the token endpoint's 401).
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers
from rest_framework.settings import api_settings

ERROR_CODES_DESCRIPTIONS = {
    "401": _("Missing, invalid or expired token."),
    "403": _("The user lacks the permission this operation needs."),
    "404": _("No object with this id."),
    "406": _("No representation matches the Accept header (the API answers JSON)."),
    "415": _("The body is not JSON (Content-Type: application/json)."),
    "429": _("Too many requests; retry after the number of seconds in Retry-After."),
    "503": _("The database is unavailable; retry after the number of seconds in Retry-After."),
}
INPUT_ERROR_DESCRIPTION = _(
    "Invalid input: messages per field or parameter, or a request that cannot be read."
)
UNREADABLE_DESCRIPTION = _(
    "The request cannot be read: too many parameters, a body too large or malformed, a Host not allowed."
)
FORMAT_DESCRIPTION = _(
    "The response's format (also chosen by `Accept`): `json` (default) or `csv`, a streamed export "
    "with a header row, the same filters and the same columns as the JSON objects, not capped by "
    "API_MAX_LIST. "
    "With `limit`/`offset` the CSV holds that page's rows."
)
RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
}
NOT_MODIFIED_DESCRIPTION = _(
    "Not modified: nothing changed since the version named in If-None-Match (no body)."
)
ETAG_HEADER = {
    "ETag": {
        "description": "The version of this answer; send it back in If-None-Match to be answered 304 "
        "while nothing changed.",
        "schema": {"type": "string"},
    },
}
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag of the version held: a 304 without a body answers while it is current.",
)
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
    """drf-spectacular's AutoSchema, documenting every error status an operation can answer.

    A viewset lists in `filtered_actions` the extra actions that take the list's filters.
    """

    def get_paginated_name(self, serializer_name: str) -> str:
        # The list answers an array or, with limit/offset, a page.
        return f"{serializer_name}ListOrPage"

    def _conditional(self) -> bool:
        """An operation answering `ETag` and 304 (`alertsite.api.conditional`)."""
        return self.method == "GET" and getattr(self.view, "action", None) in getattr(
            self.view, "conditional_actions", ()
        )

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
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        if "400" not in responses:
            responses["400"] = self._get_response_for_code(VALIDATION_ERROR_SCHEMA, "400")
            takes_input = has_body or self._get_filter_parameters()
            responses["400"]["description"] = str(
                INPUT_ERROR_DESCRIPTION if takes_input else UNREADABLE_DESCRIPTION
            )
        if self._conditional():
            responses["200"]["headers"] = {**responses["200"].get("headers", {}), **ETAG_HEADER}
            responses["304"] = {"description": str(NOT_MODIFIED_DESCRIPTION), "headers": ETAG_HEADER}
        for code in self._error_codes(has_body=has_body):
            response = self._get_response_for_code(ErrorSerializer, code)
            response["description"] = str(ERROR_CODES_DESCRIPTIONS[code])
            if code in ("429", "503"):
                response["headers"] = RETRY_AFTER_HEADER
            if code in responses:
                responses[code] = _either(responses[code], response)
            else:
                responses[code] = response
        self._document_other_formats(responses)
        return dict(sorted(responses.items()))

    def _document_other_formats(self, responses: dict) -> None:
        """A renderer with its own `openapi_schema` (CSV) documents its success body; errors stay JSON."""
        for renderer in self.view.get_renderers():
            schema = getattr(renderer, "openapi_schema", None)
            if schema is None:
                continue
            for code, response in responses.items():
                content = response.get("content", {})
                if renderer.media_type not in content:
                    continue
                if code.startswith("2"):
                    content[renderer.media_type] = {"schema": schema}
                else:
                    del content[renderer.media_type]

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        formats = [renderer.format for renderer in self.view.get_renderers() if renderer.format]
        if len(set(formats)) > 1:
            parameters = [
                OpenApiParameter(
                    api_settings.URL_FORMAT_OVERRIDE,
                    str,
                    enum=sorted(set(formats)),
                    description=str(FORMAT_DESCRIPTION),
                ),
                *parameters,
            ]
        if self._conditional():
            parameters = [*parameters, IF_NONE_MATCH_PARAMETER]
        return parameters

    def _error_codes(self, *, has_body: bool) -> list[str]:
        codes = []
        perms = self.view.get_permissions()
        if perms and not any(isinstance(p, permissions.AllowAny) for p in perms):
            codes.append("401")
            # Authentication alone never answers 403.
            if any(type(p) is not permissions.IsAuthenticated for p in perms):
                codes.append("403")
        if "{id}" in self.path:
            codes.append("404")
        codes.append("406")
        if has_body:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        codes.append("503")
        return codes


def _either(documented: dict, shared: dict) -> dict:
    """A status a view documents itself and the shared machinery can also answer: both bodies."""
    if documented.get("description") == shared["description"]:
        return documented
    merged = {**documented, "description": f"{documented['description']} {shared['description']}"}
    bodies = [
        documented["content"]["application/json"]["schema"],
        shared["content"]["application/json"]["schema"],
    ]
    if bodies[0] != bodies[1]:
        merged["content"] = {"application/json": {"schema": {"anyOf": bodies}}}
    if "headers" in shared:
        merged["headers"] = {**documented.get("headers", {}), **shared["headers"]}
    return merged

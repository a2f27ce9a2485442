"""Lists are plain JSON arrays unless the client asks for a page."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class OptionalLimitOffsetPagination(LimitOffsetPagination):
    """A JSON array by default (the seed's contract); `limit`/`offset` give a page.

    A bad `limit` or `offset` is a 400 naming the parameter, never silently
    replaced by a default.
    """

    default_limit = None
    # Only used when `offset` comes without `limit`.
    page_size = 100
    max_limit = 1000

    def paginate_queryset(self, queryset, request, view=None, count_queryset=None):
        """A page of `queryset`, or None without `limit`/`offset`.

        `count_queryset` (the same rows, more cheaply counted) gives the count.
        """
        params = request.query_params
        if self.limit_query_param not in params and self.offset_query_param not in params:
            return None
        self.count_queryset = count_queryset
        return super().paginate_queryset(queryset, request, view)

    def get_count(self, queryset):
        counted = getattr(self, "count_queryset", None)
        return super().get_count(queryset if counted is None else counted)

    def get_limit(self, request):
        if self.limit_query_param not in request.query_params:
            return self.page_size
        return self._parse(request, self.limit_query_param, minimum=1, maximum=self.max_limit)

    def get_offset(self, request):
        if self.offset_query_param not in request.query_params:
            return 0
        return self._parse(request, self.offset_query_param, minimum=0, maximum=None)

    def _parse(self, request, name: str, *, minimum: int, maximum: int | None) -> int:
        raw = request.query_params[name]
        # ASCII digits only: int() would also read "１" (full width) as 1.
        value = int(raw) if raw.isascii() and raw.strip().isdigit() else None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            bounds = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
            raise ValidationError({name: [_("Enter a whole number (%(bounds)s).") % {"bounds": bounds}]})
        return value

    def get_paginated_response_schema(self, schema):
        # The response is the array itself, or a page when limit/offset is given.
        return {"oneOf": [schema, super().get_paginated_response_schema(schema)]}

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_limit})
                parameter["description"] = (
                    "Number of results per page. With `limit` or `offset` the response is a page "
                    "`{count, next, previous, results}`; without both it is a plain array."
                )
            else:
                parameter["schema"]["minimum"] = 0
        return parameters

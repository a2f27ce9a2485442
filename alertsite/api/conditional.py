"""Conditional GET for views whose answer follows the alerts: `ETag`, and 304 to `If-None-Match`.

The tag is computed before the answer, from one aggregate query over the
alerts and their events (see `alerts.selectors.alerts_version`), never by
building the answer to hash it: a dashboard polling every few seconds costs
one small query while nothing changes (DESIGN §16).
"""

import hashlib

from django.utils.cache import patch_cache_control, patch_vary_headers
from rest_framework import status
from rest_framework.response import Response

SAFE_METHODS = ("GET", "HEAD")
CONDITIONAL_STATUSES = (status.HTTP_200_OK, status.HTTP_304_NOT_MODIFIED)


class NotModified(Exception):
    def __init__(self, etag: str):
        super().__init__(etag)
        self.etag = etag


def if_none_match(header: str) -> set[str]:
    """The entity tags of an `If-None-Match` header, weak or strong alike (RFC 9110 §13.1.2)."""
    tags = set()
    for part in header.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        if part:
            tags.add(part)
    return tags


class ConditionalAlertsMixin:
    """`ETag` on `conditional_actions`; 304 Not Modified when the client already holds that version.

    The tag covers what the answer depends on besides the data: the query
    string, the negotiated media type and the user (`assignee=me`).
    """

    conditional_actions: tuple[str, ...] = ()

    def version_parts(self) -> list:
        """What the answer of a conditional action depends on in the database; overridden per view."""
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.etag = None
        if self.action not in self.conditional_actions or request.method not in SAFE_METHODS:
            return
        parts = [
            self.action,
            request.META.get("QUERY_STRING", ""),
            request.accepted_media_type,
            request.user.pk,
            *self.version_parts(),
        ]
        digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
        self.etag = f'"{digest}"'
        held = if_none_match(request.headers.get("If-None-Match", ""))
        if self.etag in held or "*" in held:
            raise NotModified(self.etag)

    def handle_exception(self, exc):
        if isinstance(exc, NotModified):
            return Response(status=status.HTTP_304_NOT_MODIFIED)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "etag", None) and response.status_code in CONDITIONAL_STATUSES:
            response["ETag"] = self.etag
            # The answer differs per user: a shared cache must not serve one user's to another,
            # and a browser must ask again (conditionally) each time.
            patch_vary_headers(response, ["Accept", "Authorization"])
            patch_cache_control(response, private=True, no_cache=True)
        return response

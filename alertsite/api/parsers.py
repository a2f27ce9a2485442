"""The API's JSON parser: any body that cannot be read is a 400, however it fails."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with deep nesting refused as malformed input.

    The standard decoder recurses once per nested array or object: 1,000 of
    them (a 2 KB body, no token needed) raised RecursionError, a 500 with a
    traceback logged at ERROR on every request.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from None

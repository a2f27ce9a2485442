"""A JSON renderer built on orjson, with output identical to DRF's."""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_encoder = JSONEncoder()


class ORJSONRenderer(JSONRenderer):
    """Renders the same bytes as DRF's compact JSONRenderer, several times faster.

    Dates and other non-JSON types go through DRF's own encoder so they read
    exactly as before; anything orjson refuses (a lone surrogate, a huge int)
    falls back to the standard renderer, and so do indented or ASCII-only
    output. (Floats, which the API does not emit, would be the same numbers
    but might be spelled differently: `1e16` instead of `1e+16`.)
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_encoder.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # Like DRF: keep the output a strict JavaScript subset.
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return rendered

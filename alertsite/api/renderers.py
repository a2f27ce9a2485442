"""A JSON renderer built on orjson, with output identical to DRF's, and JSON arrays streamed in chunks."""

from collections.abc import Callable, Iterable, Iterator

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

    def streams(self, accepted_media_type, renderer_context=None) -> bool:
        """Whether an array rendered in chunks joins into the very bytes `render` gives (compact output)."""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        return indent is None and not self.ensure_ascii and self.compact


def stream_array(
    renderer: ORJSONRenderer, rows: Iterable, represent: Callable[[list], list], *, chunk_size: int
) -> Iterator[bytes]:
    """The JSON array of `represent(rows)`, `chunk_size` rows at a time: memory does not grow with the list.

    Each chunk is rendered as an array and loses its brackets; compact arrays
    joined with commas are byte for byte the array rendered at once.
    """
    yield b"["
    batch: list = []
    separator = b""
    for row in rows:
        batch.append(row)
        if len(batch) == chunk_size:
            yield separator + renderer.render(represent(batch))[1:-1]
            separator, batch = b",", []
    if batch:
        yield separator + renderer.render(represent(batch))[1:-1]
    yield b"]"

"""The list renderers: JSON on orjson (output identical to DRF's) and CSV, both streamed in chunks."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer
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

    def stream(self, chunks: Iterable[list[dict]], fields: list[str]) -> Iterator[bytes]:
        """The JSON array of the objects of `chunks`, one chunk at a time.

        Each chunk is rendered as an array and loses its brackets; compact arrays
        joined with commas are byte for byte the array rendered at once.
        """
        yield b"["
        separator = b""
        for chunk in chunks:
            yield separator + self.render(chunk)[1:-1]
            separator = b","
        yield b"]"


# The first characters that make a spreadsheet read a cell as a formula (or
# hide what precedes one): such a cell is prefixed with a quote, shown as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A JSON value as a CSV cell: null is empty, booleans are `true`/`false`, text cannot be a formula."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    return str(value)


class CSVRenderer(BaseRenderer):
    """A list of objects as CSV (RFC 4180, UTF-8): a header row of the keys, then a row per object.

    The columns are the object's keys in their order; values read as in the
    JSON (`csv_cell`), and a text cell starting with `=`, `+`, `-`, `@`, a tab
    or a carriage return is prefixed with `'` so a spreadsheet shows it instead
    of evaluating it. Only lists are rendered here: an error stays JSON
    (`RowListModelMixin.handle_exception`).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    # The 2xx body in the OpenAPI schema (alertsite/api/schema.py).
    openapi_schema = {
        "type": "string",
        "description": "CSV (UTF-8, CRLF line ends): a header row with the object's keys, then a row per "
        "object; null is empty, booleans are true/false, text starting with = + - @ (or a tab, a carriage "
        "return) is prefixed with '.",
    }

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = list(data or [])
        fields = (renderer_context or {}).get("fields") or (list(rows[0]) if rows else [])
        return b"".join(self.stream([rows], fields))

    def stream(self, chunks: Iterable[list[dict]], fields: list[str]) -> Iterator[bytes]:
        """The header, then the rows of `chunks`, one chunk at a time."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> bytes:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text.encode()

        writer.writerow(fields)
        yield flush()
        for chunk in chunks:
            writer.writerows([csv_cell(obj[name]) for name in fields] for obj in chunk)
            yield flush()


def represented_chunks(
    rows: Iterable, represent: Callable[[list], list], *, chunk_size: int
) -> Iterator[list]:
    """`represent(rows)`, `chunk_size` rows at a time: memory does not grow with the list."""
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk_size:
            yield represent(batch)
            batch = []
    if batch:
        yield represent(batch)

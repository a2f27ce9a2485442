"""Content negotiation: an unknown `?format=` is a 400 naming the formats offered, not a 404."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation (`Accept`, `?format=`), with a bad `format` said to be one.

    DRF answers 404 for `?format=xlsx`, as if the list did not exist; the error
    itself is rendered as JSON (DRF falls back to the first renderer).
    """

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = ", ".join(dict.fromkeys(renderer.format for renderer in renderers if renderer.format))
            raise exceptions.ValidationError(
                {
                    api_settings.URL_FORMAT_OVERRIDE: [
                        _("Unknown format. Formats offered here: %(formats)s.") % {"formats": offered}
                    ]
                }
            )
        return matching

"""A router whose routes match with or without a trailing slash."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """`/api/alerts` and `/api/alerts/` both reach the view (DESIGN §5).

    DRF 3.18 turns `trailing_slash` into `'/'` or `''`, so the old
    `trailing_slash='/?'` argument no longer works; the pattern is set after
    initialisation instead. Matching both forms directly matters for POST:
    with a slash-only route, `APPEND_SLASH` would redirect a POST to
    `/api/alerts/generate` and the client would follow it as a GET.
    """

    def __init__(self) -> None:
        super().__init__(use_regex_path=True)
        self.trailing_slash = "/?"

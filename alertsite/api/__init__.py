"""Cross-cutting pieces of the REST API, shared by every app's `api` package."""

"""Static files storage: hashed, compressed names once `collectstatic` has run, plain names before."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage that still serves when nothing was collected.

    Without a manifest (a fresh clone started with DEBUG off, before
    `collectstatic`), every `{% static %}` raised "Missing staticfiles manifest
    entry" and every page was a 500. Until a manifest exists, names are used
    as they are, and WhiteNoise serves the files from the apps
    (WHITENOISE_USE_FINDERS). Once collected, a name missing from the manifest
    is still the error it should be.
    """

    def load_manifest(self):
        self.manifest_found = self.read_manifest() is not None
        return super().load_manifest()

    def stored_name(self, name):
        if not self.manifest_found:
            return name
        return super().stored_name(name)

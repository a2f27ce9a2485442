"""Settings for the test suite: the real settings, with a key for tests."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-use-0123456789")
# A developer's local .env (DEBUG=true from scripts/run, another database)
# must not change what the tests see: they use the environment only.
os.environ.setdefault("ALERTSITE_ENV_FILE", "/nonexistent/alertsite-tests.env")

from alertsite.settings import *  # noqa: E402,F403
from alertsite.settings import STORAGES  # noqa: E402

# Pages are rendered without collectstatic and requested over plain HTTP.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
SECURE_SSL_REDIRECT = False
WHITENOISE_AUTOREFRESH = True
# Hashing the fixtures' passwords with PBKDF2 costs about a second per test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

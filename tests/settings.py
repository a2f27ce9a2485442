"""Settings for the test suite: the real settings, with a key for tests."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-use-0123456789")

from alertsite.settings import *  # noqa: E402,F403

"""Settings of the benchmark's server: the product's, plus the floor views.

Only `bench/run` uses this module (through DJANGO_SETTINGS_MODULE); the floor
views are never mounted by the product's own URLconf.
"""

import os

from alertsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The user the floor's "mark read" records (the real view records the caller).
BENCH_READER_ID = int(os.environ.get("BENCH_READER_ID", "0")) or None

"""SQLite's generation lock, between real processes sharing one database file.

On PostgreSQL the advisory locks do this job (test_generation_concurrency.py).
"""

import fcntl
import json

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's lock file")

# A maintenance far ahead (no alert), then overdue through update(), which sends
# no signal: what the passing of time does, for the periodic run to catch.
SEED = (
    "import datetime\n"
    "from django.utils import timezone\n"
    "from maintenance.models import Maintenance\n"
    "from tests.factories import MaintenanceFactory\n"
    "today = timezone.localdate()\n"
    "MaintenanceFactory(scheduled_date=today + datetime.timedelta(days=30))\n"
    "Maintenance.objects.update(scheduled_date=today - datetime.timedelta(days=3))\n"
)
COUNTS = (
    "import json\n"
    "from alerts.models import Alert, GenerationRun\n"
    "print(json.dumps({'alerts': Alert.objects.filter(is_active=True).count(),\n"
    "    'runs': list(GenerationRun.objects.order_by('pk').values_list('status', flat=True))}))\n"
)


def counts(site) -> dict:
    return json.loads(site.manage("shell", "--verbosity", "0", "-c", COUNTS).stdout)


def test_a_run_finding_another_in_progress_is_skipped_and_changes_nothing(site):
    site.shell(SEED)
    lock_file = site.root / "db.sqlite3.generation-lock"

    with open(lock_file, "a") as other_process_lock:
        fcntl.flock(other_process_lock, fcntl.LOCK_EX)
        skipped = site.manage("generate_alerts")

    assert "Generation skipped: another generation is in progress." in skipped.stdout
    assert counts(site) == {"alerts": 0, "runs": ["SKIPPED"]}

    finished = site.manage("generate_alerts")

    assert "Generation finished: 1 created" in finished.stdout
    assert counts(site) == {"alerts": 1, "runs": ["SKIPPED", "SUCCESS"]}

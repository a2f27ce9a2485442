"""The benchmark harness (bench/) at a tiny scale, so it cannot rot.

No timing is asserted: only that the pieces run and that the floors do the
same work as the product (same counts, same rows).
"""

import csv
import datetime
import io
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from alerts.models import Alert, Notification, Subscription
from alerts.services import generate_alerts
from assets.models import Meter, MeterReading
from bench import enqueue, export, floor, meters, notifications, probe, profile, runner
from maintenance.models import Maintenance, MaintenancePlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet():
    """A small fleet with meters beyond the demo's: usage-based plans, as the bench seeds them."""
    call_command(
        "seed_demo",
        "--assets",
        "40",
        "--maintenances",
        "300",
        "--meters",
        "25",
        stdout=StringIO(),
        stderr=StringIO(),
    )


def test_the_bench_seed_meters_assets_with_a_history_and_a_plan_each(fleet):
    assert Maintenance.objects.count() == 300
    assert Meter.objects.count() == 25
    assert MeterReading.objects.count() == 25 * 30
    # The demo's two meter plans and one usage-based plan per meter beyond the demo's ten.
    assert MaintenancePlan.objects.filter(meter__isnull=False).count() == 2 + 15
    for meter in Meter.objects.all():
        latest = meter.readings.order_by("-read_at").first()
        assert (latest.value, latest.read_at) == (meter.last_value, meter.last_read_at)
    open_by_meter = Maintenance.objects.filter(plan__meter__isnull=False, status="PLANNED")
    assert open_by_meter.count() == 17
    assert not open_by_meter.filter(due_meter_value__isnull=True).exists()


def counts(result) -> dict:
    return {key: result[key] for key in ("created", "updated", "resolved", "unchanged")}


@pytest.mark.postgres
def test_the_generation_floor_does_the_same_work_as_the_product(fleet):
    first_floor = floor.generation_floor()
    insert_floor = floor.generation_floor(empty=True)
    first = generate_alerts().as_dict()
    assert Alert.objects.filter(is_active=True).count() == first["created"] > 0
    assert counts(first_floor) == counts(insert_floor) == counts(first)
    # The meter side of the rules is in these counts.
    assert Alert.objects.filter(is_active=True, message__contains=" h of ").exists()

    Maintenance.objects.filter(pk__in=Maintenance.objects.order_by("pk").values("pk")[:30]).update(
        scheduled_date=timezone.localdate() - datetime.timedelta(days=9)
    )
    changed_floor = floor.generation_floor()
    changed = generate_alerts().as_dict()
    assert counts(changed_floor) == counts(changed)
    assert changed["created"] + changed["updated"] > 0

    asset_id = Alert.objects.filter(is_active=True).values_list("asset_id", flat=True).first()
    scoped_floor = floor.generation_floor(asset_ids=[asset_id])
    assert scoped_floor["unchanged"] == Alert.objects.filter(is_active=True, asset_id=asset_id).count()


def test_probes_measure_a_generation_and_refreshes(fleet):
    generation = probe.measure_generation()
    refresh = probe.measure_refresh([1, 2], warmup_ids=[3])

    assert generation["status"] == "SUCCESS" and generation["created"] > 0
    # The run's budget of tests/test_generation_lifecycle.py (lapses and notices included).
    assert 0 < generation["queries"] <= 29 and generation["peak_rss_mb"] > 0
    assert len(refresh["seconds"]) == 2 and refresh["queries"] > 0


@override_settings(ROOT_URLCONF="bench.urls", BENCH_READER_ID=None)
def test_the_api_floor_serves_the_products_rows(fleet, manager_client):
    generate_alerts()
    anonymous = Client()

    floor_list = anonymous.get("/bench/floor/alerts").json()
    product_list = manager_client.get("/api/alerts").json()
    floor_page = anonymous.get("/bench/floor/alerts?limit=5").json()
    product_page = manager_client.get("/api/alerts?limit=5").json()
    floor_stats = anonymous.get("/bench/floor/alerts/stats").json()
    product_stats = manager_client.get("/api/alerts/stats").json()
    alert_id = product_list[0]["id"]
    read = anonymous.post(f"/bench/floor/alerts/{alert_id}/read").json()

    assert [row["id"] for row in floor_list] == [row["id"] for row in product_list]
    renamed = {
        "asset": "asset_id",
        "maintenance": "maintenance_id",
        "assignee": "assignee_id",
        "acknowledged_by": "acknowledged_by_id",
    }
    assert set(floor_list[0]) == {renamed.get(key, key) for key in product_list[0]}
    assert floor_page["count"] == product_page["count"]
    assert [row["id"] for row in floor_page["results"]] == [row["id"] for row in product_page["results"]]
    assert floor_stats == product_stats
    assert read["id"] == alert_id and read["is_read"] is True


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_export_floor_serves_the_products_rows_and_columns(fleet, manager_client):
    date, count = export.cutoff(100)
    query = f"scheduled_before={date}"

    floor_body = b"".join(Client().get(f"/bench/floor/maintenances.csv?{query}").streaming_content)
    product_body = manager_client.get(f"/api/maintenances?{query}&format=csv").streamed_body
    floor_rows = list(csv.reader(io.StringIO(floor_body.decode(), newline="")))
    product_rows = list(csv.reader(io.StringIO(product_body.decode(), newline="")))

    assert 100 <= count < 300
    assert floor_rows[0] == product_rows[0]
    assert len(floor_rows) == len(product_rows) == count + 1
    assert [row[0] for row in floor_rows] == [row[0] for row in product_rows]


def samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


@override_settings(ROOT_URLCONF="bench.urls", METRICS_TOKEN="scrape")
def test_the_metrics_floor_answers_the_products_figures(fleet):
    generate_alerts()
    Alert.objects.filter(pk__in=Alert.objects.order_by("pk").values("pk")[:2]).update(is_read=True)

    floor_figures = samples(Client().get("/bench/floor/metrics").content.decode())
    product_figures = samples(Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape").content.decode())

    assert floor_figures["alertsite_alerts_unread"] == product_figures["alertsite_alerts_unread"] > 0
    assert len(floor_figures) > 12
    # Measured an instant apart: the time the oldest due notice has waited.
    waited = "alertsite_notifications_oldest_pending_seconds"
    assert product_figures.pop(waited) == pytest.approx(floor_figures.pop(waited), abs=1)
    assert {name: product_figures.get(name) for name in floor_figures} == floor_figures
    assert any(name.startswith("alertsite_notifications{") for name in floor_figures)


def test_export_figures_read_the_export_cells():
    cell = {
        "seconds": 2.0,
        "rows_per_second": 50_000.0,
        "tracemalloc_peak_bytes": 4_000_000,
        "worker_peak_rss_bytes": 80_000_000,
        "worker_rss_growth_bytes": 1_000_000,
    }
    figures = runner.export_figures({"condition": "100,000 maintenances", "product": cell, "floor": cell})

    assert [figure.unit for figure in figures] == ["s", "rows/s", "MB", "MB", "MB"]
    assert figures[2].passed is True
    assert runner.export_figures(None) == []


def test_the_table_shows_value_floor_ratio_and_result():
    figures = [
        runner.Figure("generation: first full run", 3.0, "s", 2.0, "≤ 4 s", True),
        runner.Figure("GET /api/alerts p50, c=1", 12.5, "ms", 5.0, "≤ 8 ms", False),
        runner.Figure("peak RSS", 120.0, "MB"),
    ]

    table = runner.markdown_table(figures).splitlines()

    assert table[0] == "| Figure | Value | Floor | Ratio | Target | Result |"
    assert table[2] == "| generation: first full run | 3.00 s | 2.00 s | 1.50× | ≤ 4 s | pass |"
    assert table[3] == "| GET /api/alerts p50, c=1 | 12.5 ms | 5.00 ms | 2.50× | ≤ 8 ms | **miss** |"
    assert table[4] == "| peak RSS | 120 MB | — | — |  |  |"


def test_parked_alerts_come_back_as_they_were(fleet):
    generate_alerts()
    before = set(Alert.objects.filter(is_active=True).values_list("pk", "resolved_at"))
    from django.db import connection

    assert runner.park_alerts(connection, keep=3) == 3
    assert Alert.objects.filter(is_active=True).count() == 3
    runner.unpark_alerts(connection)

    assert set(Alert.objects.filter(is_active=True).values_list("pk", "resolved_at")) == before


def test_api_figures_read_wrk_cells():
    cell = {"p50_us": 5000, "p95_us": 9000, "p99_us": 12000, "rps": 100.0}
    results = {
        key: {
            "condition": "10 active alerts",
            "product_c1": cell,
            "product_c8": {**cell, "rps": 70.0},
            "floor_c1": {**cell, "p50_us": 2000},
            "floor_c8": {**cell, "rps": 100.0},
        }
        for key in runner.API_TARGETS
    }

    figures = {figure.name: figure for figure in runner.api_figures(results)}

    limit = figures["GET /api/alerts?limit=50 [10 active alerts] p50, c=1"]
    assert (limit.value, limit.floor, limit.passed) == (5.0, 2.0, True)
    assert figures["GET /api/alerts/stats [10 active alerts] throughput, c=8"].passed is True
    assert len(figures) == 6 * len(runner.API_TARGETS)


@override_settings(ALLOWED_HOSTS=["localhost"])
def test_the_request_profile_prints_every_layer_and_the_statements(fleet, manager, capsys):
    generate_alerts()

    profile.main(["--requests", "3"])

    out = capsys.readouterr().out
    assert "/api/alerts?limit=50 as manager" in out
    assert re.search(r"\n[1-9][0-9]* SQL statements:\n  SELECT", out)
    for label, _suffix, _name in profile.LAYERS:
        assert label in out


@pytest.mark.postgres
def test_the_enqueue_floor_enqueues_the_products_notices(fleet, manager):
    generate_alerts()
    Maintenance.objects.filter(pk__in=Maintenance.objects.order_by("pk").values("pk")[:60]).update(
        scheduled_date=timezone.localdate() - datetime.timedelta(days=9)
    )
    generate_alerts()
    before = (Subscription.objects.count(), Notification.objects.count())

    result = enqueue.measure_enqueue(manager)

    assert result["subscriptions"] == 10
    for run in ("first", "changed"):
        cell = result[run]
        assert cell["events"] > 0 and cell["notices"] > 0
        assert cell["floor_notices"] == cell["notices"]
    assert (Subscription.objects.count(), Notification.objects.count()) == before


def test_readings_through_the_api_and_the_floor_store_the_same_rows(fleet, technician_client):
    before = {meter.pk: (meter.last_value, meter.last_read_at) for meter in Meter.objects.all()}
    readings = MeterReading.objects.count()

    def post(meter_id, body):
        return technician_client.post(
            f"/api/meters/{meter_id}/readings", data=body, content_type="application/json"
        ).status_code

    result = meters.measure_readings(post, batches=3, size=40)

    assert result["readings"] == 120
    assert result["stored"] == {"product": 120, "floor": 120}
    assert MeterReading.objects.count() == readings
    assert {meter.pk: (meter.last_value, meter.last_read_at) for meter in Meter.objects.all()} == before


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_delivery_sends_webhooks_and_emails_as_its_floors_do(fleet):
    generate_alerts()
    pending = Notification.objects.filter(status="PENDING").count()

    result = notifications.measure_delivery(count=12)

    assert result["alerts"] == 12
    assert result["webhooks"]["body_bytes"] > 100 and result["emails"]["message_bytes"] > 100
    assert result["emails"]["product"]["smtp_connections"] >= 1
    assert Notification.objects.filter(status="PENDING").count() == pending
    assert not Subscription.objects.filter(user__username="bench-notifications").exists()


def test_an_old_bench_seed_without_meters_is_rebuilt(fleet):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_dataset (assets integer, maintenances integer, seed integer, "
            "seeded_on date, changed boolean)"
        )
        cursor.execute(
            "INSERT INTO bench_dataset VALUES (40, 300, 42, %s, %s)", [timezone.localdate(), False]
        )

    assert runner.dataset_matches(40, 300) is False


def wrk_cell(p50_ms: float, rps: float) -> dict:
    return {"p50_us": p50_ms * 1000, "p95_us": p50_ms * 1500, "p99_us": p50_ms * 2000, "rps": rps}


def test_the_new_figures_read_their_cells():
    list_cells = {
        "condition": "652 active alerts",
        "product_c4": wrk_cell(20, 200),
        "floor_c4": wrk_cell(8, 300),
        "not_modified_c4": {**wrk_cell(5, 700), "status": 304},
    }
    fleet = {"list_limit50": list_cells, "list_full": {**list_cells, "product_c4": wrk_cell(20, 150)}}
    readings = {
        "condition": "20 batches of 1,000",
        "product": {"seconds": 2.0, "readings_per_second": 10_000.0},
        "floor": {"seconds": 1.0, "readings_per_second": 20_000.0},
    }
    cell = {"events": 1000, "notices": 2500, "seconds": 0.2, "floor_seconds": 0.1}
    delivery = {
        "count": 1000,
        "webhooks": {"product": {"per_second": 300.0}, "floor": {"per_second": 500.0}},
        "emails": {"product": {"per_second": 200.0, "smtp_connections": 5}, "floor": {"per_second": 900.0}},
    }

    figures = runner.fleet_figures(fleet)
    figures += runner.readings_figures(readings)
    figures += runner.enqueue_figures({"subscriptions": 10, "first": cell, "changed": cell})
    figures += runner.delivery_figures(delivery)
    by_name = {figure.name: figure for figure in figures}

    limit = by_name["GET /api/alerts?limit=50 [small fleet: 652 active alerts] throughput, c=4"]
    assert (limit.value, limit.floor, limit.passed) == (200, 300, True)
    assert (
        by_name["GET /api/alerts (full list) [small fleet: 652 active alerts] throughput, c=4"].passed
        is False
    )
    etag = by_name[
        "GET /api/alerts?limit=50 [small fleet: 652 active alerts] 304 to If-None-Match p50, c=4 "
        "(floor: the 200)"
    ]
    assert (etag.value, etag.floor, etag.passed) == (5, 20, True)
    throughput = by_name[
        "POST /api/meters/{id}/readings [20 batches of 1,000, floor: bulk_create] throughput"
    ]
    assert throughput.passed is True and throughput.unit == "readings/s"
    assert len([name for name in by_name if name.startswith("enqueue notifications, 10 subscriptions")]) == 2
    assert [figure.passed for figure in figures[-2:]] == [True, None]
    assert "10,000 readings/s" in runner.markdown_table([throughput])

"""`/healthz`: liveness and readiness for load balancers and probes."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from alerts.scheduling import scheduler_status
from alertsite.api.exceptions import DATABASE_RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and probes, without authentication.

    200 `ok`; 200 `degraded` when the scheduler is stale (the site still
    serves, its alerts may be late); 503 when the database is unreachable.
    The crontab is not read here: probes are frequent, and web nodes of a
    multi-host deployment have no crontab of their own.
    """
    try:
        status = scheduler_status(check_crontab=False)
    except DatabaseError as error:
        logger.warning("Health check: database unreachable: %s", error)
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable"},
            status=503,
            # As the API's 503s: probes and clients know when to look again.
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    outbox = status["outbox"]
    return JsonResponse(
        {
            "status": "degraded" if status["stale"] or outbox["degraded"] else "ok",
            "database": "ok",
            "scheduler": {
                "stale": status["stale"],
                "last_success_at": status["last_success_at"],
                "next_run_at": status["next_run_at"],
            },
            "outbox": {key: outbox[key] for key in ("pending", "oldest_pending_seconds", "dead_last_24h")},
        }
    )

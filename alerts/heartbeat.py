"""The dead man's switch: a GET to `ALERTS_HEARTBEAT_URL` after each successful full generation.

Services such as healthchecks.io, Uptime Kuma or Cronitor page someone when the
pings stop. A ping that fails is logged and never fails the generation: the
alerts are already committed, and a missing ping is exactly what the service
watching it reports.
"""

import http.client
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
ATTEMPTS = 2  # one retry
RETRY_PAUSE_SECONDS = 1


def send_heartbeat() -> bool:
    """Request `ALERTS_HEARTBEAT_URL` once, retrying once; True when it answered 2xx/3xx.

    Does nothing (and returns False) when the setting is empty. Never raises.
    """
    url = settings.ALERTS_HEARTBEAT_URL
    if not url:
        return False
    if urlsplit(url).scheme not in ("http", "https"):
        logger.warning("Heartbeat not sent: ALERTS_HEARTBEAT_URL must be an http(s) URL.")
        return False
    # The scheme is checked above: http(s) only, never file: or ftp:.
    request = urllib.request.Request(  # noqa: S310
        url, method="GET", headers={"User-Agent": "alertsite-heartbeat"}
    )
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:
            time.sleep(RETRY_PAUSE_SECONDS)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
        except (OSError, ValueError, http.client.HTTPException) as error:
            # URLError, HTTPError (4xx/5xx), timeouts and refused connections are OSErrors;
            # a garbled answer is an HTTPException.
            logger.info("Heartbeat attempt %d of %d failed: %s", attempt, ATTEMPTS, error)
            last_error = error
            continue
        logger.debug("Heartbeat sent to %s.", _host(url))
        return True
    logger.warning("Heartbeat to %s failed after %d attempts: %s", _host(url), ATTEMPTS, last_error)
    return False


def _host(url: str) -> str:
    """Scheme and host only: the path and query often hold the check's secret id."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"

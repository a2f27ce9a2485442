"""Getting notices out: webhook URLs checked against SSRF and posted, emails over one connection.

A webhook URL must be http(s) and resolve only to public addresses unless
`NOTIFY_ALLOW_PRIVATE_WEBHOOKS` is on; it is checked when saved and again at
each send, after DNS resolution, and the request goes to the address that was
checked (so a name cannot resolve to a public address for the check and a
private one for the request). No redirects are followed; 10 s per request.
"""

import ipaddress
import logging
import smtplib
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.mail import get_connection
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# What is kept of a receiver's answer in the delivery log.
ERROR_MAX_LENGTH = 500


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery attempt."""

    status_code: int | None = None
    error: str = ""
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and not self.cancelled


class UnsafeURL(ValueError):
    """The webhook URL is not http(s) or points at a private, loopback or link-local address."""


def check_url(url: str) -> list[str]:
    """The addresses `url`'s host resolves to, all allowed; raises `UnsafeURL` with a reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(_("Enter an http:// or https:// URL."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise UnsafeURL(
            _("The host %(host)s cannot be resolved (%(error)s).")
            % {
                "host": parts.hostname,
                "error": error,
            }
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS:
        for address in addresses:
            if not _is_public(address):
                raise UnsafeURL(
                    _(
                        "%(host)s resolves to %(address)s, a private, loopback or link-local address; "
                        "webhooks go to public addresses only (NOTIFY_ALLOW_PRIVATE_WEBHOOKS)."
                    )
                    % {"host": parts.hostname, "address": address}
                )
    return addresses


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class WebhookClient:
    """Connection pools to the checked addresses, shared by the sending threads of one run."""

    def __init__(self, *, maxsize: int = 8):
        self._maxsize = maxsize
        self._pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> "WebhookClient":
        return self

    def __exit__(self, *exc_info) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        """POST `body` to `url`; a 2xx is a success, anything else (3xx included) an error."""
        try:
            address = check_url(url)[0]
        except UnsafeURL as error:
            return Outcome(error=str(error))
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        try:
            response = self._pool(parts, address).urlopen(
                "POST",
                path,
                body=body,
                headers={**headers, "Host": parts.netloc.rpartition("@")[2]},
                redirect=False,
                retries=False,
                assert_same_host=False,
                timeout=urllib3.Timeout(total=TIMEOUT_SECONDS),
            )
        except urllib3.exceptions.HTTPError as error:
            return Outcome(error=_one_line(f"{type(error).__name__}: {error}"))
        if 200 <= response.status < 300:
            return Outcome(status_code=response.status)
        text = response.data[:ERROR_MAX_LENGTH].decode(errors="replace")
        return Outcome(status_code=response.status, error=_one_line(f"HTTP {response.status}: {text}"))

    def _pool(self, parts, address: str) -> urllib3.HTTPConnectionPool:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, address, port, parts.hostname)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                if parts.scheme == "https":
                    pool = urllib3.HTTPSConnectionPool(
                        address,
                        port,
                        maxsize=self._maxsize,
                        block=True,
                        server_hostname=parts.hostname,
                        assert_hostname=parts.hostname,
                    )
                else:
                    pool = urllib3.HTTPConnectionPool(address, port, maxsize=self._maxsize, block=True)
                self._pools[key] = pool
        return pool


def send_emails(messages: list) -> dict[int, Outcome]:
    """Send `(notification, EmailMessage)` pairs over one connection; an outcome per notification."""
    outcomes: dict[int, Outcome] = {}
    if not messages:
        return outcomes
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        failure = Outcome(error=_one_line(f"{type(error).__name__}: {error}"))
        return {row.pk: failure for row, _message in messages}
    try:
        for row, message in messages:
            message.connection = connection
            try:
                connection.send_messages([message])
            except smtplib.SMTPResponseException as error:
                outcomes[row.pk] = Outcome(status_code=error.smtp_code, error=_smtp_error(error))
            except (OSError, smtplib.SMTPException) as error:
                outcomes[row.pk] = Outcome(error=_smtp_error(error))
                # The connection may be gone: the next message gets a fresh one.
                _reopen(connection)
            else:
                outcomes[row.pk] = Outcome()
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            logger.debug("SMTP connection already closed.")
    return outcomes


def _reopen(connection) -> None:
    try:
        connection.close()
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("Could not reopen the SMTP connection: %s", error)


def _smtp_error(error: Exception) -> str:
    return _one_line(f"{type(error).__name__}: {error}")[:ERROR_MAX_LENGTH]


def _one_line(text: str) -> str:
    """One printable line: a receiver's garbage (NUL bytes…) must not break the log's row."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(printable.split())[:ERROR_MAX_LENGTH]

"""Who is calling: the client address, one rule for the API throttles and the admin's lock-out."""

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The client's address as DRF's throttles key on it.

    `X-Forwarded-For` counts only behind `TRUSTED_PROXIES` reverse proxies
    (DRF's `NUM_PROXIES`): the address the last trusted proxy saw. Without
    proxies it is the socket address, so a client cannot pick its own.
    """
    return BaseThrottle().get_ident(request)

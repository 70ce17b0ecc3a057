import functools
import ipaddress

from django.conf import settings
from django.core.cache import cache


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, unless that is one of TRUSTED_PROXIES;
    then X-Forwarded-For is read from the right (each proxy appends the address
    it saw) past every trusted proxy, and the first address no trusted proxy
    vouches for is the client. A header from anyone else is ignored: a client
    writes what it likes there, and a limit keyed on it would be no limit.

    Not django-ipware: it checks the chain inside the header but never that the
    peer who connected is a proxy, so a client reaching a node directly forges
    any chain; and it reads a dozen other headers by default.
    """
    address = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    while hops and _trusted(address, networks):
        hop = hops.pop()
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:  # not an address: the last trusted proxy is all we know
            break
    return address


def throttled(request, scope: str, *, limit: int, seconds: int) -> bool:
    """Count one more hit for this client in `scope`; True once over `limit` per window."""
    key = f"throttle:{scope}:{client_address(request)}"
    if cache.add(key, 1, timeout=seconds):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return False

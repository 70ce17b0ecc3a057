import functools
import hashlib
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
    return over_limit(f"throttle:{scope}:{client_address(request)}", limit=limit, seconds=seconds)


def user_throttled(user, scope: str, *, limit: int, seconds: int, cost: int = 1) -> bool:
    """As `throttled`, counted for a signed-in user whatever their address."""
    key = f"throttle:{scope}:user:{user.pk}"
    return over_limit(key, limit=limit, seconds=seconds, cost=cost)


def over_limit(key: str, *, limit: int, seconds: int, cost: int = 1) -> bool:
    """Count `cost` more hits under `key`; True once over `limit` in a window of `seconds`."""
    if cache.add(key, cost, timeout=seconds):
        return cost > limit
    try:
        return cache.incr(key, cost) > limit
    except ValueError:  # expired between add and incr
        cache.add(key, cost, timeout=seconds)
        return cost > limit


def client_network(request) -> str:
    """The client's address as a limit should count it: an IPv6 address cut to its
    /64, which one subscriber (or one phone) is given whole and may rotate within."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def hit(key: str, *, limit: int, seconds: int) -> bool:
    """Count one more hit on `key` (anything the client sent, such as a phone number),
    whoever sends it; True once over `limit` in the window."""
    key = f"throttle:hit:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    if cache.add(key, 1, timeout=seconds):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return False

import hashlib
import ipaddress

from django.core.cache import cache


def client_address(request) -> str:
    """The client's address. Behind a proxy, set the proxy to overwrite REMOTE_ADDR
    (or X-Real-IP): a header the client can write is no basis for a limit."""
    return request.META.get("REMOTE_ADDR", "")


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

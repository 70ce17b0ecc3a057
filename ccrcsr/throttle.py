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

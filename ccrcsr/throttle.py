from django.core.cache import cache


def client_address(request) -> str:
    """The client's address. Behind a proxy, set the proxy to overwrite REMOTE_ADDR
    (or X-Real-IP): a header the client can write is no basis for a limit."""
    return request.META.get("REMOTE_ADDR", "")


def throttled(request, scope: str, *, limit: int, seconds: int) -> bool:
    """Count one more hit for this client in `scope`; True once over `limit` per window."""
    return over_limit(f"throttle:{scope}:{client_address(request)}", limit=limit, seconds=seconds)


def user_throttled(user, scope: str, *, limit: int, seconds: int) -> bool:
    """As `throttled`, counted for a signed-in user whatever their address."""
    return over_limit(f"throttle:{scope}:user:{user.pk}", limit=limit, seconds=seconds)


def over_limit(key: str, *, limit: int, seconds: int) -> bool:
    """Count one more hit under `key`; True once over `limit` in a window of `seconds`."""
    if cache.add(key, 1, timeout=seconds):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return False

"""Which proxy from the environment a base URL goes through: HTTPS_PROXY, HTTP_PROXY,
ALL_PROXY (lower case first), honouring NO_PROXY, and never one for a loopback host."""

from __future__ import annotations

import httpx

from andamio_cli.errors import InvalidInputError


def _env(env: dict, name: str) -> tuple[str, str] | None:
    for var in (name.lower(), name.upper()):
        if env.get(var, "").strip():
            return var, env[var].strip()
    return None


def _bypassed(host: str, no_proxy: str) -> bool:
    import ipaddress

    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        if entry.startswith("[") and "]" in entry:
            entry = entry[1 : entry.index("]")]
        elif entry.count(":") == 1:
            entry = entry.split(":")[0]
        entry = entry.lstrip("*").lstrip(".")
        if not entry:
            continue
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            pass
        if host == entry or host.endswith("." + entry):
            return True
    return False


def proxy_for(base_url: str, env: dict) -> str | None:
    """The proxy from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY for this URL, honouring NO_PROXY;
    never one for a loopback host."""
    from andamio_cli.settings import is_loopback

    url = httpx.URL(base_url)
    host = url.host.lower()
    if is_loopback(host):
        return None
    no_proxy = _env(env, "no_proxy")
    if no_proxy and _bypassed(host, no_proxy[1]):
        return None
    found = _env(env, f"{url.scheme}_proxy") or _env(env, "all_proxy")
    if found is None:
        return None
    var, value = found
    proxy = value if "://" in value else f"http://{value}"
    scheme = proxy.split("://", 1)[0].lower()
    if scheme not in ("http", "https", "socks5", "socks5h"):
        raise InvalidInputError(
            f"{var} names a proxy of an unsupported kind ({scheme[:20]}://)",
            hint="use an http://, https:// or socks5:// proxy URL, or unset the variable",
        )
    return proxy

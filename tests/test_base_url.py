"""The base-URL allow-list and the v1 hosts."""

from __future__ import annotations

import pytest
from v1_support import (
    CONFIRMATION,
    PREPROD_HOST,
    PROD_HOST,
    V1,
    v1_cli,
)

from andamio_cli.errors import InvalidInputError
from andamio_cli.settings import V1_HOSTS, check_base_url

# --- the base-URL allow-list and the v1 hosts --------------------------------------------------


@pytest.mark.parametrize(
    "url,expected",
    [
        (f"https://{PROD_HOST}", f"https://{PROD_HOST}"),
        (f"https://{PREPROD_HOST}", f"https://{PREPROD_HOST}"),
        (f"https://{PREPROD_HOST}/", f"https://{PREPROD_HOST}"),
        (f"https://{PROD_HOST.upper()}", f"https://{PROD_HOST.upper()}"),
    ],
)
def test_check_base_url_accepts_the_v1_hosts_over_https(url, expected):
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PROD_HOST}.evil.com",
        f"http://{PROD_HOST}",
        f"http://{PREPROD_HOST}",
        "https://other-308006323670.us-central1.run.app",
        "https://andamio-api-999999999999.us-central1.run.app",
        "https://andamio-api-308006323670.us-east1.run.app",
        f"https://evil.{PROD_HOST}",
        f"https://user@{PROD_HOST}",
        f"https://{PROD_HOST}.",
        f"ftp://{PROD_HOST}",
        f"https://{PROD_HOST}?next=x",
    ],
)
def test_check_base_url_rejects_look_alikes_of_the_v1_hosts(url):
    with pytest.raises(InvalidInputError) as caught:
        check_base_url(url)
    assert caught.value.message == f"base URL {url!r} is not allowed"
    assert caught.value.exit_code == 4


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PROD_HOST}.evil.com",
        f"http://{PREPROD_HOST}",
        "https://other-308006323670.us-central1.run.app",
    ],
)
def test_cli_with_a_rejected_url_sends_nothing(cli, gateway, url):
    result = v1_cli(
        cli, gateway, ["--base-url", url, "apikey", "request", "legacy-key", "--api", "v1"]
    )
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: base URL {url!r} is not allowed\n"
        "Hint: use https on andamio.io (or a subdomain) or on a legacy v1 host, "
        "a loopback address, or set ANDAMIO_ALLOW_ANY_URL=1\n"
    )
    assert gateway.requests == []


@pytest.mark.parametrize("host", V1_HOSTS)
def test_cli_sends_v1_calls_to_an_allowed_v1_host(cli, gateway, host):
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = v1_cli(
        cli,
        gateway,
        [
            "--base-url",
            f"https://{host}/",
            "apikey",
            "rotate",
            "legacy-key",
            "--api",
            "v1",
            "--yes",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == ""
    assert str(gateway.requests[0].url) == f"https://{host}{V1}/rotate"


@pytest.mark.parametrize(
    "url",
    ["https://[::1].", "http://[::1]x:8080", "http://x[::1]", "http://127.0.0.1:", "http://[::1]:"],
)
def test_check_base_url_rejects_text_around_the_host_and_port(url):
    # urlsplit reads these as a loopback host; httpx refuses them (found by hypothesis).
    with pytest.raises(InvalidInputError) as caught:
        check_base_url(url)
    assert caught.value.message == f"base URL {url!r} is not allowed"


@pytest.mark.parametrize(
    "url", ["http://[::1]:8765", "http://[::1]", "http://127.0.0.1:8765/", "http://LOCALHOST:80"]
)
def test_check_base_url_keeps_plain_loopback_urls(url):
    assert check_base_url(url) == url.rstrip("/")

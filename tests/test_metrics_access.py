"""``GET /metrics``: a bearer token when ``SUPPORTBOT_METRICS_TOKEN`` is set, else this host only.

Requests over the network come from 127.0.0.1 here; a request from another address is
made through Flask's test client on the same app, with the address it would have.
"""

from __future__ import annotations

import re

import pytest
import requests
from pydantic import SecretStr

from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, Desk

TOKEN = "metrics-token-0123456789abcdef"


def _with_token(desk: Desk, token: str | None) -> None:
    update = {"metrics_token": SecretStr(token) if token is not None else None}
    desk.rt.settings = desk.rt.settings.model_copy(update=update)


def _refused(desk: Desk, reason: str) -> float:
    """How many /metrics requests were refused for ``reason``, as /metrics itself says."""
    headers = {"Authorization": f"Bearer {TOKEN}"} if desk.rt.settings.metrics_token else {}
    text = requests.get(desk.url + "/metrics", headers=headers, timeout=10).text
    found = re.search(rf'supportbot_requests_refused_total{{reason="{reason}"}} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def test_without_a_token_this_host_reads_the_metrics(desk: Desk) -> None:
    desk.slack.command("sev2 checkout is slow")

    response = requests.get(desk.url + "/metrics", timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-type"].count("charset") == 1  # once, as prometheus says
    assert "# TYPE supportbot_incidents_opened_total counter" in response.text
    assert 'supportbot_incidents_opened_total{severity="2"}' in response.text


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        ("192.0.2.7", {}),
        ("10.1.2.3", {}),
        ("2001:db8::7", {}),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # a local proxy forwarding a stranger
        ("::1", {"Forwarded": "for=203.0.113.9"}),
    ],
)
def test_without_a_token_other_hosts_are_refused_and_counted(
    desk: Desk, address: str, headers: dict[str, str]
) -> None:
    app = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET))
    before = _refused(desk, "metrics_not_local")

    response = app.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": address}
    )

    assert response.status_code == 403
    assert "SUPPORTBOT_METRICS_TOKEN" in response.get_data(as_text=True)
    assert "supportbot_" not in response.get_data(as_text=True)
    assert _refused(desk, "metrics_not_local") == before + 1


@pytest.mark.parametrize(
    "header", [{"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}]
)
def test_a_proxy_on_this_host_relaying_someone_is_refused_over_http(
    desk: Desk, header: dict[str, str]
) -> None:
    """Through the server as it runs (waitress would delete both headers from an untrusted
    peer before the app saw them, unless told not to: web.WAITRESS_OPTIONS)."""
    response = requests.get(desk.url + "/metrics", headers=header, timeout=10)

    assert response.status_code == 403 and "supportbot_" not in response.text


def test_a_page_of_another_site_rebound_to_this_host_is_refused(desk: Desk) -> None:
    """DNS rebinding: the browser here sends the request from 127.0.0.1, but names the other
    site in Host; only this machine's names are served."""
    rebound = requests.get(desk.url + "/metrics", headers={"Host": "evil.example:8000"},
                           timeout=10)  # fmt: skip
    assert rebound.status_code == 403 and "supportbot_" not in rebound.text
    for name in ("localhost", "127.0.0.1"):
        port = desk.url.rsplit(":", 1)[1]
        here = requests.get(desk.url + "/metrics", headers={"Host": f"{name}:{port}"}, timeout=10)
        assert here.status_code == 200 and "supportbot_" in here.text


def test_ipv6_loopback_reads_the_metrics_without_a_token(desk: Desk) -> None:
    app = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET))

    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "::1"})

    assert response.status_code == 200 and "supportbot_" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        f"Token {TOKEN}",
        TOKEN,
        "Bearer \u00e9t\u00e9",  # not ASCII: refused, never a 500
    ],
)
def test_with_a_token_a_missing_or_wrong_one_is_401_and_counted(
    desk: Desk, authorization: str | None
) -> None:
    _with_token(desk, TOKEN)
    before = _refused(desk, "metrics_token")
    headers = {} if authorization is None else {"Authorization": authorization}

    response = requests.get(
        desk.url + "/metrics", headers={k: v.encode() for k, v in headers.items()}, timeout=10
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "supportbot_" not in response.text
    assert _refused(desk, "metrics_token") == before + 1


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_with_a_token_the_right_one_reads_the_metrics(desk: Desk, scheme: str) -> None:
    _with_token(desk, TOKEN)

    response = requests.get(
        desk.url + "/metrics", headers={"Authorization": f"{scheme} {TOKEN}"}, timeout=10
    )

    assert response.status_code == 200
    assert "# TYPE supportbot_requests_refused_total counter" in response.text


def test_with_a_token_even_this_host_needs_it(desk: Desk) -> None:
    _with_token(desk, TOKEN)

    assert requests.get(desk.url + "/metrics", timeout=10).status_code == 401


def test_an_empty_token_setting_is_no_token_not_any_token(desk: Desk) -> None:
    _with_token(desk, "")
    app = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET))

    from_afar = app.test_client().get(
        "/metrics", headers={"Authorization": "Bearer "}, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )

    assert from_afar.status_code == 403
    assert requests.get(desk.url + "/metrics", timeout=10).status_code == 200

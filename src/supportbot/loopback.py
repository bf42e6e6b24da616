"""Whether a request comes from this machine itself: from a loopback address, and not relayed
by a proxy on this machine (a relayed request carries the stranger's address in a header).

``/metrics`` without a token and the dashboard in local mode serve only such requests.
"""

from __future__ import annotations

from flask import Request

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
PROXIED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def from_this_machine(req: Request) -> bool:
    return req.remote_addr in LOOPBACK and not any(h in req.headers for h in PROXIED)

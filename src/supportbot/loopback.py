"""Whether a request comes from this machine itself: from a loopback address, and not relayed
by a proxy on this machine (a relayed request carries the stranger's address in a header).

``/metrics`` without a token and the dashboard in local mode serve only such requests.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
PROXIED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
# The names a browser on this machine uses for it. A page of another site can point a name of
# its own at 127.0.0.1 (DNS rebinding): the browser then sends it here from loopback, and lets
# that page read the answers, as they are of its own origin. Only the Host header tells.
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def from_this_machine(req: Request) -> bool:
    return req.remote_addr in LOOPBACK and not any(h in req.headers for h in PROXIED)


def addressed_here(req: Request) -> bool:
    """The request names this machine (``Host``: 127.0.0.1, localhost or [::1], any port)."""
    try:
        name = urlsplit("//" + req.host).hostname
    except ValueError:  # "[::1" and the like: no name at all
        return False
    return name in LOCAL_NAMES

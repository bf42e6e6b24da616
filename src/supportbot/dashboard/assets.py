"""The dashboard's own static files (vendored Chart.js and its licence, the page script),
served by the app itself: no page loads anything from another site (CSP script-src 'self').

Each is linked with its content hash in the query, so a browser may keep it for a year and
still fetch a changed file at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Response, abort, send_from_directory

FOLDER = Path(__file__).with_name("static")
SERVED = {
    "chart.umd.min.js": "text/javascript",
    "dashboard.js": "text/javascript",
    "chart.js-LICENSE.md": "text/plain",
}
YEAR = 365 * 24 * 3600


@cache
def url(name: str) -> str:
    digest = hashlib.sha256((FOLDER / name).read_bytes()).hexdigest()[:12]
    return f"/dashboard/static/{name}?v={digest}"


def serve(name: str) -> Response:
    if name not in SERVED:  # only what is listed: the folder also holds its README
        abort(404)
    response = send_from_directory(FOLDER, name, mimetype=SERVED[name], max_age=YEAR)
    response.cache_control.immutable = True
    return response

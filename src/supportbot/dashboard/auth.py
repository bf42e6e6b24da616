"""Sign in with Slack (OpenID Connect) for the dashboard, and who the viewer is.

The browser goes to Slack's authorize page with a fresh ``state`` (kept in the signed
session cookie); Slack sends it back with a code; the server exchanges the code
(``openid.connect.token``, with the app's client secret), checks that the id_token it
answers with carries the ``nonce`` this browser's sign-in sent (a code issued to another
sign-in is refused), and asks ``openid.connect.userInfo`` with the access token who signed
in: a Slack user id and the user's own team. The session
keeps only those; every request classifies them again with the one access module
(``incidents.access.identify``), so a contact removed from the contracts file or a person who
leaves the staff group loses access at once. Staff see everything, a designated contact
their own organisation, anyone else is refused.

Local mode (no Slack credential, no public URL: ``Settings.local_mode``) without Sign in with
Slack configured opens the dashboard without sign-in, as staff, to this machine only: a
request from a loopback address that no proxy relayed. Anyone else gets 403. That is decided
from the settings, never from what a request lacks; outside local mode nothing is open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Response, abort, redirect, request, session, url_for
from redis.exceptions import RedisError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator

from supportbot import metrics
from supportbot.incidents.access import Actor, Role, identify
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

SESSION_HOURS = 8
NOT_CONFIGURED = (
    "Sign in with Slack is not configured: set SUPPORTBOT_SLACK_CLIENT_ID and "
    "SUPPORTBOT_SLACK_CLIENT_SECRET (the Slack app's OpenID Connect credentials)."
)
LOCAL_BANNER = (
    "Local mode: open without sign-in to this machine only (127.0.0.1). Set "
    "SUPPORTBOT_SLACK_CLIENT_ID and SUPPORTBOT_SLACK_CLIENT_SECRET to require Sign in with Slack."
)
LOCAL_ONLY = (
    "This dashboard runs in local mode: it is open without sign-in to the machine that runs "
    "supportbot only (127.0.0.1), and this request {whence}. Open it on that machine, or set "
    "SUPPORTBOT_SLACK_CLIENT_ID and SUPPORTBOT_SLACK_CLIENT_SECRET to require Sign in with Slack."
)
CANNOT_CHECK = (
    "The dashboard cannot check your session right now: Redis, which remembers signed-out "
    "sessions, is unavailable. Try again in a minute; you need not sign in again."
)
NOT_SIGNED_OUT = (
    "You are not signed out yet: the session cannot be ended for good while Redis, which "
    "remembers signed-out sessions, is unavailable. Try again in a minute."
)
# Who looks in local mode: no Slack user id can take this form (they start with U or W).
LOCAL_VIEWER = Actor.staff_member("local")


def configure(app: Flask, rt: Runtime) -> None:
    """The session cookie: signed, HttpOnly, SameSite=Lax (Slack's redirect back is a
    top-level navigation from another site, which Strict would strip), Secure behind https."""
    settings = rt.settings
    given = settings.dashboard_secret or settings.slack_signing_secret
    base = given.get_secret_value() if given else secrets.token_hex(32)
    app.secret_key = hmac.new(
        base.encode(), b"supportbot dashboard session", hashlib.sha256
    ).digest()
    app.config.update(
        SESSION_COOKIE_NAME="supportbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(settings.public_url or "").lower().startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # 8 hours from signing in, not from the last request: re-issued with each answer
        # (the page polls every 30 s), an open tab's session never ended.
        SESSION_REFRESH_EACH_REQUEST=False,
    )


def _redirect_uri(rt: Runtime) -> str:
    base = rt.settings.public_url or request.url_root
    return base.rstrip("/") + "/dashboard/callback"


def login(rt: Runtime) -> Any:
    settings = rt.settings
    if not settings.slack_client_id or not settings.slack_client_secret:
        return Response(NOT_CONFIGURED + "\n", status=503, mimetype="text/plain")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    # Not session.clear(): a cross-site link here (a top-level GET, which SameSite=Lax lets
    # the cookie through) would sign the browser out; the callback starts a new session.
    session["oidc_state"], session["oidc_nonce"] = state, nonce
    generator = OpenIDConnectAuthorizeUrlGenerator(
        client_id=settings.slack_client_id,
        scopes=["openid", "profile"],
        redirect_uri=_redirect_uri(rt),
        authorization_url=settings.slack_oidc_authorize_url,
    )
    return redirect(generator.generate(state=state, nonce=nonce))


def callback(rt: Runtime) -> Any:
    expected, nonce = session.pop("oidc_state", None), session.pop("oidc_nonce", None)
    given = request.args.get("state", "")
    if not expected or not hmac.compare_digest(str(expected).encode(), given.encode()):
        metrics.REQUEST_REFUSED.labels("dashboard_state").inc()
        abort(400, "This sign-in link is stale or was not started here; sign in again.")
    if request.args.get("error") or not request.args.get("code"):
        abort(403, "Slack did not sign you in.")
    settings = rt.settings
    assert settings.slack_client_id and settings.slack_client_secret
    try:
        client = WebClient(base_url=settings.slack_api_url)
        issued = client.openid_connect_token(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            code=request.args["code"],
            redirect_uri=_redirect_uri(rt),
        )
        if not _for_this_sign_in(issued.get("id_token"), settings.slack_client_id, nonce):
            metrics.REQUEST_REFUSED.labels("dashboard_nonce").inc()
            abort(403, "This sign-in was not started in this browser; sign in again.")
        token = issued["access_token"]
        info = WebClient(token=token, base_url=settings.slack_api_url).openid_connect_userInfo()
    except SlackApiError as exc:
        log.warning("Sign in with Slack failed: %s", exc.response.get("error"))
        abort(403, "Slack did not confirm who you are; sign in again.")
    except (SlackClientError, OSError) as exc:  # OSError: the connection dropped, timed out
        log.error("Sign in with Slack could not reach Slack: %s", exc)
        abort(502, "Slack could not be reached; try again in a minute.")
    session.clear()
    session.permanent = True
    session["user"] = str(info.get("https://slack.com/user_id") or "")
    session["team"] = str(info.get("https://slack.com/team_id") or "")
    session["name"] = str(info.get("name") or session["user"])[:80]
    session["csrf"] = secrets.token_urlsafe(24)
    session["sid"] = secrets.token_urlsafe(16)  # what signing out revokes
    session["since"] = rt.now().timestamp()
    return redirect(url_for("dashboard.overview"))


def _for_this_sign_in(id_token: object, client_id: str, nonce: object) -> bool:
    """The id_token names this app and carries the nonce this browser's sign-in sent: a code
    that Slack issued to another sign-in (taken from another browser, a log) is refused, though
    it came back with this browser's state. The token comes straight from Slack's token
    endpoint over TLS, so its signature is not checked (OpenID Connect Core 3.1.3.7)."""
    if not isinstance(id_token, str) or not isinstance(nonce, str) or id_token.count(".") != 2:
        return False
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:  # not base64, not JSON, not UTF-8
        return False
    if not isinstance(claims, dict):
        return False
    audience = claims.get("aud")
    ours = audience == client_id or (isinstance(audience, list) and client_id in audience)
    given = claims.get("nonce")
    return ours and isinstance(given, str) and hmac.compare_digest(given.encode(), nonce.encode())


def _signed_out_key(sid: str) -> str:
    return f"supportbot:dashboard:signed-out:{sid}"


def sign_out(rt: Runtime) -> bool:
    """End the session for good: the cookie is cleared in this browser, and the session is
    remembered as signed out for as long as it could last, so a copy of the cookie (a proxy's
    log, a shared disk) no longer signs anyone in. The session itself is a signed cookie,
    nothing kept on the server but this. False when Redis cannot remember it: the session is
    then kept, so that signing out again ends it (cleared here alone, a copy would work
    again once Redis is back)."""
    sid = session.get("sid")
    if sid:
        try:
            rt.request_redis.set(_signed_out_key(str(sid)), 1, ex=SESSION_HOURS * 3600)
        except RedisError:
            log.error("cannot sign a dashboard session out (Redis unavailable); it is kept")
            return False
    session.clear()
    return True


class CannotCheck(Exception):
    """Redis cannot say whether the session was signed out. Not "signed out": signing in
    again would not help (the callback sends the browser back here, and here to Slack)."""


def _current(rt: Runtime) -> bool:
    """The session is within its 8 hours from sign-in and was not signed out. If Redis
    cannot say, the session is not taken as current (said in the log, and CannotCheck
    raised): the dashboard waits for Redis rather than let a revoked cookie in."""
    since, sid = session.get("since"), session.get("sid")
    if not isinstance(since, int | float) or not isinstance(sid, str):
        return False  # a cookie from before sessions ended: sign in again
    if rt.now().timestamp() - since > SESSION_HOURS * 3600:
        return False
    try:
        return not rt.request_redis.exists(_signed_out_key(sid))
    except RedisError:
        log.error("cannot check a dashboard session (Redis unavailable); asking to wait")
        raise CannotCheck from None


def open_locally(rt: Runtime) -> bool:
    """Local mode and no Sign in with Slack: open, to this machine only (see the top)."""
    return rt.settings.local_mode and not rt.settings.sign_in_configured


def viewer(rt: Runtime) -> Actor | None:
    """Who is looking, classified now; None when nobody is signed in (CannotCheck: Redis
    cannot say whether this session was signed out)."""
    user, team = session.get("user"), session.get("team")
    if not user or not _current(rt):
        return None
    return identify(rt.contracts, rt.staff, user, user_team=team or None)


def allowed(who: Actor) -> bool:
    return who.role is Role.STAFF or who.role is Role.CONTACT


def check_csrf() -> None:
    """Every form posts the session's token back; anything else is refused."""
    expected = session.get("csrf")
    given = request.form.get("csrf", "")
    if not expected or not hmac.compare_digest(str(expected).encode(), given.encode()):
        abort(400, "This form is stale; reload the page and try again.")

"""What every Slack listener shares, put on Bolt's context once by :func:`attach`.

The middleware validates the payload against its typed model (:mod:`handlers.payloads`),
refuses a replayed request, and asks the one access module
(:func:`supportbot.incidents.access.identify`) who is acting. Listeners read the runtime,
the typed payload and the actor back; they hold no rules of their own.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from redis.exceptions import RedisError
from slack_bolt import BoltContext, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from handlers.payloads import (
    BlockActions,
    Command,
    EventCallback,
    Malformed,
    MessageShortcut,
    Payload,
    ViewSubmission,
    parse,
)
from supportbot import metrics
from supportbot.db.engine import REFUSED
from supportbot.incidents.access import Actor, identify
from supportbot.runtime import Runtime
from supportbot.slack.jobs import post_later

log = logging.getLogger(__name__)

RUNTIME, PAYLOAD, ACTOR = "supportbot_runtime", "supportbot_payload", "supportbot_actor"
REPLAYED = "This request was already received, so nothing more was done."
NOT_SAVED = (
    ":rotating_light: *Not saved*: the database refused to store it, so nothing changed. "
    "Try again in a minute; if it fails again, the database needs attention (`/healthz`)."
)
P = TypeVar("P", bound=Payload)


def sender(payload: Payload) -> tuple[str, str | None, str | None]:
    """(user id, the user's own team id, channel id); a user without a team is never staff."""
    if isinstance(payload, Command):
        # ``team_id`` of a slash command is the invoking user's workspace.
        return payload.user_id, payload.team_id, payload.channel_id
    if isinstance(payload, EventCallback):
        message = payload.message()
        if message is None:
            return "", None, None
        return message.user or "", message.user_team or message.team, message.channel
    if isinstance(payload, ViewSubmission):
        channel = payload.view.metadata().get("channel")
    else:
        channel = payload.channel.id if payload.channel is not None else None
    return payload.user.id, payload.user.team_id, channel


def _answer(body: dict[str, Any], text: str) -> BoltResponse:
    """What Slack gets back for a refused request, said where the person can see it: the
    words of a command's answer, a modal in place of a form that could not be read, or an
    ephemeral message through the response URL of a button. Anything else (an event) has
    nowhere to show them: an empty 200, with the reason logged."""
    if "command" in body and "type" not in body:
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    if body.get("type") == "view_submission":
        return BoltResponse(status=200, body={"response_action": "update", "view": _notice(text)})
    _answer_later(body, text)
    return BoltResponse(status=200, body="")


def _answer_later(body: dict[str, Any], text: str) -> None:
    """Say ``text`` ephemerally through the request's response URL, if it has one."""
    url = body.get("response_url")
    if isinstance(url, str) and _RESPONSE_URL.fullmatch(url):
        threading.Thread(
            target=_respond, args=(url, text), name="supportbot-refusal", daemon=True
        ).start()  # after the ack: Slack's 3 seconds are for the answer, not for this post


def on_error(
    error: Exception, body: dict[str, Any], response: BoltResponse | None
) -> BoltResponse | None:
    """Bolt's handler for an exception a listener (or middleware) let out.

    A database that refuses writes (a full disk, a read-only standby) is said to whoever
    asked, as ``/incident``'s opening already said it: Slack showed a bare 500 as "failed
    with the error" for a command, and nothing at all for a button pressed (its ack had gone),
    so a note or an acknowledgement that was never stored looked done. Anything else is
    logged as Bolt logs it, and a request not yet answered stays a 500.
    """
    if not isinstance(error, REFUSED):
        log.error("Failed to run listener function (error: %s)", error, exc_info=error)
        return None
    # The driver's words, not SQLAlchemy's, which carry the statement and what people wrote.
    log.error("a Slack request was not stored (the database refused it): %s", error.orig)
    if response is None:  # answered already: the response URL is the way left to say it
        _answer_later(body, NOT_SAVED)
        return None
    return _answer(body, NOT_SAVED)


_RESPONSE_URL = re.compile(r"https?://\S{1,2000}")


def _notice(text: str) -> dict[str, Any]:
    """A modal that only says ``text``, for a form submission that could not be read."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Not received"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}],
    }


def _respond(url: str, text: str) -> None:
    try:
        WebhookClient(url, timeout=5).send(
            text=text, response_type="ephemeral", replace_original=False
        )
    except (OSError, ValueError, SlackClientError) as exc:
        log.warning("could not answer a refused Slack request through its response URL: %s", exc)


def replayed(rt: Runtime, payload: Payload) -> bool:
    """Slack never sends one ``trigger_id`` twice: a second arrival is a replayed request.

    Remembered in Redis for twice the signature's 5-minute window. If Redis cannot answer,
    the request goes through (logged): refusing every command while Redis is down would stop
    incident intake, and a replay still needs a captured, freshly signed request.
    """
    if not isinstance(payload, Command | BlockActions | MessageShortcut):
        return False
    if payload.trigger_id is None:
        return False
    try:
        first = rt.request_redis.set(f"supportbot:trigger:{payload.trigger_id}", 1, nx=True, ex=600)
    except RedisError:
        log.error("cannot check a Slack request for replay (Redis unavailable); letting it in")
        metrics.REQUEST_REFUSED.labels("replay_unchecked").inc()
        return False
    return not first


def refuse_replay(trigger_id: object) -> str:
    """Counted and logged as every refused replay is; the words to answer it with."""
    metrics.REQUEST_REFUSED.labels("slack_replay").inc()
    log.warning("refused a replayed Slack request (trigger %s)", trigger_id)
    return f":no_entry: {REPLAYED}"


# Commands whose listener makes the replay check itself: ``/incident`` opens incidents, and
# an opening is recognised by the receipt stored with it in its own transaction (durable,
# whatever Redis says, and no Redis round trip on the busiest request: docs/benchmarks.md);
# its other uses call :func:`replayed` first.
CHECKED_BY_LISTENER = frozenset({"/incident"})


class _Attach(Middleware):
    """A class middleware, so Bolt calls it with the request as it is: a function middleware
    gets its arguments built from the payload first (``action``, ``view``…), which raises on
    a payload of the wrong shape before this check could answer it."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        rt, body, context = self.rt, req.body, req.context
        try:
            payload = parse(body)
        except Malformed as exc:
            metrics.REQUEST_REFUSED.labels("slack_malformed").inc()
            log.warning("refused a malformed Slack payload (%s)", exc)
            return _answer(body, f":warning: This request could not be read ({exc}).")
        if payload is None:
            # A kind no listener handles: answered here, as Bolt would, without running the
            # listeners' matchers over a payload nobody validated.
            log.warning("ignored a Slack request of a kind no listener handles")
            return BoltResponse(status=404, body={"error": "unhandled request"})
        deferred = isinstance(payload, Command) and payload.command in CHECKED_BY_LISTENER
        if not deferred and replayed(rt, payload):
            return _answer(body, refuse_replay(body.get("trigger_id")))
        user, team, channel = sender(payload)
        context[RUNTIME], context[PAYLOAD] = rt, payload
        context[ACTOR] = identify(rt.contracts, rt.staff, user, user_team=team, channel_id=channel)
        return next()


def attach(rt: Runtime) -> Middleware:
    return _Attach(rt)


def open_form(client: WebClient, trigger_id: str, view: View) -> str | None:
    """Open a modal; when Slack will not (an expired trigger, a view it refuses), return what
    to tell the person instead. The failure is logged and counted, never lost."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        reason = str(exc.response.get("error") or "error")
        log.warning("Slack would not open a form: %s", reason)
        metrics.SLACK_CALLS.labels("views.open", "error").inc()
        return f":warning: The form could not open (Slack said `{reason}`); please try again."
    except OSError:  # Slack out of reach (refused, unresolvable, timed out): not a 500
        log.exception("could not reach Slack to open a form")
        metrics.SLACK_CALLS.labels("views.open", "error").inc()
        return ":warning: The form could not open (Slack could not be reached); please try again."
    metrics.SLACK_CALLS.labels("views.open", "ok").inc()
    return None


def runtime(context: BoltContext) -> Runtime:
    return cast(Runtime, context[RUNTIME])


def actor(context: BoltContext) -> Actor:
    return cast(Actor, context[ACTOR])


def payload(context: BoltContext, kind: type[P]) -> P:
    found = context[PAYLOAD]
    if not isinstance(found, kind):
        raise TypeError(f"expected a {kind.__name__} payload, got {type(found).__name__}")
    return found


def tell(respond: Respond, press: BlockActions, text: str) -> None:
    """Answer whoever pressed, visible to them only, below the message (which stays). A
    press without a response URL (a payload Slack did not build) gets no answer."""
    if press.response_url is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)


__all__ = [
    "actor",
    "attach",
    "open_form",
    "payload",
    "post_later",
    "refuse_replay",
    "replayed",
    "runtime",
    "sender",
    "tell",
]

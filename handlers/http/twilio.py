"""Twilio webhooks: inbound SMS, the page call's TwiML and keypress, delivery status.

Every request must carry a valid X-Twilio-Signature for the URL Twilio called (the public
URL behind a proxy), checked against the auth token or the alternate token kept during a
rotation. Anything else gets 403 and changes nothing.

A signature carries no timestamp, so a captured request stays valid for ever: an SMS reply
and a keypress are acted on once per Twilio message (``MessageSid``) and per call and page
(``CallSid``), and a second delivery of either (a replay, or a retry of one handled) is
answered without acting again. Otherwise a replayed "ack" could renew an acknowledgement
for ever and keep a Severity 1's paging from resuming.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse
from werkzeug.datastructures import MultiDict

from supportbot import metrics
from supportbot.db.types import row_id
from supportbot.desk import pager_replies as inbound
from supportbot.paging import outbox
from supportbot.paging.voice import page_prompt
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

TWIML = "application/xml"
# Twilio's webhooks are a few kilobytes: 1,600 characters of SMS body, each up to four UTF-8
# bytes percent-encoded (19 KB), ten media URLs and the rest. A larger form is refused (413)
# before it is parsed for the signature check: a megabyte of fields takes a second to parse.
MAX_BODY = 64 * 1024


def _signed_url(rt: Runtime) -> str:
    """The URL Twilio called, as it signed it: its query string exactly as sent (Flask's
    ``request.url`` decodes ``%C2%B2`` to ``²``, which no signature covers)."""
    path = request.full_path if request.query_string else request.path
    return (rt.settings.public_url or request.root_url).rstrip("/") + path


def _verified(rt: Runtime) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    tokens = [
        t.get_secret_value()
        for t in (rt.settings.twilio_auth_token, rt.settings.twilio_alt_auth_token)
        if t
    ]
    if not tokens:
        log.error("refused a Twilio webhook: TWILIO_AUTH_TOKEN is not set, nothing can be verified")
        return False
    url, params = _signed_url(rt), request.form.to_dict()
    return any(RequestValidator(token).validate(url, params, signature) for token in tokens)


def _twilio_only(rt: Runtime) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            request.max_content_length = MAX_BODY
            if not _verified(rt):
                metrics.REQUEST_REFUSED.labels("twilio_signature").inc()
                log.warning(
                    "refused a Twilio webhook with a bad signature from %s", request.remote_addr
                )
                abort(403)
            if _has_nul(request.form) or _has_nul(request.args):
                # Twilio sends none; PostgreSQL cannot store one (SQLite can).
                metrics.REQUEST_REFUSED.labels("twilio_malformed").inc()
                abort(400, "a NUL character, which no Twilio request carries")
            return view(*args, **kwargs)

        return checked

    return decorate


def _has_nul(fields: MultiDict[str, str]) -> bool:
    return any("\x00" in key or "\x00" in "".join(values) for key, values in fields.lists())


def _xml(twiml: Any) -> Response:
    return Response(str(twiml), mimetype=TWIML)


# A phone number as Twilio sends one (E.164, ``+`` and at most 19 digits: it fits the column
# that counts a number's unrecognised texts). Spaces some gateways add are dropped.
_PHONE = re.compile(r"\+?[0-9]{3,19}")


def _sender() -> str:
    number = request.form.get("From", "").replace(" ", "")
    if not _PHONE.fullmatch(number):
        abort(400, "From must be the phone number the SMS came from")
    return number


def _page_id() -> int:
    found = row_id(request.args.get("page", ""))
    if found is None:
        abort(400, "the page parameter must be a page id")
    return found


# A Twilio resource id: two capital letters and 32 hex digits (SM…, MM…, CA…).
_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


def _delivery(kind: str, sid: str, *more: object) -> str | None:
    """The key a second delivery of this request is known by. Twilio always sends the id
    and the signature covers it; a request without a well-formed one has none."""
    if not _SID.fullmatch(sid):
        return None
    return ":".join(str(part) for part in (f"twilio-{kind}", sid, *more))


def _count_replay(outcome: str) -> None:
    if outcome == inbound.REPLAYED:
        metrics.REQUEST_REFUSED.labels("twilio_replay").inc()


def register(flask: Flask, rt: Runtime) -> None:
    guard = _twilio_only(rt)

    @flask.post("/twilio/sms")
    @guard
    def inbound_sms() -> Response:
        delivery = _delivery("sms", request.form.get("MessageSid", ""))
        answer = inbound.handle_sms(rt, _sender(), request.form.get("Body", ""), delivery)
        _count_replay(answer.outcome)
        reply = MessagingResponse()
        if answer.text:
            reply.message(answer.text)
        return _xml(reply)

    @flask.post("/twilio/voice")
    @guard
    def voice() -> Response:
        page_id = _page_id()
        said, open_page = page_prompt(rt, page_id)
        response = VoiceResponse()
        if open_page:
            gather = Gather(
                num_digits=1,
                timeout=8,
                # Relative to this TwiML's URL (``…/twilio/voice``), as Twilio resolves it: an
                # absolute path would drop a SUPPORTBOT_PUBLIC_URL path behind a proxy.
                action=f"voice/gather?page={page_id}",
                method="POST",
            )
            gather.say(said)
            response.append(gather)
            response.say("No key was pressed. Goodbye.")
        else:
            response.say(said)
        return _xml(response)

    @flask.post("/twilio/voice/gather")
    @guard
    def keypress() -> Response:
        page_id = _page_id()
        delivery = _delivery("keypress", request.form.get("CallSid", ""), page_id)
        said, outcome = inbound.handle_keypress(
            rt, page_id, request.form.get("Digits", ""), delivery
        )
        _count_replay(outcome)
        response = VoiceResponse()
        response.say(said)
        return _xml(response)

    @flask.post("/twilio/status")
    @guard
    def status() -> Response:
        form = request.form
        sid = form.get("MessageSid") or form.get("CallSid") or ""
        state = form.get("MessageStatus") or form.get("CallStatus") or ""
        outbox.on_status(rt, sid, state, form.get("ErrorCode"))
        return Response("", status=204)

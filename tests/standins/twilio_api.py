"""A local stand-in for the Twilio REST API (Messages and Calls), reached through ``twilio.rest``.

Point the real client at ``TwilioStandin.url`` via
``supportbot.clients.twilio_http.make_twilio_client``.
Besides answering the API it plays Twilio's side of the webhooks: status callbacks, inbound SMS and
answering a call (fetch TwiML, press digits), all signed with Twilio's real algorithm.
"""

from __future__ import annotations

import base64
import itertools
import re
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator

from ._server import TRANSPORT_FAULTS, Clock, Reply, Request, StandinServer

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
API_VERSION = "2010-04-01"
Resource = dict[str, Any]

_ROUTE = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<kind>Messages|Calls)(?:/(?P<sid>[^/.]+))?\.json$"
)
_ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/.]+)\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ERRORS = {
    20003: "Authenticate",
    20004: "Method not allowed",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
}
#: Create-time checks in Twilio's order: (error code, message, fields of which one is needed).
_REQUIRED = {
    "Messages": [
        (21604, "A 'To' phone number is required.", ("To",)),
        (21603, "A 'From' phone number is required.", ("From", "MessagingServiceSid")),
        (21602, "Message body is required.", ("Body", "MediaUrl")),
    ],
    "Calls": [
        (21201, "No 'To' number is specified", ("To",)),
        (21213, "No 'From' number is specified", ("From",)),
        (21205, "Url parameter is required.", ("Url", "Twiml", "ApplicationSid")),
    ],
}
#: Twilio's default opt-out and opt-in keywords (a whole message, any case): after one of the
#: first, a message to that number is refused with 21610 until one of the second.
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
OPT_IN = {"START", "YES", "UNSTOP"}
MAX_BODY = 1600  # characters in one message, however many segments (21617 beyond)
# The GSM 03.38 alphabet: its basic set (one septet each) and extension (two each, the escape
# included). A message with any other character is sent as UCS-2: 70 characters, not 160.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def segments(body: str) -> int:
    """How many SMS segments Twilio bills ``body`` as: 160 GSM-7 septets in one, 153 per
    segment beyond; in UCS-2, 70 UTF-16 units in one, 67 beyond."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in body):
        units, single, multi = sum(2 if c in _GSM_EXTENDED else 1 for c in body), 160, 153
    else:
        units, single, multi = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // multi)


_NULL_FIELDS = {
    "Messages": "date_sent error_code error_message messaging_service_sid".split(),
    "Calls": "answered_by caller_name duration start_time end_time parent_call_sid".split(),
}


def twilio_error(status: int, code: int, message: str | None = None, **headers: str) -> Reply:
    """Twilio's legacy JSON error shape, which ``twilio`` turns into ``TwilioRestException``."""
    message = message or _ERRORS.get(code, f"Error {code}")
    info = f"https://www.twilio.com/docs/errors/{code}"
    body = dict(code=code, message=message, more_info=info, status=status)
    return Reply.json(status, body, {k.replace("_", "-"): v for k, v in headers.items()})


class _Invalid(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Exchange(NamedTuple):
    """One webhook round trip made by the stand-in on Twilio's behalf."""

    url: str
    status: int
    text: str


@dataclass(frozen=True)
class Webhook:
    """A signed request the stand-in sent, kept for debugging and assertions."""

    url: str
    method: str
    params: dict[str, str]
    signature: str
    status: int
    text: str


class TwilioStandin(StandinServer):
    """``/2010-04-01/Accounts/{sid}/Messages.json`` and ``Calls.json`` on 127.0.0.1.

    Calls are named ``Messages.create``, ``Messages.fetch``, ``Calls.create``, ``Calls.fetch``,
    ``Calls.update`` and ``Accounts.fetch`` (the account itself, as ``supportbot check`` asks
    for it) for ``calls()``, ``wait_for()`` and ``inject()``.
    """

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        clock: Clock | None = None,
        hang_seconds: float = 3.0,
        callback_timeout: float = 5.0,
    ) -> None:
        super().__init__(clock=clock, hang_seconds=hang_seconds)
        self.account_sid, self.auth_token = account_sid, auth_token
        self.account_status = "active"  # or "suspended" / "closed", as Accounts.fetch reports
        self.signing_token = auth_token  # what webhooks are signed with; change to test rotation
        self.public_base_url: str | None = None  # sign as if sent to this host (a proxy's URL)
        self.callback_timeout = callback_timeout
        self.resources: dict[str, Resource] = {}
        self._create_params: dict[str, dict[str, Any]] = {}
        self._webhooks: list[Webhook] = []
        self.opted_out: set[str] = set()  # numbers that texted STOP (and not START since)
        self._sequence = itertools.count()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- inspection ------------------------------------------------------------------------------
    def messages(self, to: str | None = None) -> list[Resource]:
        """Created SMS resources (current state), oldest first."""
        return self._listed("SM", to)

    def voice_calls(self, to: str | None = None) -> list[Resource]:
        """Created voice call resources (current state), oldest first."""
        return self._listed("CA", to)

    def _listed(self, prefix: str, to: str | None) -> list[Resource]:
        with self._lock:
            found = self.resources.values()
            return [dict(r) for r in found if r["sid"][:2] == prefix and to in (None, r["to"])]

    def webhooks(self) -> list[Webhook]:
        with self._lock:
            return list(self._webhooks)

    # -- Twilio's side of the webhooks -----------------------------------------------------------
    def deliver_status(
        self,
        sid: str,
        status: str,
        *,
        error_code: int | None = None,
        token: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> Exchange:
        """Move a message or call to ``status`` and POST its StatusCallback, signed."""
        with self._lock:
            res, created = self._resource(sid), self._create_params[sid]
            res["status"] = status
            res["date_updated"] = self._now()
            if status == "sent" and "date_sent" in res:
                res["date_sent"] = res["date_updated"]
            if error_code is not None:
                res["error_code"] = error_code
        url = created.get("StatusCallback")
        if not url:
            raise AssertionError(f"{sid} was created without a StatusCallback: {created}")
        params = self._base_params(res)
        if sid.startswith("SM"):
            params |= dict(MessageSid=sid, SmsSid=sid, MessageStatus=status, SmsStatus=status)
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
        else:
            seq = str(next(self._sequence))
            params |= dict(CallSid=sid, CallStatus=status, Direction="outbound-api")
            params |= dict(CallbackSource="call-progress-events", SequenceNumber=seq)
            params["Timestamp"] = self._now()
            if status == "completed":
                params |= {"CallDuration": "12", "Duration": "1"}
        method = created.get("StatusCallbackMethod", "POST")
        return self._send(url, params | (extra or {}), method=method, token=token)

    def send_inbound_sms(
        self,
        webhook_url: str,
        from_: str,
        to: str,
        body: str,
        *,
        token: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST an incoming SMS to the app's webhook as Twilio does; return (status, body)."""
        sid = "SM" + uuid.uuid4().hex
        keyword = body.strip().upper()
        with self._lock:
            if keyword in OPT_OUT:
                self.opted_out.add(from_)
            elif keyword in OPT_IN:
                self.opted_out.discard(from_)
        params = dict(MessageSid=sid, SmsSid=sid, SmsMessageSid=sid, From=from_, To=to, Body=body)
        params |= dict(AccountSid=self.account_sid, ApiVersion=API_VERSION, SmsStatus="received")
        params |= dict(NumMedia="0", NumSegments="1") | (extra or {})
        exchange = self._send(webhook_url, params, token=token)
        return exchange.status, exchange.text

    def answer_call(
        self,
        sid: str,
        digits: str | None = None,
        *,
        token: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> list[Exchange]:
        """Answer a call: fetch its TwiML, then, given ``digits``, submit them to its <Gather>.

        Stops early if a webhook answers with an error status. Raises AssertionError when digits
        are given but the TwiML has no <Gather>, since pressing them would be meaningless.
        """
        with self._lock:
            res, created = self._resource(sid), self._create_params[sid]
            res["status"] = "in-progress"
            res["start_time"] = self._now()
        params = (
            self._base_params(res)
            | {"CallSid": sid, "CallStatus": "in-progress", "Direction": "outbound-api"}
            | (extra or {})
        )
        url = created.get("Url")
        if url:
            exchanges = [self._send(url, params, method=created.get("Method", "POST"), token=token)]
        else:
            exchanges = [Exchange("", 200, str(created.get("Twiml", "")))]
        first = exchanges[0]
        if digits is None or first.status >= 400:
            return exchanges
        gather = _find_gather(first.text)
        if gather is None:
            raise AssertionError(f"call {sid}: no <Gather> to press {digits!r} into:\n{first.text}")
        action = urljoin(first.url, gather.get("action") or first.url)
        if not action:
            raise AssertionError(f"call {sid}: <Gather> has no action URL to resolve")
        method = gather.get("method", "POST").upper()
        exchanges.append(
            self._send(action, params | {"Digits": digits}, method=method, token=token)
        )
        return exchanges

    # -- StandinServer hooks ---------------------------------------------------------------------
    def classify(self, req: Request) -> str:
        if _ACCOUNT.match(req.path) and req.http_method == "GET":
            return "Accounts.fetch"
        match = _ROUTE.match(req.path)
        if match is None:
            return req.path
        if req.http_method == "GET":
            action = "fetch" if match["sid"] else "list"
        else:
            action = "update" if match["sid"] else "create"
        return f"{match['kind']}.{action}"

    def authorize(self, req: Request, method: str) -> Reply | None:
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        given = req.headers.get("authorization", "").removeprefix("Basic ")
        try:
            ok = base64.b64decode(given, validate=True) == expected
        except ValueError:
            ok = False
        return None if ok else twilio_error(401, 20003)

    def validate_kind(self, kind: str) -> None:
        if kind not in TRANSPORT_FAULTS and not re.fullmatch(r"[1-9]\d{4}", kind):
            raise ValueError(
                f"unknown fault kind {kind!r}: use 429/500/503/timeout/drop or a "
                "5-digit Twilio error code such as '21211' (answered with 400)"
            )

    def fault_reply(self, kind: str, retry_after: int, req: Request, method: str) -> Reply:
        if kind == "429":
            return twilio_error(429, 20429, Retry_After=str(retry_after))
        if kind in ("500", "503"):
            return twilio_error(int(kind), 20000 + int(kind))
        return twilio_error(400, int(kind))

    def handle(self, req: Request, method: str) -> Reply:
        if method == "Accounts.fetch":
            return self._account(req)
        match = _ROUTE.match(req.path)
        if match is None or match["account"] != self.account_sid:
            return twilio_error(404, 20404, f"The requested resource {req.path} was not found")
        if method.endswith(".list"):
            try:
                return Reply.json(200, self._list(match["kind"], req))
            except _Invalid as err:
                return twilio_error(400, err.code, err.message)
        sid = match["sid"]
        if sid and sid not in self.resources:
            return twilio_error(404, 20404, f"The requested resource {req.path} was not found")
        try:
            if method.endswith(".create"):
                return Reply.json(201, self._create(match["kind"], req.params))
            if method == "Calls.update":
                return Reply.json(200, self._update_call(sid, req.params))
        except _Invalid as err:
            return twilio_error(400, err.code, err.message)
        if method == "Messages.update":
            return twilio_error(405, 20004, "Method not allowed (not supported by the stand-in)")
        return Reply.json(200, self.resources[sid])

    def _account(self, req: Request) -> Reply:
        """``GET /2010-04-01/Accounts/{sid}.json``: only one's own account is visible."""
        match = _ACCOUNT.match(req.path)
        if match is None or match["account"] != self.account_sid:
            return twilio_error(404, 20404, f"The requested resource {req.path} was not found")
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}"
        account = dict(sid=self.account_sid, owner_account_sid=self.account_sid, type="Full")
        account |= dict(friendly_name="Stand-in account", status=self.account_status)
        account |= dict(date_created=self._now(), date_updated=self._now(), uri=uri + ".json")
        account["subresource_uris"] = {
            "messages": uri + "/Messages.json",
            "calls": uri + "/Calls.json",
        }
        return Reply.json(200, account)

    # -- resources (run under the lock) ----------------------------------------------------------
    def _now(self) -> str:
        return format_datetime(self.clock())

    def _resource(self, sid: str) -> Resource:
        if sid not in self.resources:
            raise AssertionError(f"no message or call {sid!r}; known: {list(self.resources)}")
        return self.resources[sid]

    def _create(self, kind: str, params: dict[str, Any]) -> Resource:
        for code, message, fields in _REQUIRED[kind]:
            if not any(params.get(name) for name in fields):
                raise _Invalid(code, message)
        if not _E164.match(str(params["To"])):
            raise _Invalid(21211, f"The 'To' number {params['To']} is not a valid phone number.")
        if kind == "Messages" and params["To"] in self.opted_out:
            raise _Invalid(21610, "Attempt to send to unsubscribed recipient")
        if kind == "Messages" and len(str(params.get("Body", ""))) > MAX_BODY:
            raise _Invalid(21617, "The concatenated message body exceeds the 1600 character limit.")
        sid = ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/{kind}/{sid}.json"
        now, to, from_ = self._now(), params["To"], params.get("From")
        res: Resource = dict.fromkeys(_NULL_FIELDS[kind])
        res |= dict(sid=sid, account_sid=self.account_sid, api_version=API_VERSION, uri=uri)
        res |= dict(to=to, status="queued", date_created=now, date_updated=now, price=None)
        res |= {"from": from_, "direction": "outbound-api", "price_unit": "USD"}
        if kind == "Messages":
            body, service = str(params.get("Body", "")), params.get("MessagingServiceSid")
            res |= dict(body=body, num_segments=str(segments(body)), num_media="0")
            res |= dict(
                messaging_service_sid=service, subresource_uris={"media": uri[:-5] + "/Media.json"}
            )
        else:
            res |= dict(
                to_formatted=to, from_formatted=from_, queue_time="0", phone_number_sid=None
            )
            res["subresource_uris"] = {"recordings": uri[:-5] + "/Recordings.json"}
        self._create_params[sid] = dict(params)
        self.resources[sid] = res
        return res

    def _list(self, kind: str, req: Request) -> dict[str, Any]:
        """``GET Messages.json`` / ``Calls.json``: newest first, filtered like Twilio by ``To``,
        ``From`` and ``DateSent`` (messages) or ``StartTime`` / ``EndTime`` (calls), each as
        ``Field`` (that day), ``Field>`` / ``Field>=`` (on or after) or ``Field<`` /
        ``Field<=`` (on or before); a resource whose field is empty matches no date filter.
        One page of ``PageSize`` (default 50); ``Page`` numbers it."""
        dates = ("DateSent",) if kind == "Messages" else ("StartTime", "EndTime")
        checks: list[tuple[str, str, datetime, bool]] = []
        for name, value in req.params.items():
            field = name.rstrip("<>=")
            if field in dates:
                op = name[len(field) :].rstrip("=") or "="
                day = len(str(value)) == 10
                checks.append((_snake(field), op, _parse_when(str(value)), day))
            elif name not in ("To", "From", "PageSize", "Page", "PageToken"):
                raise _Invalid(20001, f"Invalid filter {name!r} (not supported by the stand-in)")
        prefix = "SM" if kind == "Messages" else "CA"
        found = [r for r in self.resources.values() if r["sid"][:2] == prefix]
        for field in ("To", "From"):
            if field in req.params:
                found = [r for r in found if r[field.lower()] == req.params[field]]
        for key, op, when, day in checks:
            found = [r for r in found if _date_matches(r.get(key), op, when, day)]
        found.reverse()  # creation order, newest first as Twilio lists
        size, number = int(req.params.get("PageSize", 50)), int(req.params.get("Page", 0))
        chunk = found[number * size : (number + 1) * size]
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/{kind}.json"
        kept = {k: v for k, v in req.params.items() if k not in ("PageSize", "Page", "PageToken")}

        def uri(n: int) -> str:  # the filters carried to every page, as Twilio does
            return f"{base}?{urlencode(kept | {'PageSize': size, 'Page': n})}"

        more = (number + 1) * size < len(found)
        return {
            kind.lower(): [dict(r) for r in chunk],
            "page": number,
            "page_size": size,
            "start": number * size,
            "end": number * size + len(chunk) - 1,
            "uri": uri(number),
            "first_page_uri": uri(0),
            "next_page_uri": uri(number + 1) if more else None,
            "previous_page_uri": None,
        }

    def _update_call(self, sid: str, params: dict[str, Any]) -> Resource:
        res = self.resources[sid]
        if params.get("Status") in ("canceled", "completed"):
            res["status"] = params["Status"]
            res["end_time"] = self._now()
        for name in ("Url", "Twiml", "Method", "StatusCallback"):
            if name in params:
                self._create_params[sid][name] = params[name]
        res["date_updated"] = self._now()
        return res

    # -- signed webhooks -------------------------------------------------------------------------
    def _base_params(self, res: Resource) -> dict[str, str]:
        frm, to = str(res["from"]), str(res["to"])
        return dict(AccountSid=self.account_sid, ApiVersion=API_VERSION, From=frm, To=to)

    def _signature_url(self, url: str) -> str:
        if not self.public_base_url:
            return url
        base, target = urlsplit(self.public_base_url), urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, target.fragment))

    def _send(
        self, url: str, params: dict[str, str], *, method: str = "POST", token: str | None = None
    ) -> Exchange:
        """Sign and send one webhook like Twilio: form POST, or GET with the query string."""
        validator = RequestValidator(token or self.signing_token)
        data: bytes | None = None
        if method.upper() == "GET":
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
            signature = validator.compute_signature(self._signature_url(url), {})
        else:
            data = urlencode(params).encode()
            signature = validator.compute_signature(self._signature_url(url), params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        headers["I-Twilio-Idempotency-Token"] = str(uuid.uuid4())
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        request = urllib.request.Request(url, data=data, headers=headers, method=method.upper())
        try:
            with self._opener.open(request, timeout=self.callback_timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode(errors="replace")
        with self._lock:
            self._webhooks.append(Webhook(url, method.upper(), params, signature, status, text))
        return Exchange(url, status, text)


def _snake(field: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", field).lower()


def _parse_when(value: str) -> datetime:
    """``2026-11-24`` or ISO 8601 (``2026-11-24T10:00:00Z``), as Twilio's filters take."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise _Invalid(20001, f"Invalid date {value!r}") from err
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _date_matches(stored: Any, op: str, when: datetime, day: bool) -> bool:
    if not stored:
        return False
    value = parsedate_to_datetime(str(stored))
    if day:  # a date alone compares by day
        a, b = value.date(), when.date()
        return a == b if op == "=" else (a >= b if op == ">" else a <= b)
    return value == when if op == "=" else (value >= when if op == ">" else value <= when)


def _find_gather(twiml: str) -> ET.Element | None:
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError as err:
        raise AssertionError(f"webhook did not answer TwiML ({err}):\n{twiml}") from err
    return root.find(".//Gather")

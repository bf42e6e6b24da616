"""Shared base for the local Slack and Twilio stand-ins.

Both stand-ins need the same machinery: a real socket on 127.0.0.1 (so the real client libraries
run their real HTTP, retry and error paths), a thread-safe record of every request that tests can
block on, and fault injection (429, 5xx, slow or dropped responses, or an outage for a window).
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Faults every stand-in understands; subclasses may accept more (e.g. Slack error codes).
TRANSPORT_FAULTS = frozenset({"429", "500", "503", "timeout", "drop", "reset"})


def utc_now() -> datetime:
    """Default clock; tests that travel in time pass their own via ``clock=`` or set_clock()."""
    return datetime.now(UTC)


@dataclass
class Request:
    """One parsed incoming request, as handed to a stand-in's ``handle``."""

    http_method: str
    path: str
    params: dict[str, Any]  # query string, form or JSON body fields, merged
    headers: dict[str, str]  # lower-cased names
    body: bytes
    query: str = ""


@dataclass
class Reply:
    """What a stand-in answers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), hdrs)


@dataclass(frozen=True)
class Call:
    """A recorded request and the outcome the stand-in chose for it."""

    seq: int
    method: str  # API method ("chat.postMessage") or route name ("Messages.create")
    http_method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    at: datetime  # from the stand-in's clock
    status: int | None  # None when the connection was dropped
    response: Any  # the reply decoded as JSON when possible, else text
    fault: str | None = None
    error: str | None = None  # traceback when the stand-in itself crashed
    query: str = ""  # the raw query string, for rebuilding the URL a signature covers

    @property
    def form(self) -> dict[str, Any]:
        """Only the form-encoded body fields: what Twilio signs besides the URL."""
        return _flatten(parse_qs(self.body.decode(errors="replace"), keep_blank_values=True))

    def summary(self) -> str:
        fault = f" fault={self.fault}" if self.fault else ""
        params = json.dumps(self.params, default=str)
        params = params if len(params) < 300 else params[:300] + "..."
        head = f"#{self.seq} {self.http_method} {self.path} [{self.method}]"
        return f"{head} -> {self.status}{fault} {params}"


@dataclass
class _Fault:
    key: str
    kind: str
    retry_after: int
    remaining: int | None = None  # one-shot faults count down; outages use None
    until: datetime | None = None  # outage end; None means until set_down(False)


def _flatten(parsed: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def key_matches(key: str, method: str, path: str) -> bool:
    """True for ``*``, the method, a method prefix (``Messages``, ``chat``) or a path prefix."""
    if key in ("*", method) or method.startswith(key + "."):
        return True
    return key.startswith("/") and path.startswith(key)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 stalls bursts of concurrent clients for 1 s
    owner: StandinServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def _dispatch(self) -> None:
        self.server.owner._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s: " + format, type(self.server.owner).__name__, *args)


class StandinServer:
    """A threaded HTTP server on 127.0.0.1 that records requests and injects faults.

    Subclasses implement ``handle`` and usually ``classify``, ``authorize`` and ``fault_reply``.
    ``handle`` runs under the stand-in's lock, so state changes need no further locking.
    """

    def __init__(self, *, clock: Clock | None = None, hang_seconds: float = 3.0) -> None:
        self.clock: Clock = clock or utc_now
        self.hang_seconds = hang_seconds
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._seq = 0
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Self:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._stopping.clear()
        self._httpd = httpd
        name = f"{type(self).__name__}:{httpd.server_address[1]}"
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name=name)
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests held by a "timeout" or "drop" fault are released at once."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        crashed = self.errors()
        if exc is None and crashed:
            raise AssertionError(
                f"{type(self).__name__} crashed:\n"
                + "\n".join(f"{c.summary()}\n{c.error}" for c in crashed)
            )

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running; use it as a context manager")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def set_clock(self, clock: Clock) -> None:
        """Swap the clock (for recorded times, outage windows and generated timestamps)."""
        self.clock = clock

    # -- recording -------------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first; ``method`` matches a method name or an exact path."""
        with self._lock:
            return [c for c in self._calls if method is None or method in (c.method, c.path)]

    def clear(self) -> None:
        """Forget recorded calls (state such as posted messages or created SMS is kept)."""
        with self._lock:
            self._calls.clear()

    def errors(self) -> list[Call]:
        """Calls on which the stand-in itself raised: always a bug in the stand-in or the test."""
        with self._lock:
            return [c for c in self._calls if c.error]

    def wait_for(
        self,
        predicate_or_method: str | Callable[[Call], bool],
        timeout: float = 5.0,
        count: int = 1,
    ) -> list[Call]:
        """Block until at least ``count`` matching calls were recorded; return all matches."""
        name = predicate_or_method
        pred: Callable[[Call], bool] = (
            (lambda c: name in (c.method, c.path)) if isinstance(name, str) else name
        )
        with self._changed:
            found: list[Call] = []

            def enough() -> bool:
                found[:] = [c for c in self._calls if pred(c)]
                return len(found) >= count

            if self._changed.wait_for(enough, timeout=timeout):
                return list(found)
            dump = "\n".join(c.summary() for c in self._calls[-30:]) or "(nothing)"
        raise AssertionError(
            f"{type(self).__name__}: expected {count} call(s) matching {predicate_or_method!r} "
            f"within {timeout}s, got {len(found)}. Received:\n{dump}"
        )

    # -- faults ----------------------------------------------------------------------------------
    def inject(self, method_or_path: str, kind: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` matching requests with a fault instead of normally.

        ``kind``: "429" (with Retry-After), "500", "503", "timeout" (handled normally, but the
        reply is held for ``hang_seconds``), "drop" (not handled; held, then the connection is
        closed without a reply), "reset" (handled, then the connection is closed at once
        without a reply: the client cannot tell it from "drop"), or a stand-in specific kind
        (see ``fault_reply``).
        """
        self.validate_kind(kind)
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        with self._lock:
            self._faults.append(_Fault(method_or_path, kind, retry_after, remaining=times))

    def set_down(
        self, down: bool, method: str = "*", kind: str = "503", retry_after: int = 1
    ) -> None:
        """Start an open-ended outage, or end outages (all of them for ``method="*"``)."""
        self.validate_kind(kind)
        with self._lock:
            if down:
                self._faults.append(_Fault(method, kind, retry_after))
            else:
                self._faults = [
                    f
                    for f in self._faults
                    if f.remaining is not None or (method != "*" and f.key != method)
                ]

    def down_until(
        self, until: datetime, method: str = "*", kind: str = "503", retry_after: int = 1
    ) -> None:
        """Fail matching requests while the stand-in's clock is before ``until`` (aware UTC)."""
        if until.tzinfo is None:
            raise ValueError("down_until needs a timezone-aware datetime")
        self.validate_kind(kind)
        with self._lock:
            self._faults.append(_Fault(method, kind, retry_after, until=until))

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def validate_kind(self, kind: str) -> None:
        if kind not in TRANSPORT_FAULTS:
            raise ValueError(
                f"unknown fault kind {kind!r}; expected one of {sorted(TRANSPORT_FAULTS)}"
            )

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        now = self.clock()
        self._faults = [f for f in self._faults if f.until is None or now < f.until]
        for fault in self._faults:  # outages win over one-shot faults
            if fault.remaining is None and key_matches(fault.key, method, path):
                return fault
        for fault in self._faults:
            if fault.remaining is not None and key_matches(fault.key, method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- subclass hooks --------------------------------------------------------------------------
    def classify(self, req: Request) -> str:
        """Name the request for recording and fault matching."""
        return req.path

    def authorize(self, req: Request, method: str) -> Reply | None:
        """Return a reply to reject the request, or None to accept it."""
        return None

    def handle(self, req: Request, method: str) -> Reply:
        raise NotImplementedError

    def fault_reply(self, kind: str, retry_after: int, req: Request, method: str) -> Reply:
        headers = {"Retry-After": str(retry_after)} if kind == "429" else {}
        return Reply.json(int(kind), {"error": kind}, headers)

    # -- serving ---------------------------------------------------------------------------------
    def _read(self, handler: _Handler) -> Request:
        split = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        body = handler.rfile.read(int(headers.get("content-length") or 0))
        params = _flatten(parse_qs(split.query, keep_blank_values=True))
        ctype = headers.get("content-type", "")
        if "json" in ctype and body:
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                params.update(decoded)
        elif body:
            params.update(_flatten(parse_qs(body.decode(), keep_blank_values=True)))
        return Request(handler.command, split.path, params, headers, body, split.query)

    def _serve(self, handler: _Handler) -> None:
        req = self._read(handler)
        error: str | None = None
        with self._changed:
            method = self.classify(req)
            reply = self.authorize(req, method)
            fault = None if reply is not None else self._take_fault(method, req.path)
            kind = fault.kind if fault else None
            if fault and kind not in ("timeout", "drop", "reset"):
                reply = self.fault_reply(fault.kind, fault.retry_after, req, method)
            elif reply is None and kind != "drop":
                try:
                    reply = self.handle(req, method)
                except Exception:
                    logger.exception(
                        "%s failed on %s %s", type(self).__name__, req.http_method, req.path
                    )
                    error = traceback.format_exc()
                    reply = Reply(500, error.encode(), {"Content-Type": "text/plain"})
            self._seq += 1
            status, response = (reply.status, _decode(reply.body)) if reply else (None, None)
            call = Call(
                seq=self._seq,
                method=method,
                http_method=req.http_method,
                path=req.path,
                params=req.params,
                headers=req.headers,
                body=req.body,
                at=self.clock(),
                status=status,
                response=response,
                fault=kind,
                error=error,
                query=req.query,
            )
            self._calls.append(call)
            self._changed.notify_all()
        if kind in ("timeout", "drop"):
            self._stopping.wait(self.hang_seconds)
        if reply is None or kind == "reset":
            handler.close_connection = True
            return
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client went away before the reply to %s", req.path)


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")

"""The web process's HTTP edge against an internet attacker with raw HTTP: bodies far larger
than anything Slack, Twilio or Alertmanager sends are refused with 413 before anyone reads
them, and the server keeps answering everyone else."""

from __future__ import annotations

import socket
import time
import tracemalloc
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import Desk
from tests.edge.helpers import post_twilio

FIFTY_MB = 50 * 1024 * 1024


def _connect(url: str, timeout: float = 5.0) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def _answer(sock: socket.socket) -> bytes:
    """What the server sent until it closed the connection or went quiet."""
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except TimeoutError:
        pass
    return out


@pytest.mark.parametrize("path", ["/slack/events", "/twilio/sms", "/alerts/prometheus"])
def test_a_declared_fifty_megabyte_body_is_413_before_it_is_sent(desk: Desk, path: str) -> None:
    """The server answers from the headers alone: it neither waits for 50 MB nor spools them."""
    with _connect(desk.url) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {FIFTY_MB}\r\n\r\n".encode()
        )
        started = time.monotonic()
        answer = _answer(sock)

    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert time.monotonic() - started < 3


def test_an_unsigned_fifty_megabytes_to_slack_events_is_not_read_into_memory(desk: Desk) -> None:
    """Chunked, so nothing declares the size: it is refused once it is too large, not held
    whole in memory to compute a signature it will not match."""
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    tracemalloc.start()
    try:
        with _connect(desk.url, timeout=10) as sock:
            sock.sendall(
                b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"X-Slack-Request-Timestamp: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            try:
                for _ in range(FIFTY_MB // 65536):
                    sock.sendall(chunk)
                sock.sendall(b"0\r\n\r\n")
                answer = _answer(sock)
            except OSError:  # refused and closed while we were still sending: as it should
                answer = b""
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert answer == b"" or answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert peak < 20 * 1024 * 1024, f"{peak // 1024} KiB held for an unsigned request"


def test_an_oversized_twilio_form_is_413_unparsed_and_the_largest_real_one_is_read(
    desk: Desk,
) -> None:
    """Twilio's webhooks are a few kilobytes: a megabyte of fields is refused before the form
    is parsed for its signature check. The limit leaves room for the largest real SMS: 1,600
    characters of four UTF-8 bytes each, percent-encoded, with ten media URLs."""
    body = "&".join(f"f{i}=v" for i in range(100_000)).encode()  # about 1 MB, 100,000 fields
    largest = {
        "MessageSid": "SM" + "0" * 32,
        "From": "+15005550001",
        "To": "+15005550006",
        "Body": "\N{PILE OF POO}" * 1600,
        **{f"MediaUrl{i}": "https://api.twilio.com/" + "m" * 200 for i in range(10)},
    }

    oversized = requests.post(
        desk.url + "/twilio/sms",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
        timeout=30,
    )
    real = post_twilio(requests.Session(), desk.url, "/twilio/sms", largest)

    assert oversized.status_code == 413
    assert real.status_code == 200, real.text[:300]

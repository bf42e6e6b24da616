"""Secrets and what the service says about itself (attack round).

Each secret is set to a recognisable canary and every path that prints or logs it is driven:
``supportbot check`` and a start with a malformed URL that holds a password, the twilio
client's own request log, and ``/healthz`` asked from another host.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportbot.clients.pager import Callbacks, TwilioSender
from supportbot.db.migrate import upgrade
from supportbot.logs import configure_logging
from supportbot.runtime import build_runtime
from supportbot.settings import Settings
from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, make_settings
from tests.standins import SlackStandin
from tests.standins.twilio_api import TwilioStandin
from tests.test_operator_errors import Supportbot

CANARY = "CANARYpw7x"


@pytest.fixture
def supportbot(tmp_path: Path) -> Supportbot:
    return Supportbot(tmp_path)


# A generated password often holds "/", "#", "?" or "@"; written into the URL without
# percent-encoding, the URL no longer parses as its author meant.
@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{CANARY}/q9@127.0.0.1:6379/0",
        f"redis://:{CANARY}#q9@127.0.0.1:6379/0",
        f"redis://:{CANARY}?q9@127.0.0.1:6379/0",
        f"redis://ops:{CANARY}/q9@127.0.0.1:6379/0",
    ],
)
def test_a_redis_url_that_does_not_parse_is_refused_without_its_password(
    supportbot: Supportbot, url: str
) -> None:
    checked, worker = supportbot.all([(("check", "--offline"), {"REDIS_URL": url}),
                                      (("worker",), {"REDIS_URL": url})])  # fmt: skip

    assert checked.code == 1 and worker.code == 1
    for done in (checked, worker):
        assert "REDIS_URL is not a Redis URL" in done.out + done.err
        assert CANARY not in done.out + done.err


def _capture() -> tuple[io.StringIO, logging.Handler]:
    """A handler on the root logger writing to a buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    return out, handler


@pytest.fixture
def twilio() -> Iterator[TwilioStandin]:
    with TwilioStandin() as standin:
        yield standin


def test_a_page_through_twilio_logs_no_account_sid_nor_number_at_info(
    twilio: TwilioStandin,
) -> None:
    """The twilio library writes every request at INFO (eleven lines: the URL with the
    account SID, and the paged person's number in a look for an earlier attempt's SMS)."""
    settings = Settings(
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_URL=twilio.url,
        SUPPORTBOT_LOG_LEVEL="INFO",
    )
    root = logging.getLogger()
    level = root.level
    configure_logging(settings)
    root.setLevel(logging.INFO)  # basicConfig leaves it alone while pytest's handlers are on
    out, handler = _capture()
    try:
        sender = TwilioSender(settings)
        sender.send_sms("+353855550201", "INC-7 sev1 checkout down", Callbacks(None))
        since = datetime.now(UTC) - timedelta(minutes=5)
        assert sender.find_earlier("sms", "+353855550201", since, None, ["INC-7"], set())
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    logged = out.getvalue()
    assert twilio.account_sid not in logged, logged
    assert "353855550201" not in logged, logged


PHONE_TYPO = """\
people:
  una: {name: Una Ruane, slack: U0SMALL001, phone: "00353 85 555 0201"}
  uli: {name: Uli Berg,  slack: U0SMALL002, phone: "+353 85 555 0202"}
regions:
  - name: Solo
    time_zone: Europe/Dublin
    shift: {start: "08:00", end: "20:00"}
    rosters:
      L1: {rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [una, uli]}
management: [una]
"""


def test_healthz_from_another_host_shows_states_not_numbers_or_paths(
    tmp_path: Path, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    """/healthz is open to anyone (a load balancer's check): a typo in a rotation file must
    not show a stranger the on-call person's number and where the files live on disk."""
    folder = tmp_path / "rotations"
    folder.mkdir()
    (folder / "team.yaml").write_text(PHONE_TYPO)
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, rotations_dir=folder
    )
    rt = build_runtime(settings)
    upgrade(rt.engine)
    try:
        app = build_flask_app(rt, build_bolt_app(rt, SIGNING_SECRET))
        afar = app.test_client().get("/healthz", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        here = app.test_client().get("/healthz", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    finally:
        rt.engine.dispose()

    # The stranger still learns what a health check needs: 503, and which part is down.
    assert afar.status_code == 503
    body = afar.get_json()
    assert body["status"] == "unavailable" and "rotations" in body["down"]
    assert body["rotations"] == "down"
    text = afar.get_data(as_text=True)
    assert "85 555 0201" not in text and str(tmp_path) not in text
    # This host (an operator's curl) keeps the details.
    assert here.status_code == 503 and "85 555 0201" in here.get_data(as_text=True)

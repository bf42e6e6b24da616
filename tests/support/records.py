"""Reading the database and the Slack stand-in the way a scenario test asserts on them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, select

from supportbot.db.models import Base, InboundReceipt, Incident, TimelineEvent
from supportbot.runtime import Runtime
from tests.standins import SlackStandin, block_text

if TYPE_CHECKING:
    from tests.conftest import Desk

ACME_CHANNEL = "C0ACMESHARED"
ACME_ALICE = "U0ACMEALICE"
ACME_BOB = "U0ACMEBOB"
ACME_TEAM = "T0ACMEORG01"
GLOBEX_CHANNEL = "C0GLOBEX"
GLOBEX_HANS = "U0GLOBEXHANS"


def incidents(rt: Runtime) -> list[Incident]:
    with rt.session() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def incident(rt: Runtime, number: int) -> Incident:
    with rt.session() as session:
        found = session.get(Incident, number)
        assert found is not None, f"INC-{number} does not exist"
        return found


def timeline(rt: Runtime, number: int) -> list[TimelineEvent]:
    with rt.session() as session:
        return list(
            session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.incident_id == number)
                .order_by(TimelineEvent.id)
            )
        )


def dump(rt: Runtime, *, receipts: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for "the database is unchanged" assertions.

    ``receipts=False`` leaves out the delivery receipts, which a refusal may record so that a
    retried delivery is not answered twice.
    """
    out: dict[str, list[tuple[Any, ...]]] = {}
    with rt.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue  # a model whose migration is not written yet
            if table.name == InboundReceipt.__tablename__ and not receipts:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(row) for row in rows]
    return out


def thread(api: SlackStandin, channel: str, thread_ts: str) -> list[str]:
    """Texts posted into one thread (not the parent), oldest first."""
    return [
        m["text"]
        for m in api.messages(channel=channel, thread_ts=thread_ts)
        if m["method"] == "chat.postMessage"
    ]


def posts(api: SlackStandin, channel: str) -> list[dict[str, Any]]:
    return [m for m in api.messages(channel=channel) if m["method"] == "chat.postMessage"]


def everything_sent_to(api: SlackStandin, channel: str) -> str:
    """All text that ever reached ``channel``: posts, updates, ephemerals, in every thread."""
    texts = []
    for call in api.calls():
        if call.params.get("channel") == channel and call.method.startswith("chat."):
            texts.append(block_text(call.params.get("text") or ""))
            texts.append(block_text(call.params.get("blocks") or []))
    return "\n".join(texts)


def ephemerals(api: SlackStandin) -> list[str]:
    """Texts answered through response URLs and chat.postEphemeral."""
    texts = [str(r.get("text", "")) for r in api.responses()]
    texts += [str(c.params.get("text", "")) for c in api.calls("chat.postEphemeral")]
    return texts


def answer(response: Any) -> str:
    """What Slack shows the user for an acked command: a JSON message or a plain-text body."""
    assert response.status_code == 200, (response.status_code, response.text)
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json().get("text", ""))
    return str(response.text)


def say(desk: Desk, text: str, **kwargs: str) -> str:
    """What the user is shown for ``/incident <text>`` (``command=``, ``channel=``, … as the
    simulator takes them)."""
    return answer(desk.slack.command(text, **kwargs))


def effects(api: SlackStandin) -> list[str]:
    """Methods the bot called that change something (Bolt's own auth.test left out)."""
    return [c.method for c in api.calls() if c.method != "auth.test"]

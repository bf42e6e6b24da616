"""The customer's answer: a rating once, then a comment once, from the customer's side only.

Staff cannot rate their own work, and nobody rates another organisation's request: the
actor must be on the customer's side (a designated contact or a member of the shared
channel's organisation) of the survey's own customer. "Once" is a compare-and-set on the
row (``db.claims``), so two presses at the same moment store one rating.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from supportbot.csat.blocks import COMMENT_MAX, answered, comment_form
from supportbot.db.claims import claim
from supportbot.db.models import Incident
from supportbot.db.reporting import CsatSurvey
from supportbot.db.types import row_id
from supportbot.delivery import effects, job_ids
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import SLACK_CALL
from supportbot.incidents.access import Actor
from supportbot.incidents.find import IncidentError
from supportbot.incidents.timeline import add_event
from supportbot.runtime import Runtime
from supportbot.wording import inert, mention

CUSTOMER_ONLY = "Only the customer can rate this request; thank you."
UNREADABLE = "This rating could not be read; please press one of the buttons again."


def _survey(session: Session, who: Actor, text: str) -> CsatSurvey:
    number = row_id(text)
    if number is None:
        raise IncidentError(UNREADABLE)
    survey = session.get(CsatSurvey, number)
    # A survey that does not exist is answered as another organisation's is: the answer to
    # a forged id must not tell which surveys exist.
    if survey is None or who.is_staff or who.customer != survey.customer:
        raise IncidentError(CUSTOMER_ONLY)
    return survey


def _show(session: Session, survey: CsatSurvey, key: str, *, commented: bool) -> None:
    """Replace the question with the answer, after commit (a Slack call the worker makes)."""
    if not survey.channel or not survey.message_ts or survey.score is None:
        return
    assert survey.rated_by is not None
    text, blocks = answered(survey.id, key, survey.score, survey.rated_by, commented=commented)
    args = {"channel": survey.channel, "ts": survey.message_ts, "text": text, "blocks": blocks}
    step = "commented" if commented else "rated"
    effects.owe(session, SLACK_CALL, "chat.update", args,
                job_id=job_ids.slack_call(f"csat-{survey.id}-{step}"))  # fmt: skip


def rate(rt: Runtime, who: Actor, value: str) -> int:
    """Store a rating (``value`` is ``<survey>:<score>``); returns the score."""
    survey_text, _, score_text = value.partition(":")
    if score_text not in ("1", "2", "3", "4", "5"):
        raise IncidentError(UNREADABLE)
    score = int(score_text)
    with rt.session() as session:
        survey = _survey(session, who, survey_text)
        won = claim(session, CsatSurvey, survey.id, None, field="score", score=score,
                    rated_by=who.user_id, rated_at=rt.now())  # fmt: skip
        if not won:
            raise IncidentError("This request was already rated; thank you.")
        session.refresh(survey)
        incident = session.get(Incident, survey.incident_id)
        assert incident is not None
        add_event(session, rt, incident, who.user_id, "csat",
                  f"{mention(who.user_id)} rated this {score}/5")  # fmt: skip
        owe_sync(session, incident.id)
        _show(session, survey, incident.key, commented=False)
    return score


def comment_view(rt: Runtime, who: Actor, value: str) -> dict[str, Any]:
    """The comment form, for the person who rated, while no comment is stored."""
    with rt.session() as session:
        survey = _survey(session, who, value)
        _may_comment(survey, who)
        incident = session.get(Incident, survey.incident_id)
        assert incident is not None and survey.channel is not None
        return comment_form(survey.id, survey.channel, incident.key)


def _may_comment(survey: CsatSurvey, who: Actor) -> None:
    if survey.rated_by != who.user_id:
        raise IncidentError("The comment belongs to whoever gave the rating; thank you.")
    if survey.comment is not None:
        raise IncidentError("A comment was already sent; thank you.")


def comment(rt: Runtime, who: Actor, survey_text: str, text: str) -> None:
    body = text.strip()
    if not body:
        raise IncidentError("Write a comment, or close the form.")
    if len(body) > COMMENT_MAX:
        raise IncidentError(f"Keep the comment under {COMMENT_MAX} characters.")
    with rt.session() as session:
        survey = _survey(session, who, survey_text)
        _may_comment(survey, who)
        won = claim(session, CsatSurvey, survey.id, None, field="commented_at",
                    commented_at=rt.now(), comment=body)  # fmt: skip
        if not won:
            raise IncidentError("A comment was already sent; thank you.")
        session.refresh(survey)
        incident = session.get(Incident, survey.incident_id)
        assert incident is not None
        add_event(session, rt, incident, who.user_id, "csat_comment",
                  f"{mention(who.user_id)} commented on the rating: {inert(body)}")  # fmt: skip
        owe_sync(session, incident.id)
        _show(session, survey, incident.key, commented=True)

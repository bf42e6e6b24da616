"""Who the staff are, as Slack knows them: members of the app's own workspace.

The home team is the team id that ``auth.test`` returns for the bot's token, learnt at
start-up; nobody is staff until it is known (fail closed). ``SUPPORTBOT_STAFF_USERGROUP``
narrows staff to the members of one Slack user group (``usergroups.users.list``), kept in
memory and refreshed in the background, so a listener never waits on Slack to answer.
The decision itself, with the contracts' staff list and designated contacts, is made in
:func:`supportbot.incidents.access.identify`.
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

REFRESH_SECONDS = 300.0
RETRY_SECONDS = 30.0


class StaffDirectory:
    def __init__(
        self,
        slack: WebClient | None,
        *,
        usergroup: str | None,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        """``slack`` None: a directory of known facts (:meth:`known`) that never asks Slack."""
        self.slack, self.usergroup, self.refresh_seconds = slack, usergroup, refresh_seconds
        self.home_team: str | None = None
        self.group_members: frozenset[str] = frozenset()
        self.error: str | None = None
        self.auth_error: str | None = None  # the last auth.test's failure: Slack unreachable
        self._next_refresh: float | None = None  # monotonic; None: never loaded
        self._lock = threading.Lock()
        self._refreshing = False

    @classmethod
    def known(
        cls, home_team: str, *, usergroup: str | None = None, members: frozenset[str] = frozenset()
    ) -> StaffDirectory:
        directory = cls(None, usergroup=usergroup)
        directory.home_team, directory.group_members = home_team, members
        return directory

    def load(self) -> None:
        """Ask Slack now (start-up, then in the background). A failure is logged and kept
        for ``/healthz``, never raised: what was known stays (nobody is staff before the
        first success) and it is tried again in :data:`RETRY_SECONDS`."""
        if self.slack is None:
            return
        try:
            try:
                team = self.slack.auth_test().get("team_id")
            except (SlackApiError, SlackClientError, OSError) as exc:
                self.auth_error = _short(exc)
                raise
            self.auth_error = None
            members: frozenset[str] = frozenset()
            if self.usergroup:
                found = self.slack.usergroups_users_list(usergroup=self.usergroup)
                members = frozenset(str(u) for u in found.get("users") or ())
        except (SlackApiError, SlackClientError, OSError) as exc:
            with self._lock:
                self.error = f"{type(exc).__name__}: {exc}"
                self._next_refresh = time.monotonic() + RETRY_SECONDS
            log.error("could not learn who the staff are from Slack: %s", self.error)
            return
        with self._lock:
            self.home_team = str(team) if team else None
            self.group_members = members
            self.error = None if team else "auth.test returned no team id"
            self._next_refresh = time.monotonic() + self.refresh_seconds
        log.info(
            "staff: members of team %s%s", self.home_team,
            f" in user group {self.usergroup} ({len(members)})" if self.usergroup else "",
        )  # fmt: skip

    def _refresh_if_due(self) -> None:
        if self.slack is None:
            return
        with self._lock:
            due = self._next_refresh is None or time.monotonic() >= self._next_refresh
            if not due or self._refreshing:
                return
            self._refreshing = True

        def refresh() -> None:
            try:
                self.load()
            finally:
                self._refreshing = False

        threading.Thread(target=refresh, name="staff-refresh", daemon=True).start()

    def is_home_member(self, user_team: str | None) -> bool:
        self._refresh_if_due()
        return bool(user_team) and self.home_team is not None and user_team == self.home_team

    def in_usergroup(self, user_id: str) -> bool | None:
        """Membership of the staff user group; None when no group narrows staff."""
        if not self.usergroup:
            return None
        return user_id in self.group_members

    def reachable(self) -> str:
        """Whether Slack answered the last ``auth.test`` (the cached answer; Slack is not
        asked here, though a refresh that is due starts in the background)."""
        self._refresh_if_due()
        if self.slack is None:
            return "ok"
        if self.auth_error is not None:
            return f"unreachable: auth.test failed: {self.auth_error}"
        return "ok" if self._next_refresh is not None else "not checked yet"

    def status(self) -> str:
        if self.home_team is None:
            return f"down: home team unknown ({self.error or 'not loaded yet'})"
        if self.error:
            return f"stale: {self.error}"
        return "ok"


def _short(exc: Exception) -> str:
    """One line for ``/healthz``: Slack's error code, or the transport error."""
    if isinstance(exc, SlackApiError):
        return f"{type(exc).__name__}: {exc.response.get('error', exc.response.status_code)}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")

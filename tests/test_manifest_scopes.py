"""The Slack app manifest asks for exactly the bot scopes the code uses: none missing (a call
would fail with ``missing_scope``), none unused (a workspace admin is asked for no more than
the bot needs).

The Web API methods are read from the source with ``ast``: string arguments that name a method
(``api_call("chat.postMessage")``, ``_call(client, "chat.update")``, ``post_later(rt,
"chat.postEphemeral")``), calls of WebClient's convenience methods (``client.views_open(…)``),
and Bolt's ``say(…)``. Each method maps to its scopes in :data:`SCOPES`; the manifest's
features (slash commands, shortcuts, bot events) add theirs.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator
from pathlib import Path

import slack_sdk.web.client
import yaml

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "slack-app-manifest.yaml"
CODE = [REPO / "src" / "supportbot", REPO / "handlers"]

# Bot scopes each Web API method needs, for the conversations this code uses it on
# (api.slack.com/methods). A method the code starts to call must be added here.
SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "apps.connections.open": frozenset(),  # an app-level token's connections:write, not a bot's
    "chat.postMessage": frozenset({"chat:write"}),  # the bot is a member of every channel
    "chat.update": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    "views.open": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
    "views.publish": frozenset(),
    # One-person DMs only (a group DM would need mpim:write).
    "conversations.open": frozenset({"im:write"}),
    # Threads in the triage and customer channels, public or private.
    "conversations.replies": frozenset({"channels:history", "groups:history"}),
    # A notification's channel or the bot's DM with a person (inflight.py).
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    # The triage and on-call channels (supportbot check), public or private.
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "conversations.members": frozenset({"channels:read", "groups:read"}),
    "users.info": frozenset({"users:read"}),
    "users.lookupByEmail": frozenset({"users:read", "users:read.email"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    # The rota's groups (@oncall, @oncall-l1, @oncall-emea-l2) follow who is on call.
    "usergroups.list": frozenset({"usergroups:read"}),
    "usergroups.create": frozenset({"usergroups:write"}),
    "usergroups.users.update": frozenset({"usergroups:write"}),
    # Sign in with Slack: the client secret, then the signed-in user's own token (its user
    # scopes, openid and profile, are in the manifest's user scopes); no bot scope.
    "openid.connect.token": frozenset(),
    "openid.connect.userInfo": frozenset(),
    "reactions.add": frozenset({"reactions:write"}),
}

# Scopes the manifest's features need, whatever the code calls.
FEATURE_SCOPES = {
    "slash_commands": frozenset({"commands"}),
    "shortcuts": frozenset({"commands"}),
}
EVENT_SCOPES = {
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "message.im": frozenset({"im:history"}),
    "message.mpim": frozenset({"mpim:history"}),
    "app_mention": frozenset({"app_mentions:read"}),
}


def webclient_methods() -> dict[str, str]:
    """WebClient's convenience methods and the Web API method each calls
    (``chat_postMessage`` → ``chat.postMessage``), read from slack_sdk's own source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(slack_sdk.web.client)))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "api_call"
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                ):
                    found[node.name] = str(call.args[0].value)
                    break
    return found


CONVENIENCE = webclient_methods()
API_METHODS = frozenset(CONVENIENCE.values())


def calls_in(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, Web API method) for every Slack call this source makes."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CONVENIENCE:
            yield node.lineno, CONVENIENCE[func.attr]
        if isinstance(func, ast.Name) and func.id == "say":  # Bolt's say() posts a message
            yield node.lineno, "chat.postMessage"
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Constant) and arg.value in API_METHODS:
                yield node.lineno, str(arg.value)


def used_methods() -> dict[str, list[str]]:
    """Web API method → where the code calls it."""
    used: dict[str, list[str]] = {}
    for root in CODE:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, method in calls_in(tree):
                used.setdefault(method, []).append(f"{path.relative_to(REPO)}:{line}")
    return used


def manifest_scopes() -> frozenset[str]:
    manifest = yaml.safe_load(MANIFEST.read_text())
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


def needed_scopes() -> dict[str, list[str]]:
    """Scope → why it is needed (the calls, or the manifest feature)."""
    manifest = yaml.safe_load(MANIFEST.read_text())
    why: dict[str, list[str]] = {}
    for method, places in used_methods().items():
        assert method in SCOPES, (
            f"the code calls {method} ({', '.join(places)}); add its scopes to SCOPES in "
            f"{Path(__file__).name} (see api.slack.com/methods/{method})"
        )
        for scope in SCOPES[method]:
            why.setdefault(scope, []).append(f"{method} ({places[0]})")
    features = manifest.get("features") or {}
    for feature, scopes in FEATURE_SCOPES.items():
        if features.get(feature):
            for scope in scopes:
                why.setdefault(scope, []).append(f"features.{feature}")
    events = ((manifest.get("settings") or {}).get("event_subscriptions") or {}).get(
        "bot_events"
    ) or []
    for event in events:
        assert event in EVENT_SCOPES, f"bot event {event}: add its scope to EVENT_SCOPES"
        for scope in EVENT_SCOPES[event]:
            why.setdefault(scope, []).append(f"bot event {event}")
    return why


def test_the_collector_sees_every_kind_of_call() -> None:
    source = textwrap.dedent(
        """
        client.api_call("chat.update", json={})
        _call(rt.slack, "chat.postMessage", channel=c)
        post_later(rt, method="chat.postEphemeral")
        client.views_open(trigger_id=t, view=v)
        self.slack.usergroups_users_list(usergroup=g)
        say("hello")
        if method == "users.info":  # a comparison is not a call
            log.info("conversations.open is %s", "not a call of it either")
        """
    )
    assert sorted(method for _, method in calls_in(ast.parse(source))) == [
        "chat.postEphemeral",
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
        "usergroups.users.list",
        "views.open",
    ]
    assert CONVENIENCE["chat_postMessage"] == "chat.postMessage"
    assert CONVENIENCE["conversations_info"] == "conversations.info"
    assert CONVENIENCE["auth_test"] == "auth.test"


def test_the_code_calls_what_it_is_known_to_call() -> None:
    used = used_methods()
    # The staff directory, the card sync, the in-flight look-up and `supportbot check`.
    for method in (
        "auth.test",
        "usergroups.users.list",
        "chat.postMessage",
        "chat.update",
        "conversations.replies",
        "conversations.history",
        "conversations.open",
        "conversations.info",
        "apps.connections.open",
        "views.open",
    ):
        assert method in used, f"{method} is no longer found in the code: {sorted(used)}"


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses() -> None:
    why = needed_scopes()
    asked = manifest_scopes()
    missing = {scope: why[scope] for scope in sorted(set(why) - asked)}
    unused = sorted(asked - set(why))
    assert not missing, "scopes the code needs but slack-app-manifest.yaml lacks:\n" + "\n".join(
        f"  {scope}: {', '.join(reasons)}" for scope, reasons in missing.items()
    )
    assert not unused, (
        f"scopes slack-app-manifest.yaml asks for but nothing uses: {unused}; remove them, "
        "or add the call that needs them to SCOPES"
    )

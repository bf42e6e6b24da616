"""Block Kit as plain dicts, for what every Slack sync draws (cards, their sections, and the
direct messages it sends).

Each helper returns exactly what the slack_sdk model of the same name serialises to: the same
keys in the same order (sorted, except where slack_sdk orders them itself: options, confirm
dialogs), with a field that is None or empty left out, so the JSON sent to Slack is byte for
byte what the models made. Building a tree of models and validating it on ``to_dict()`` cost
about a quarter of a card's CPU in the worker (docs/benchmarks.md, issue 9 P1). Modals and
one-off messages keep slack_sdk's models; ``tests/cards`` compares the cards drawn here with
the models they replaced.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]


def _kept(**fields: Any) -> Block:
    """The fields in the order given, less those slack_sdk leaves out (None, or empty)."""
    return {
        key: value
        for key, value in fields.items()
        if value is not None and (value or not isinstance(value, str | list | dict))
    }


def mrkdwn(text: str) -> Block:
    return _kept(text=text, type="mrkdwn")


def plain(text: str, *, emoji: bool | None = True) -> Block:
    """Plain text; slack_sdk sets ``emoji`` on text given as a string, not on a header's."""
    return _kept(emoji=emoji, text=text, type="plain_text")


def header(text: str) -> Block:
    return {"text": plain(text, emoji=None), "type": "header"}


def section(
    text: str | None = None, *, fields: list[str] | None = None, accessory: Block | None = None
) -> Block:
    """A section of mrkdwn ``text`` and/or mrkdwn ``fields``."""
    return _kept(
        accessory=accessory,
        fields=[mrkdwn(f) for f in fields] if fields is not None else None,
        text=mrkdwn(text) if text is not None else None,
        type="section",
    )


def context(lines: list[str]) -> Block:
    """A context block of one mrkdwn element per line."""
    return _kept(elements=[mrkdwn(line) for line in lines], type="context")


def actions(elements: list[Block], *, block_id: str | None = None) -> Block:
    return _kept(block_id=block_id, elements=elements, type="actions")


def button(
    text: str,
    *,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    return _kept(
        action_id=action_id,
        confirm=confirm,
        style=style,
        text=plain(text) if text else None,
        type="button",
        value=value,
    )


def confirm(*, title: str, text: str, confirm: str, deny: str) -> Block:
    """A confirmation dialog (slack_sdk orders its fields as the dialog reads)."""
    return {
        "title": plain(title),
        "text": mrkdwn(text),
        "confirm": plain(confirm),
        "deny": plain(deny),
    }


def option(value: str, text: str, description: str | None = None) -> Block:
    found = {"text": plain(text), "value": value}
    if description is not None:  # slack_sdk keeps an empty one
        found["description"] = plain(description)
    return found


def option_group(label: str, options: list[Block]) -> Block:
    return {"label": plain(label), "options": options}


def static_select(
    placeholder: str,
    *,
    action_id: str,
    options: list[Block] | None = None,
    option_groups: list[Block] | None = None,
) -> Block:
    return _kept(
        action_id=action_id,
        option_groups=option_groups,
        options=options,
        placeholder=plain(placeholder),
        type="static_select",
    )

"""The CSAT question, its answered form and the comment form, as Block Kit. Pure."""

from __future__ import annotations

import json
from typing import Any

from supportbot.wording import inert

ACTION_RATE_PREFIX = "csat_rate_"  # csat_rate_1 … csat_rate_5; value "<survey>:<score>"
ACTION_RATE_PATTERN = r"^csat_rate_[1-5]$"
ACTION_COMMENT = "csat_comment"  # value "<survey>"
CALLBACK_COMMENT = "csat_comment"
COMMENT_MAX = 1000
LABELS = {1: "1 · poor", 2: "2", 3: "3", 4: "4", 5: "5 · great"}


def question(survey_id: int, key: str, title: str) -> tuple[str, list[dict[str, Any]]]:
    text = f"{key} is resolved. How did we do? Rate us from 1 to 5."
    buttons = [
        {
            "type": "button",
            "action_id": f"{ACTION_RATE_PREFIX}{score}",
            "text": {"type": "plain_text", "text": LABELS[score]},
            "value": f"{survey_id}:{score}",
        }
        for score in (1, 2, 3, 4, 5)
    ]
    return text, [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{key}* ({inert(title)}) is resolved. "
                "How did we do? Rate us from 1 (poor) to 5 (great).",
            },
        },  # fmt: skip
        {"type": "actions", "block_id": f"csat-{survey_id}", "elements": buttons},
    ]


def answered(
    survey_id: int, key: str, score: int, by: str, *, commented: bool
) -> tuple[str, list[dict[str, Any]]]:
    text = f"Thank you: <@{by}> rated {key} {score}/5."
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if commented:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Comment received."}]}
        )
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"csat-comment-{survey_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_COMMENT,
                        "text": {"type": "plain_text", "text": "Add a comment"},
                        "value": str(survey_id),
                    }
                ],
            }
        )
    return text, blocks


def comment_form(survey_id: int, channel: str, key: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CALLBACK_COMMENT,
        # ``channel`` tells the edge which customer's channel this answer belongs to.
        "private_metadata": json.dumps({"channel": channel, "survey": str(survey_id)}),
        "title": {"type": "plain_text", "text": "Your comment"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "comment",
                "label": {"type": "plain_text", "text": f"Anything to tell us about {key}?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": COMMENT_MAX,
                },
            }
        ],
    }

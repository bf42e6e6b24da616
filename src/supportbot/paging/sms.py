"""What an SMS costs: its segments, as Twilio bills and carriers deliver them. Pure.

A message in the GSM 03.38 alphabet carries 160 characters in one segment (153 each when
split); one character outside it (an emoji, a curly quote, most accents) sends the whole
message as UCS-2: 70 characters in one segment, 67 each when split.
"""

from __future__ import annotations

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")  # two septets each (escape, character)

# A page SMS (several pages bundled included) stays within this many segments: a storm of
# incidents bundled into one text would cost dozens, and past 1,600 characters Twilio refuses
# it outright (error 21617), failing every page it carries.
MAX_SEGMENTS = 5


def segments(text: str) -> int:
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units, single, split = sum(2 if c in _GSM_EXTENDED else 1 for c in text), 160, 153
    else:
        units, single, split = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // split)

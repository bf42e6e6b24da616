"""How many decimals an amount has in its currency: ISO 4217's minor unit (its exponent).

Most currencies count cents (2). A few have no minor unit in use (the yen: 1,500 JPY, never
1,500.00) and a few count thousandths (the Kuwaiti dinar: 12.345 KWD). Amounts are rounded
to their currency's unit, half up, and shown with exactly its number of decimals. Pure.

Which codes are currencies at all is ISO 4217's current list as pycountry keeps it: a typo
(``UDS``) or a withdrawn code (``HRK``, replaced by the euro in 2023) in a contract would
otherwise bill as if it were a two-decimal currency.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry

# ISO 4217 currencies whose minor unit is not 2 (the active codes; funds and metals aside).
ZERO_DECIMALS = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())

_CODE = re.compile(r"[A-Z]{3}")
# On ISO 4217's list, but no money to bill in: "testing" and "no currency involved".
_NOT_MONEY = frozenset({"XTS", "XXX"})


def not_a_currency(code: str) -> str | None:
    """Why ``code`` names no currency a contract can bill in, or None: ``USD`` and ``JPY``
    are currencies; ``usd``, ``UDS``, ``HRK`` (withdrawn) and ``XXX`` are not."""
    if not _CODE.fullmatch(code):
        return f"currency {code!r} is not an ISO 4217 code such as USD or EUR"
    if code in _NOT_MONEY or pycountry.currencies.get(alpha_3=code) is None:
        return f"currency {code!r} is not a current ISO 4217 currency (such as USD, EUR or JPY)"
    return None


def decimals(currency: str | None) -> int:
    """The currency's number of decimals: 0 for JPY, 3 for KWD, else 2 (also when unknown)."""
    code = (currency or "").upper()
    if code in ZERO_DECIMALS:
        return 0
    return 3 if code in THREE_DECIMALS else 2


def unit(currency: str | None) -> Decimal:
    """The smallest amount: 1 JPY, 0.01 USD, 0.001 KWD."""
    return Decimal(1).scaleb(-decimals(currency))


def rounded(value: Decimal, currency: str | None) -> Decimal:
    """To the currency's unit, half up: 1,234.5 JPY → 1,235; 12.3455 KWD → 12.346."""
    return value.quantize(unit(currency), rounding=ROUND_HALF_UP)


def finer_than_unit(value: Decimal, currency: str) -> str | None:
    """Why ``value`` is no amount of ``currency``, or None: 12.345 is a KWD amount and not a
    USD one, 1500.5 is no JPY amount; 5000.00 JPY is 5000 (trailing zeros are no fraction).
    For contract files, which are refused rather than rounded on every charge."""
    try:
        whole = value == rounded(value, currency)
    except InvalidOperation:  # more digits than Decimal's context holds
        return f"{value} {currency} is too large an amount"
    if whole:
        return None
    places = decimals(currency)
    unit = "a whole number" if places == 0 else f"at most {places} decimals"
    return f"{value} {currency} is not an amount of {currency}: write {unit}"


def amount_text(value: Decimal, currency: str | None, *, grouped: bool = False) -> str:
    """The amount with its currency's decimals (and thousands separators if ``grouped``),
    without the code: ``1500`` JPY, ``76.92`` USD, ``12.346`` KWD."""
    places = decimals(currency)
    found = rounded(value, currency)
    return f"{found:,.{places}f}" if grouped else f"{found:.{places}f}"


def money_text(value: Decimal, currency: str | None, *, grouped: bool = False) -> str:
    """The amount and its code, as the customer reads it: ``1,500 JPY``, ``76.92 USD``."""
    return f"{amount_text(value, currency, grouped=grouped)} {currency}"

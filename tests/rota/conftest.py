"""The rota-people scenarios run on the on-call desk (on-call channel, public URL)."""

from tests.oncall.conftest import settings

__all__ = ["settings"]

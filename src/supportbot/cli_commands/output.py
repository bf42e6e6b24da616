"""What a command prints, for a reader that may stop reading (``supportbot report … | head``)."""

from __future__ import annotations

import os
import sys


def emit(text: str) -> None:
    """Print ``text`` on stdout now. A reader that went away (a closed pipe) is not our error:
    what is left goes nowhere, and no traceback follows, now or at exit's flush."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, sys.stdout.fileno())
        os.close(nowhere)

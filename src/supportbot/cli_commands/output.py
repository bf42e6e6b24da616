"""What a command prints, for a reader that may stop reading (``supportbot report … | head``)
or a terminal that is not UTF-8 (``PYTHONIOENCODING=ascii``)."""

from __future__ import annotations

import codecs
import json
import os
import sys

_ESCAPE = "supportbot-json-escape"


def _escaped(error: UnicodeError) -> tuple[str, int]:
    """What the stream cannot encode, as ``\\u00e9``: readable, and still valid in JSON."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return json.dumps(error.object[error.start : error.end])[1:-1], error.end


codecs.register_error(_ESCAPE, _escaped)


def emit(text: str) -> None:
    """Print ``text`` on stdout now. A reader that went away (a closed pipe) is not our error:
    what is left goes nowhere, and no traceback follows, now or at exit's flush. A character
    the terminal's encoding lacks is written as its ``\\uXXXX`` escape, not a traceback."""
    encoding = sys.stdout.encoding or "utf-8"
    try:
        print(text.encode(encoding, _ESCAPE).decode(encoding), flush=True)
    except BrokenPipeError:
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, sys.stdout.fileno())
        os.close(nowhere)

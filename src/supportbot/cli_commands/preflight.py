"""Before ``run``, ``web``, ``worker`` or ``migrate`` starts: what an operator must fix first.

A wrong setting, a broken data file, a token Slack rejects or a port in use is the operator's
to fix, not a bug, so it is shown as one line each on stderr (the setting or the file and
line, and the fix) with a non-zero exit, never as a stack trace. The commands raise
:class:`OperatorError`, or let :class:`~supportbot.datafiles.DataFileError` through, and
``cli.main`` prints :func:`operator_lines` once for all of them.
"""

from __future__ import annotations

import errno
import logging
import socket
from pathlib import Path

from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from supportbot.check import database_url_problem, redis_url_problem, without_credentials
from supportbot.cli_commands.online import verify_app_token, verify_bot_token
from supportbot.clients import redis_conn
from supportbot.contracts.customers import load_contracts
from supportbot.contracts.triage import load_triage_rules
from supportbot.datafiles import DataFileError, Problem
from supportbot.db.engine import make_engine, ping
from supportbot.db.migrate import UnknownSchemaError
from supportbot.oncall import load_rotation
from supportbot.settings import Settings, get_settings

log = logging.getLogger("supportbot")

# OSErrors that are about a path the operator gave, not about the code.
_PATH_ERRORS = (
    PermissionError,
    FileNotFoundError,
    FileExistsError,
    NotADirectoryError,
    IsADirectoryError,
)


class OperatorError(Exception):
    """Something the operator must fix; each line is printed as it is."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def env_name(field: str) -> str:
    """The environment variable behind a Settings field (``port`` → ``PORT``)."""
    info = Settings.model_fields.get(field)
    if info is None:
        return field
    alias = info.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    return str(Settings.model_config.get("env_prefix", "")) + field.upper()


def settings_problems(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        name = field if field.isupper() else env_name(field)
        info = Settings.model_fields.get(field.lower()) or Settings.model_fields.get(field)
        secret = info is not None and "SecretStr" in str(info.annotation)
        shown = "" if secret else f"={error.get('input')!r}"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}{shown} is not valid ({message}): fix it in the environment or .env")
    return lines


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        raise OperatorError(*settings_problems(exc)) from None


def require_database(settings: Settings) -> None:
    """DATABASE_URL parses, its driver is installed, and the database answers."""
    if problem := database_url_problem(settings):
        raise OperatorError(problem)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        ping(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        reason = without_credentials(reason, settings.sqlalchemy_url)
        raise OperatorError(
            f"the database at DATABASE_URL is unreachable ({reason}): start it or fix DATABASE_URL"
        ) from None
    finally:
        engine.dispose()


def require_redis(settings: Settings, *, reachable: bool) -> str:
    """REDIS_URL is set and parses (and, for the worker, answers)."""
    url = settings.redis_url
    if url is None:
        raise OperatorError(
            "REDIS_URL is not set: `supportbot run` starts an embedded Redis for web and "
            "worker together; to run them apart, point both at one Redis with REDIS_URL"
        )
    if problem := redis_url_problem(url):
        raise OperatorError(problem)
    if reachable:
        try:
            redis_conn.connect(url, socket_connect_timeout=3).ping()
        except RedisError as exc:
            reason = without_credentials(str(exc), url)
            raise OperatorError(
                f"Redis at REDIS_URL is unreachable ({reason}): start it or fix REDIS_URL"
            ) from None
    return url


def require_files(settings: Settings) -> None:
    """Contracts and triage rules (when present) and the rotations parse: a pager must not
    start with files it cannot use. Every problem is listed, by file and line."""
    if not Path(settings.rotations_dir).is_dir():
        raise OperatorError(
            f"SUPPORTBOT_ROTATIONS_DIR={str(settings.rotations_dir)!r} is not a directory: set "
            "it to the folder of rotation files (README, 'Data files'), or run from the "
            "repository, whose rotations/ is the default"
        )
    problems: list[Problem] = []
    loads = (
        (settings.contracts_file, load_contracts),
        (settings.triage_rules_file, load_triage_rules),
    )
    for path, load in loads:
        if Path(path).exists():
            try:
                load(path)
            except DataFileError as exc:
                problems += exc.problems
    try:
        load_rotation(settings.rotations_dir)
    except DataFileError as exc:
        problems += exc.problems
    if problems:
        raise DataFileError(problems)


def require_slack(settings: Settings, *, socket_mode: bool) -> None:
    """A token Slack rejects stops the start; Slack out of reach only warns (the staff
    directory retries, and paging does not need Slack)."""
    secret = settings.slack_signing_secret
    if secret is not None and not secret.get_secret_value().strip():
        # Set, so not local mode; empty, so nothing could be verified (Bolt raises on it).
        raise OperatorError(
            "SLACK_SIGNING_SECRET is set but empty: set it to the Slack app's Signing Secret "
            "(Basic Information → App Credentials), or unset it to run in local mode"
        )
    verdicts = []
    if settings.slack_bot_token is not None:
        verdicts.append(verify_bot_token(settings))
    if socket_mode and settings.slack_app_token is not None:
        verdicts.append(verify_app_token(settings))
    rejected = [v.problem for v in verdicts if v.rejected and v.problem]
    if rejected:
        raise OperatorError(*rejected)
    for verdict in verdicts:
        if verdict.problem:
            log.warning("%s", verdict.problem)


def warn_without_triage_channel(settings: Settings) -> None:
    """Said by the worker, which posts the cards (once under ``supportbot run``). Not fatal
    (a desk may start before its channel exists), but never silent: without the channel an
    incident is stored and timed while nobody in Slack sees its card."""
    if settings.triage_channel:
        return
    where = (
        "any id (C0LOCAL) writes them to the log in local mode"
        if not settings.slack_enabled
        else "set it to the triage channel's id (C…) and invite the bot there"
    )
    log.warning(
        "SUPPORTBOT_TRIAGE_CHANNEL is not set: incident cards, their threads and paging "
        "warnings are not posted (each incident's timeline keeps them); %s",
        where,
    )


def require_port(host: str, port: int) -> None:
    """The port is free on ``host``: say so now rather than after starting everything."""
    if not 0 < port < 65536:
        raise OperatorError(f"PORT={port} is out of range: set PORT to a number from 1 to 65535")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        raise OperatorError(
            f"SUPPORTBOT_BIND={host!r} is not an address: set it to 127.0.0.1, 0.0.0.0 or an "
            "address of this machine"
        ) from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OperatorError(*port_lines(exc, host, port)) from None


def port_lines(exc: OSError, host: str, port: int) -> list[str]:
    if exc.errno == errno.EADDRINUSE:
        return [f"port {port} is in use; set PORT to a free port (or stop what holds it)"]
    if exc.errno == errno.EACCES:
        return [f"port {port} needs privileges to listen on; set PORT above 1023"]
    if exc.errno == errno.EADDRNOTAVAIL:
        return [
            f"SUPPORTBOT_BIND={host!r} is not an address of this machine: set it to 127.0.0.1, "
            "0.0.0.0 or one of its addresses"
        ]
    return [f"cannot listen on {host}:{port} ({exc.strerror}); set PORT or SUPPORTBOT_BIND"]


def operator_lines(exc: BaseException, port: int | None = None) -> list[str] | None:
    """The lines to print for an error the operator must fix; None for anything else (a bug,
    which keeps its stack trace)."""
    if isinstance(exc, OperatorError):
        return exc.lines
    if isinstance(exc, DataFileError):
        return [str(problem) for problem in exc.problems]
    if isinstance(exc, UnknownSchemaError):
        return [str(exc)]
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE and port is not None:
        return port_lines(exc, "", port)
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        hint = "a file is where a directory must be; check SUPPORTBOT_DATA_DIR"
        return [f"{exc.filename}: {exc.strerror} ({hint})"]
    if isinstance(exc, _PATH_ERRORS) and exc.filename:
        return [f"{exc.filename}: {exc.strerror}"]
    return None

"""The exit codes of ``ils-desktop``, in one place (the README's Commands section lists them).

Scripts and service managers act on these, so a code keeps its meaning once released.
"""

from __future__ import annotations

from enum import IntEnum

from ils_desktop.errors import (
    BadDatabaseUrl,
    DatabaseUnavailable,
    NoKeyring,
    SchemaMismatch,
    UserFacingError,
)


class ExitCode(IntEnum):
    OK = 0
    #: The command ran and the answer is "no": audit trail tampered, schema not current
    #: (``db check``), no practice to serve, a listener could not start, nothing was saved.
    FAILED = 1
    #: The command line is wrong: argparse's own errors, a URL that does not parse or is not
    #: PostgreSQL, conflicting options, an unknown company, no terminal to type a password into.
    USAGE = 2
    #: Cannot connect: server unreachable, password missing or refused, TLS/certificate problem,
    #: this computer or role not allowed in.
    CANNOT_CONNECT = 3
    #: The database is not ready for this version: never provisioned (no database or role), no
    #: local database yet, schema empty, older or newer than this version.
    SCHEMA = 4
    #: No usable OS keyring, so a password cannot be stored.
    NO_KEYRING = 5
    #: A bug: the traceback is in the log file.
    UNEXPECTED = 70
    #: Stopped with Ctrl-C (128 + SIGINT, as shells report it).
    INTERRUPTED = 130


#: Most specific first: NotProvisioned is a SchemaMismatch, CannotConnect a DatabaseUnavailable.
_BY_ERROR: tuple[tuple[type[UserFacingError], ExitCode], ...] = (
    (NoKeyring, ExitCode.NO_KEYRING),
    (BadDatabaseUrl, ExitCode.USAGE),
    (SchemaMismatch, ExitCode.SCHEMA),
    (DatabaseUnavailable, ExitCode.CANNOT_CONNECT),
)


def exit_code_for(error: UserFacingError) -> ExitCode:
    """The code for an expected failure; an error may carry its own ``exit_code``."""
    own = getattr(error, "exit_code", None)
    if isinstance(own, ExitCode):
        return own
    for kind, code in _BY_ERROR:
        if isinstance(error, kind):
            return code
    return ExitCode.FAILED

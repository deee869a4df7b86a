"""Errors that carry a message meant for the person at the workstation.

Services raise these; the UI shows ``str(error)`` as it is, so the text must be plain, calm and
say what to do next. Anything else reaching the UI is a bug and gets the "unexpected error" dialog.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is written for the user."""

    title = "Cannot do that"


class ValidationFailed(UserFacingError):
    """Input the user can correct; ``problems`` maps a field name to what is wrong with it."""

    title = "Please check the form"

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems.values()))


class PermissionDenied(UserFacingError):
    title = "Not allowed"

    def __init__(self, permission: str, description: str = "") -> None:
        self.permission = permission
        what = description or permission
        super().__init__(
            f"Your role does not allow this ({what}). Ask a practice manager if you need it."
        )


class NotFound(UserFacingError):
    title = "Not found"


class SignInFailed(UserFacingError):
    title = "Sign-in failed"


class DatabaseUnavailable(UserFacingError):
    title = "Database unavailable"


class ConnectionLost(DatabaseUnavailable):
    """The connection dropped during work whose outcome cannot be retried safely."""


class SchemaMismatch(UserFacingError):
    title = "Database version"


class NoKeyring(UserFacingError):
    title = "No password store"


class SessionEnded(UserFacingError):
    """The signed-in session is over (signed out elsewhere, expired, locked out, ended by a manager,
    the account suspended): nothing more can be done until the person signs in again."""

    title = "Signed out"

    _REASONS = {
        "expired": "Your session has expired.",
        "locked_out": "Your account was locked after too many wrong passwords.",
        "ended_by_manager": "A practice manager ended your session.",
        "password_reset": "Your password was reset by a practice manager.",
        "password_changed": "Your password was changed on another workstation.",
        "account_suspended": "Your account has been suspended.",
        "account_left": "Your account has been closed.",
        "upgraded": "ILS Desktop was upgraded.",
    }

    def __init__(self, reason: str = "ended") -> None:
        self.reason = reason
        why = self._REASONS.get(reason, "You are no longer signed in.")
        super().__init__(f"{why} Sign in again to carry on.")


class CannotConnect(DatabaseUnavailable):
    """The server could not be reached or would not let us in; ``problem`` says which (see
    ``ils_desktop.startup.ConnectionProblem``)."""

    title = "Cannot connect"

    def __init__(self, message: str, problem: object = None) -> None:
        self.problem = problem
        super().__init__(message)


class NotProvisioned(SchemaMismatch):
    """The server has no ILS database or roles yet: ``ils-desktop db provision`` comes first."""

    title = "Database not set up"


class BadDatabaseUrl(UserFacingError):
    """A database URL that does not parse, or names something other than PostgreSQL."""

    title = "Database address"

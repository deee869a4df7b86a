"""Database passwords in the OS keyring (``keyring``), never in a file.

Where the machine has no usable keyring (a headless server or CI), ``NoKeyring`` says so and the
caller asks for the password instead.
"""

from __future__ import annotations

from ils_desktop.errors import NoKeyring

SERVICE = "ils-desktop"


def account_for(user: str, host: str, port: int | None, database: str) -> str:
    return f"{user}@{host}:{port or 5432}/{database}"


def _usable_keyring():  # type: ignore[no-untyped-def]
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        raise NoKeyring(
            "This computer has no password store (OS keyring), so ILS Desktop cannot remember the "
            "database password. Enter it when asked, or install a keyring service."
        )
    return keyring


def get_password(account: str) -> str | None:
    return _usable_keyring().get_password(SERVICE, account)


def set_password(account: str, password: str) -> None:
    _usable_keyring().set_password(SERVICE, account, password)


def delete_password(account: str) -> None:
    import contextlib

    import keyring.errors

    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        _usable_keyring().delete_password(SERVICE, account)

"""Database passwords in the OS keyring (``keyring``), never in a file.

Only the operating system's own password stores are used: macOS Keychain, Windows Credential
Locker, the Secret Service (GNOME Keyring, KeePassXC…), KWallet and libsecret — an allow-list of
exact classes. Whatever else ``keyring`` was told to use, however (``PYTHON_KEYRING_BACKEND``,
``keyringrc.cfg``, a backend with a higher priority, a chain that includes one), is refused: the
plaintext and base64 "file keyrings" of ``keyrings.alt`` write the password into a file, and any
other backend is code we have not read. A chain is accepted only if every store in it is.

Stores that need a master password of their own (``keyrings.alt.file.EncryptedKeyring`` and the
like) are refused too, not wired to a dialog: they ask for it with ``getpass`` on a console the
user of a desktop program never sees (the program would hang), and a password typed at every start
to unlock a file gains nothing over typing the database password at start — which is what happens
when no store is usable (``NoKeyring``: the caller asks for the password and keeps it in memory).
The OS stores unlock with the user's session or show their own system dialog.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from typing import Any

from ils_desktop.errors import NoKeyring

log = logging.getLogger(__name__)

SERVICE = "ils-desktop"

#: The OS password stores, by the class ``keyring`` loads for each.
SECURE_BACKENDS = (
    "keyring.backends.macOS.Keyring",
    "keyring.backends.Windows.WinVaultKeyring",
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
    "keyring.backends.libsecret.Keyring",
)

_NO_STORE = ("This computer has no password store (OS keyring), so ILS Desktop cannot remember the "
             "database password. Enter it when asked, or install a keyring service.")
_UNSAFE_STORE = ("The password store set up for this computer is not one ILS Desktop trusts (it may keep passwords "
                 "in a plain file), so ILS Desktop will not use it. Enter the database password when asked.")
_STORE_FAILED = ("This computer's password store did not answer (it may be locked). Enter the database "
                 "password when asked.")

_test_backends: set[type] = set()


def allow_test_backend(backend_class: type) -> None:
    """Accept ``backend_class`` as a password store in this process: for the test suite only.

    The suite's in-memory keyring is registered with this call from ``tests/conftest.py``. It is a
    call on purpose: no environment variable or keyring configuration file can reach it, so a
    class named in ``PYTHON_KEYRING_BACKEND`` or ``keyringrc.cfg`` is never accepted this way.
    """
    _test_backends.add(backend_class)


def service_account(database_label: str, company_id: object) -> str:
    """The keyring entry of the background service's session token for one practice."""
    return f"device-service {company_id} on {database_label}"


def account_for(user: str, host: str, port: int | None, database: str) -> str:
    return f"{user}@{host}:{port or 5432}/{database}"


def _secure_classes() -> set[type]:
    classes: set[type] = set()
    for dotted in SECURE_BACKENDS:
        module, _, name = dotted.rpartition(".")
        with contextlib.suppress(Exception):  # a store this platform does not have
            classes.add(getattr(importlib.import_module(module), name))
    return classes | _test_backends


def is_secure_backend(backend: Any) -> bool:
    """An allow-listed store (the exact class, not a subclass), or a chain made only of them."""
    from keyring.backends.chainer import ChainerBackend

    if type(backend) is ChainerBackend:
        chained = list(backend.backends)
        return bool(chained) and all(is_secure_backend(b) for b in chained)
    return type(backend) in _secure_classes()


def _usable_keyring() -> Any:
    """The configured keyring backend, if it is one we trust; else ``NoKeyring``."""
    import keyring
    from keyring.backends import fail, null

    try:
        backend = keyring.get_keyring()
    except Exception as error:  # a configured store that cannot load (missing module, no crypto)
        log.warning("the configured password store cannot be loaded: %s", type(error).__name__)
        raise NoKeyring(_NO_STORE) from error
    if isinstance(backend, fail.Keyring | null.Keyring):
        raise NoKeyring(_NO_STORE)
    if not is_secure_backend(backend):
        log.warning("refusing the password store %s.%s", type(backend).__module__, type(backend).__qualname__)
        raise NoKeyring(_UNSAFE_STORE)
    return backend


@contextlib.contextmanager
def _store_errors() -> Any:
    import keyring.errors

    try:
        yield
    except keyring.errors.PasswordDeleteError:
        raise
    except keyring.errors.KeyringError as error:  # locked, unlock dismissed, D-Bus not answering
        log.warning("the password store failed: %s", type(error).__name__)
        raise NoKeyring(_STORE_FAILED) from error


def get_password(account: str) -> str | None:
    backend = _usable_keyring()
    with _store_errors():
        return backend.get_password(SERVICE, account)  # type: ignore[no-any-return]


def set_password(account: str, password: str) -> None:
    backend = _usable_keyring()
    with _store_errors():
        backend.set_password(SERVICE, account, password)


def delete_password(account: str) -> None:
    import keyring.errors

    backend = _usable_keyring()
    with contextlib.suppress(keyring.errors.PasswordDeleteError), _store_errors():
        backend.delete_password(SERVICE, account)

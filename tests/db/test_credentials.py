"""Server passwords live in the OS keyring; without one the user is told and asked instead.

Only the OS password stores are accepted (and, in tests, the in-memory store conftest registers):
a store that writes a file is refused however ``keyring`` was told to use it, and nothing is
written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backend
import keyring.core
import pytest
from keyring.backends import fail
from keyring.backends.chainer import ChainerBackend

from ils_desktop.db import credentials
from ils_desktop.errors import NoKeyring
from ils_desktop.startup import server_password
from tests.memory_keyring import MemoryKeyring, PlainFileKeyring

URL = "postgresql://ils_app@practice-server:5432/ils"
ACCOUNT = credentials.account_for("ils_app", "practice-server", 5432, "ils")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_keyring():  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def plain_file(tmp_path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """Where PlainFileKeyring would write; keyring's own config and data folders are the test's."""
    monkeypatch.setenv("ILS_TEST_PLAIN_KEYRING", str(tmp_path / "plain-passwords.json"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    return tmp_path / "plain-passwords.json"


def refused(asked: list[str]) -> None:
    """The app is refused the store and asks for the password at start instead."""
    with pytest.raises(NoKeyring, match="not one ILS Desktop trusts"):
        credentials.set_password(ACCOUNT, "s3cret-pw")
    with pytest.raises(NoKeyring):
        credentials.get_password(ACCOUNT)
    assert server_password(URL, lambda reason: asked.append(reason) or "typed") == "typed"
    assert "not one ILS Desktop trusts" in asked[0]


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_saved_password_is_read_from_the_keyring_not_asked_for(memory_keyring):
    credentials.set_password(ACCOUNT, "s3cret-pw")
    assert memory_keyring.passwords == {(credentials.SERVICE, ACCOUNT): "s3cret-pw"}
    asked = []
    assert server_password(URL, lambda reason: asked.append(reason) or "typed") == "s3cret-pw"
    assert asked == []
    credentials.delete_password(ACCOUNT)
    assert credentials.get_password(ACCOUNT) is None


def test_missing_password_is_asked_for():
    asked: list[str] = []
    assert server_password(URL, lambda reason: asked.append(reason) or "typed") == "typed"
    assert "No password is saved" in asked[0]


def test_without_a_keyring_the_user_is_told_and_asked(no_keyring):
    with pytest.raises(NoKeyring, match="no password store"):
        credentials.set_password("x", "y")
    asked: list[str] = []
    assert server_password(URL, lambda reason: asked.append(reason) or "typed") == "typed"
    assert "no password store" in asked[0]


def test_a_password_in_the_url_needs_no_keyring(no_keyring):
    assert server_password("postgresql://ils_app:pw@server/ils", lambda reason: "never") is None


def test_a_plaintext_store_named_in_the_environment_is_refused_and_writes_nothing(plain_file, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.memory_keyring.PlainFileKeyring")
    keyring.core.init_backend()  # what a new process does on first use
    assert isinstance(keyring.get_keyring(), PlainFileKeyring)
    refused([])
    assert files_under(tmp_path) == []


def test_a_plaintext_store_named_in_keyringrc_is_refused_and_writes_nothing(plain_file, tmp_path):
    config = tmp_path / "config" / "python_keyring" / "keyringrc.cfg"
    config.parent.mkdir(parents=True)
    config.write_text("[backend]\ndefault-keyring=tests.memory_keyring.PlainFileKeyring\n")
    keyring.core.init_backend()
    assert isinstance(keyring.get_keyring(), PlainFileKeyring)
    refused([])
    assert files_under(tmp_path) == [config]


def test_a_file_store_with_the_highest_priority_is_refused(plain_file, tmp_path, monkeypatch):
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [MemoryKeyring(), PlainFileKeyring()])
    keyring.core.init_backend()  # picks the store with the highest priority: the file one
    assert isinstance(keyring.get_keyring(), PlainFileKeyring)
    refused([])
    assert files_under(tmp_path) == []


def test_a_chain_that_includes_a_plaintext_store_is_refused(plain_file, tmp_path, monkeypatch):
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [MemoryKeyring(), PlainFileKeyring()])
    chain = ChainerBackend()
    assert {type(b) for b in chain.backends} == {MemoryKeyring, PlainFileKeyring}
    keyring.set_keyring(chain)
    refused([])
    assert files_under(tmp_path) == []


def test_a_chain_of_allowed_stores_is_used(monkeypatch):
    first, second = MemoryKeyring(), MemoryKeyring()
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [first, second])
    keyring.set_keyring(ChainerBackend())
    credentials.set_password(ACCOUNT, "s3cret-pw")
    assert credentials.get_password(ACCOUNT) == "s3cret-pw"


def test_a_subclass_of_an_allowed_store_is_not_allowed():
    class Lookalike(MemoryKeyring):
        pass

    keyring.set_keyring(Lookalike())
    refused([])


def test_a_store_that_fails_to_load_means_no_store(plain_file, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    with pytest.raises(ModuleNotFoundError):
        keyring.core.init_backend()
    keyring.core._keyring_backend = None  # as in a new process: get_keyring() loads it
    with pytest.raises(NoKeyring, match="no password store"):
        credentials.get_password(ACCOUNT)


def test_naming_the_test_store_in_the_environment_does_not_get_it_accepted(tmp_path):
    """The test-only allowance is a function call in the test process, not something a setting reaches."""
    program = ("from ils_desktop.db import credentials\n"
               "try:\n"
               "    credentials.set_password('a', 'b')\n"
               "except Exception as error:\n"
               "    print(type(error).__name__, error)\n")
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "tests.memory_keyring.MemoryKeyring",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True,
                            text=True, check=True)
    assert result.stdout.startswith("NoKeyring The password store set up for this computer is not one ILS Desktop")


@pytest.mark.parametrize("name", ["keyrings.alt.file.PlaintextKeyring", "keyrings.alt.file.EncryptedKeyring"])
def test_keyrings_alt_file_stores_are_refused_where_installed(name, plain_file, tmp_path, monkeypatch):
    """With keyrings.alt installed (the test extras install it for this), its file stores are refused
    too; the encrypted one is refused rather than left to ask for its master password on a console."""
    import keyrings.alt.file  # noqa: F401  (installed by the test extras: this must not skip)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    keyring.core._keyring_backend = None
    with pytest.raises(NoKeyring):
        credentials.set_password(ACCOUNT, "s3cret-pw")
    assert files_under(tmp_path) == []

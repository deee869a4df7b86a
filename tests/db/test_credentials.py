"""Server passwords live in the OS keyring; without one the user is told and asked instead."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from ils_desktop.db import credentials
from ils_desktop.errors import NoKeyring
from ils_desktop.startup import server_password

URL = "postgresql://ils_app@practice-server:5432/ils"


@pytest.fixture
def test_keyring(tmp_path):  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_saved_password_is_read_from_the_keyring_not_asked_for(test_keyring):
    credentials.set_password(credentials.account_for("ils_app", "practice-server", 5432, "ils"), "s3cret-pw")
    asked = []
    assert server_password(URL, lambda reason: asked.append(reason) or "typed") == "s3cret-pw"
    assert asked == []


def test_missing_password_is_asked_for(test_keyring):
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

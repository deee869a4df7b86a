"""``ils-desktop backup``: create (with the recovery key shown once, and the rotation), list,
verify, and restore into a new database whose audit trail is checked."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from ils_desktop.cli import main
from ils_desktop.db.backups import KEY_ACCOUNT
from ils_desktop.exit_codes import ExitCode

SOURCE = "ils_cli_backed_up"
RESTORED = "ils_cli_restored"


@pytest.fixture
def server(pg_server, memory_keyring, monkeypatch, tmp_path):
    """A practice database of its own: the shared test database is tampered with on purpose by the
    audit tests, and a restore proves the trail it was given."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.migrations import upgrade
    from tests.conftest import make_practice

    for name in (SOURCE, RESTORED):
        pg_server.drop_database(name)
    target = pg_server.create_database(SOURCE)
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    make_practice(owner, "Backed Up Opticians")
    owner.dispose()
    monkeypatch.setenv("ILS_DATABASE_URL", target.app_url.render_as_string(hide_password=False).replace("+psycopg", ""))
    monkeypatch.setenv("ILS_HOME", str(tmp_path / "home"))
    previous = keyring.get_keyring()
    keyring.set_keyring(memory_keyring)
    yield pg_server.superuser_conninfo
    for name in (SOURCE, RESTORED):
        pg_server.drop_database(name)
    keyring.set_keyring(previous)


def test_back_up_list_verify_and_restore_a_practice_server(server, tmp_path, capsys, memory_keyring):
    folder = tmp_path / "nas"
    assert main(["backup", "create", "--superuser", server, "--to", str(folder)]) == ExitCode.OK
    first = capsys.readouterr().out
    assert "Write down this recovery key" in first and "Backed up" in first and "checked" in first
    recovery = keyring.get_password("ils-desktop", KEY_ACCOUNT)
    assert recovery and recovery in first

    assert main(["backup", "create", "--superuser", server, "--to", str(folder)]) == ExitCode.OK
    assert "recovery key" not in capsys.readouterr().out  # shown once, when the key is made

    assert main(["backup", "list", "--in", str(folder)]) == ExitCode.OK
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and all(".ilsbak" in line for line in listed)

    newest = sorted(folder.glob("*.ilsbak"))[-1]
    assert main(["backup", "verify", str(newest)]) == ExitCode.OK
    assert "whole and restorable" in capsys.readouterr().out

    assert main(["backup", "restore", str(newest), "--superuser", server, "--into", RESTORED]) == ExitCode.OK
    restored = capsys.readouterr().out
    assert "Every table's row count matches the backup" in restored and "verifies" in restored

    # The rotation: keeping the newest two (and one a day) removes the oldest of today's three.
    assert main(["backup", "create", "--superuser", server, "--to", str(folder), "--keep-daily", "1",
                 "--keep-weekly", "0", "--keep-monthly", "0", "--keep-newest", "2"]) == ExitCode.OK
    assert "Removed" in capsys.readouterr().out
    assert len(list(folder.glob("*.ilsbak"))) == 2


def test_a_server_backup_needs_a_superuser_and_a_keyring(server, tmp_path, capsys):
    assert main(["backup", "create", "--to", str(tmp_path)]) == ExitCode.USAGE
    assert "--superuser" in capsys.readouterr().err
    keyring.set_keyring(fail.Keyring())
    assert main(["backup", "create", "--superuser", server, "--to", str(tmp_path)]) == ExitCode.NO_KEYRING
    assert main(["backup", "verify", str(tmp_path / "none.ilsbak")]) != ExitCode.OK

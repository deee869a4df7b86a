"""The ``ils-desktop`` command line, against the test database and a throwaway embedded one."""

from __future__ import annotations

import json

import pytest

from ils_desktop.cli import main


@pytest.fixture
def server_url(pg_server, migrated_target, monkeypatch):  # type: ignore[no-untyped-def]
    url = migrated_target.app_url.render_as_string(hide_password=False).replace("+psycopg", "")
    monkeypatch.setenv("ILS_DATABASE_URL", url)
    return url


def test_db_check_and_current_on_an_up_to_date_server(server_url, capsys):
    assert main(["db", "check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    from ils_desktop.db.migrations import head_revision

    assert head_revision() in capsys.readouterr().out


def test_db_upgrade_on_a_server_needs_the_owner_role(server_url, capsys):
    assert main(["db", "upgrade"]) == 1
    assert "owner" in capsys.readouterr().err


def test_audit_verify_reports_intact_then_tampered(server_url, practice, superuser, capsys):
    company = ["--company", str(practice.company_id)]
    assert main(["audit", "verify", "--json", *company]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert all(r["intact"] for r in reports)
    superuser.execute("SET session_replication_role = replica")
    superuser.execute("UPDATE audit_logs SET action = 'DELETE' WHERE company_id = %s AND seq = 1",
                      (practice.company_id,))
    assert main(["audit", "verify", *company]) == 1
    out = capsys.readouterr().out
    assert "TAMPERED" in out and "Entry 1 was altered" in out


def test_snapshot_lists_screens_and_refuses_unknown_ones(capsys):
    assert main(["snapshot", "--screen", "list"]) == 0
    assert "sign-in" in capsys.readouterr().out
    assert main(["snapshot", "--screen", "nope", "--out", "x.png"]) == 2


def test_snapshot_writes_the_first_run_wizard(qapp, tmp_path):
    out = tmp_path / "first-run.png"
    assert main(["snapshot", "--screen", "first-run", "--out", str(out), "--size", "1024x700"]) == 0
    assert out.stat().st_size > 10_000


def test_snapshot_of_sign_in_and_main_window_on_the_demo_practice(qapp, tmp_path, monkeypatch):
    """Starts a real embedded server in ILS_HOME, seeds the demo practice, signs in as its admin."""
    monkeypatch.setenv("ILS_HOME", str(tmp_path / "home"))
    sign_in_png, main_png = tmp_path / "sign-in.png", tmp_path / "main.png"
    assert main(["snapshot", "--demo", "--screen", "sign-in", "--out", str(sign_in_png)]) == 0
    assert main(["snapshot", "--demo", "--screen", "main", "--out", str(main_png), "--size", "1920x1080"]) == 0
    from PySide6.QtGui import QImage

    assert QImage(str(main_png)).width() == 1920
    assert sign_in_png.stat().st_size > 10_000

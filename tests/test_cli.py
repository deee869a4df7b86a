"""The ``ils-desktop`` command line, against real servers: the test database, a throwaway embedded
one, a database nobody provisioned, a closed loopback port, and a PostgreSQL 15 that wants passwords.

Every expected failure must be one line on stderr, ``ils-desktop: ...``, with the documented exit
code and no traceback. Terminal prompts are tested through a real pseudo-terminal.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import psycopg
import pytest
from keyring.backends import fail
from psycopg import sql

from ils_desktop.applog import close_log, log_file_for_today
from ils_desktop.cli import _parser, main
from ils_desktop.db import credentials
from ils_desktop.db.migrations import head_revision, upgrade
from ils_desktop.db.provision import provision
from ils_desktop.exit_codes import ExitCode
from ils_desktop.startup import ConnectionProblem, classify_connection_error, connection_detail, mask_secrets
from tests.memory_keyring import FileKeyringForTests, MemoryKeyring
from tests.sessions import service_token

REPO = Path(__file__).resolve().parents[1]
PG15 = Path("/usr/lib/postgresql/15/bin")
DEVICE_FIXTURES = REPO / "tests" / "fixtures" / "devices"


# --- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test has its own ILS_HOME (logs, local database) and no OS keyring unless it asks."""
    home = tmp_path / "home"
    monkeypatch.setenv("ILS_HOME", str(home))
    for name in ("ILS_DATABASE_URL", "ILS_OWNER_DATABASE_URL", "PGPASSWORD", "PGPASSFILE"):
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield home
    keyring.set_keyring(previous)
    close_log()


@pytest.fixture
def test_keyring(memory_keyring: MemoryKeyring) -> MemoryKeyring:
    keyring.set_keyring(memory_keyring)
    return memory_keyring


@pytest.fixture
def server_url(pg_server, migrated_target, monkeypatch):  # type: ignore[no-untyped-def]
    url = migrated_target.app_url.render_as_string(hide_password=False).replace("+psycopg", "")
    monkeypatch.setenv("ILS_DATABASE_URL", url)
    return url


def _socket_query(pg_server) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    params = psycopg.conninfo.conninfo_to_dict(pg_server.superuser_conninfo)
    return str(params.get("host", "localhost")), str(params.get("port", 5432))


def _url(pg_server, role: str, database: str) -> str:  # type: ignore[no-untyped-def]
    host, port = _socket_query(pg_server)
    return f"postgresql://{role}@/{database}?host={host}&port={port}"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def bare_database(pg_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database a superuser created without 'ils-desktop db provision'."""
    name = f"ils_cli_bare_{os.getpid()}"
    pg_server.drop_database(name)
    with psycopg.connect(pg_server.superuser_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    pg_server.drop_database(name)


@pytest.fixture(scope="module")
def empty_database(pg_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Provisioned and migrated, but no company in it yet."""
    name = f"ils_cli_empty_{os.getpid()}"
    pg_server.drop_database(name)
    target = pg_server.create_database(name)
    assert target.owner_url is not None
    upgrade(target.owner_url)
    yield _url(pg_server, "ils_app", name)
    pg_server.drop_database(name)


@dataclass(frozen=True)
class PasswordServer:
    """PostgreSQL 15: scram-sha-256 on 127.0.0.1, trust on its Unix socket (for the test's own set-up)."""

    port: int
    socket_dir: str
    superuser_password: str

    def superuser(self, *, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={dbname}"

    def tcp_superuser(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def url(self, role: str, database: str, password: str | None = None, query: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{role}{secret}@127.0.0.1:{self.port}/{database}{query}"

    def drop(self, database: str, *roles: str) -> None:
        with psycopg.connect(self.superuser(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            for role in roles:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def password_server() -> Iterator[PasswordServer]:
    if not (PG15 / "postgres").exists():
        pytest.skip(f"PostgreSQL 15 is not installed at {PG15} (needed for a server that asks for passwords)")
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="ils-cli-pg15-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:  # initdb refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    password = "s3cret-super"
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if run_as:
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    data = folder / "data"
    try:
        subprocess.run([*run_as, str(PG15 / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                        "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"],
                       check=True, capture_output=True)
        subprocess.run([*run_as, str(PG15 / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w",
                        "-o", f"-k {folder} -c listen_addresses=127.0.0.1 -p {port}", "start"],
                       check=True, capture_output=True)
        yield PasswordServer(port, str(folder), password)
    finally:
        subprocess.run([*run_as, str(PG15 / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def provisioned(password_server: PasswordServer) -> Iterator[str]:
    """A database on the PostgreSQL 15 server, provisioned with role passwords, not migrated."""
    name = f"ils_cli_{os.getpid()}"
    provision(password_server.superuser(), name, owner_password="owner-pw", app_password="app-pw")
    yield name
    password_server.drop(name, "ils_app", "ils_owner", "ils_auth")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    """The single stderr line of an expected failure."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ils-desktop: ")
    return lines[0]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ILS_DATABASE_URL", "ILS_OWNER_DATABASE_URL", "PGPASSWORD", "PGPASSFILE")}
    env.update(PYTHONPATH=str(REPO), ILS_HOME=str(home), QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.update(extra)
    return env


def in_terminal(argv: list[str], env: dict[str, str], answers: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run ``ils-desktop argv`` on a pseudo-terminal (its controlling tty, as for a person), typing
    each answer after each 'Password for' prompt; returns the exit code and what it showed."""
    if sys.platform == "win32":
        pytest.skip("pseudo-terminals are POSIX only")
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes ils-desktop
        runner = "tests.keyring_runner" if "ILS_TEST_KEYRING_FILE" in env else "ils_desktop"
        os.execve(sys.executable, [sys.executable, "-m", runner, *argv], env)
    shown, answered, deadline = b"", 0, time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"ils-desktop {' '.join(argv)} did not finish: {shown.decode(errors='replace')}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child has gone
                break
            if not chunk:
                break
            shown += chunk
            if answered < len(answers) and shown.count(b"Password for") > answered:
                answer = answers[answered]
                os.write(fd, answer.encode() if answer == "\x03" else (answer + "\n").encode())
                answered += 1
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    text = shown.decode(errors="replace").replace("\r\n", "\n")
    assert "Traceback" not in text
    return os.waitstatus_to_exitcode(status), text


# --- what was already there ------------------------------------------------------------------------------
def test_db_check_and_current_on_an_up_to_date_server(server_url, capsys):
    assert main(["db", "check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert head_revision() in capsys.readouterr().out


def test_audit_verify_reports_intact_then_tampered(server_url, practice, superuser, capsys):
    company = ["--company", str(practice.company_id)]
    assert main(["audit", "verify", "--json", *company]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert all(r["intact"] for r in reports)
    superuser.execute("SET session_replication_role = replica")
    superuser.execute("UPDATE audit_logs SET action = 'DELETE' WHERE company_id = %s AND seq = 1",
                      (practice.company_id,))
    assert main(["audit", "verify", *company]) == ExitCode.FAILED
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


# --- finding: a URL that does not parse, and one that is not PostgreSQL ----------------------------------
def test_a_url_that_does_not_parse_is_one_plain_line(capsys):
    code, _, err = run(["--database-url", "notaurl", "db", "check"], capsys)
    assert code == ExitCode.USAGE == 2
    assert one_line(err) == ("ils-desktop: --database-url is not a database URL ('notaurl'); write it as "
                             "postgresql://ils_app@server:5432/ils.")


def test_a_scheme_other_than_postgresql_is_refused_without_showing_the_password(capsys):
    code, _, err = run(["db", "check", "--database-url", "mysql://root:hunter2@db.example/ils"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err) == ("ils-desktop: --database-url names a mysql database; ILS Desktop needs "
                             "PostgreSQL (postgresql://ils_app@server:5432/ils).")
    assert "hunter2" not in err


def test_a_bad_url_from_the_environment_names_its_source(monkeypatch, capsys):
    monkeypatch.setenv("ILS_DATABASE_URL", "sqlite:///ils.db")
    code, _, err = run(["audit", "verify"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err).startswith("ils-desktop: ILS_DATABASE_URL names a sqlite database;")


def test_the_application_refuses_a_bad_url_before_opening_a_window(capsys):
    code, _, err = run(["--database-url", "mysql://root@db.example/ils"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err).startswith("ils-desktop: --database-url names a mysql database;")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_the_postgresql_schemes_are_accepted(scheme, closed_port, capsys):
    code, _, err = run(["db", "check", "--database-url", f"{scheme}://ils_app@127.0.0.1:{closed_port}/ils"],
                       capsys)
    assert code == ExitCode.CANNOT_CONNECT  # got as far as trying to connect
    assert "Cannot reach" in one_line(err)


def test_secrets_are_masked_in_every_form():
    assert mask_secrets("postgresql://ils_app:pw@server/ils") == "postgresql://ils_app:***@server/ils"
    assert mask_secrets("host=server password=pw user=x") == "host=server password=*** user=x"
    assert mask_secrets("postgresql://server/ils?password=pw&x=1") == "postgresql://server/ils?password=***&x=1"


# --- finding: an unreachable server, and why a connection failed -----------------------------------------
def test_an_unreachable_server_is_one_line_with_the_reason(closed_port, capsys):
    url = f"postgresql://ils_app@127.0.0.1:{closed_port}/ils"
    for command in (["db", "check"], ["db", "current"], ["audit", "verify"]):
        code, _, err = run([*command, "--database-url", url], capsys)
        assert code == ExitCode.CANNOT_CONNECT == 3
        assert one_line(err) == (f"ils-desktop: Cannot reach the database server at 127.0.0.1:{closed_port} "
                                 "(Connection refused). Check that it is running and that this computer can "
                                 "reach it.")


def test_a_missing_database_says_to_provision_it(pg_server, migrated_target, capsys):
    code, _, err = run(["db", "check", "--database-url", _url(pg_server, "ils_app", "no_such_db")], capsys)
    host, port = _socket_query(pg_server)
    assert code == ExitCode.SCHEMA == 4
    assert one_line(err) == (f"ils-desktop: The server at {host}:{port} has no database no_such_db: run "
                             f"'ils-desktop db provision --superuser \"host={host} port={port} user=postgres\" "
                             "--database no_such_db' first.")


def test_db_check_tells_a_wrong_password_from_tls_from_a_missing_password(password_server, provisioned, capsys):
    server = f"127.0.0.1:{password_server.port}"
    code, _, err = run(["db", "check", "--database-url", password_server.url("ils_app", provisioned, "wrong")],
                       capsys)
    assert code == ExitCode.CANNOT_CONNECT
    assert one_line(err) == (f"ils-desktop: The server at {server} refused the password for "
                             f"ils_app@{server}/{provisioned} (the one in the address). If this server was never "
                             "set up for ILS Desktop, run 'ils-desktop db provision --superuser \"host=127.0.0.1 "
                             f"port={password_server.port} user=postgres\" --database {provisioned}' first.")
    tls = password_server.url("ils_app", provisioned, "app-pw", "?sslmode=require")
    code, _, err = run(["db", "check", "--database-url", tls], capsys)
    assert code == ExitCode.CANNOT_CONNECT
    assert one_line(err) == (f"ils-desktop: Cannot make a secure (TLS) connection to {server} (server does not "
                             "support SSL, but SSL was required).")
    code, _, err = run(["db", "check", "--database-url", password_server.url("ils_app", provisioned)], capsys)
    assert code == ExitCode.CANNOT_CONNECT
    assert one_line(err) == (f"ils-desktop: The server at {server} needs a password for ils_app@{server}/"
                             f"{provisioned} and there is no terminal to ask for it: save it with 'ils-desktop db "
                             f"set-password --database-url postgresql://ils_app@{server}/{provisioned}', or use "
                             "~/.pgpass.")


CONNECTION_MESSAGES = [
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused\n\tIs the '
     "server running on that host and accepting TCP/IP connections?", ConnectionProblem.UNREACHABLE,
     "Connection refused"),
    ("failed to resolve host 'nohost.invalid': [Errno -2] Name or service not known",
     ConnectionProblem.UNREACHABLE, "failed to resolve host 'nohost.invalid': [Errno -2] Name or service not known"),
    ('could not translate host name "ssl.example" to address: Name or service not known',
     ConnectionProblem.UNREACHABLE,
     'could not translate host name "ssl.example" to address: Name or service not known'),
    ('connection is bad: connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory',
     ConnectionProblem.UNREACHABLE, "No such file or directory"),
    ('connection to server at "10.0.0.9", port 5432 failed: timeout expired', ConnectionProblem.UNREACHABLE,
     "timeout expired"),
    ('connection to server at "db", port 5432 failed: FATAL:  the database system is starting up',
     ConnectionProblem.UNREACHABLE, "the database system is starting up"),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: fe_sendauth: no password '
     "supplied", ConnectionProblem.NEEDS_PASSWORD, "fe_sendauth: no password supplied"),
    ('connection to server at "db", port 5432 failed: FATAL:  password authentication failed for user "ils_app"',
     ConnectionProblem.WRONG_PASSWORD, 'password authentication failed for user "ils_app"'),
    ('connection to server at "ssl.example", port 5432 failed: server does not support SSL, but SSL was required',
     ConnectionProblem.TLS, "server does not support SSL, but SSL was required"),
    ('connection to server at "db", port 5432 failed: root certificate file "/home/a/.postgresql/root.crt" does '
     "not exist\nEither provide the file or change sslmode", ConnectionProblem.TLS,
     'root certificate file "/home/a/.postgresql/root.crt" does not exist'),
    ('connection to server at "db", port 5432 failed: SSL error: certificate verify failed', ConnectionProblem.TLS,
     "SSL error: certificate verify failed"),
    ('connection to server at "db", port 5432 failed: FATAL:  database "ils" does not exist',
     ConnectionProblem.DATABASE_MISSING, 'database "ils" does not exist'),
    ('connection to server at "db", port 5432 failed: FATAL:  role "ils_owner" does not exist',
     ConnectionProblem.ROLE_MISSING, 'role "ils_owner" does not exist'),
    ('connection to server at "db", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.5", user '
     '"ils_app", database "ils", no encryption', ConnectionProblem.NOT_ALLOWED,
     'no pg_hba.conf entry for host "10.0.0.5", user "ils_app", database "ils", no encryption'),
    ('connection to server at "db", port 5432 failed: FATAL:  role "ils_auth" is not permitted to log in',
     ConnectionProblem.NOT_ALLOWED, 'role "ils_auth" is not permitted to log in'),
    ('connection to server at "db", port 5432 failed: FATAL:  sorry, too many clients already',
     ConnectionProblem.OTHER, "sorry, too many clients already"),
]


@pytest.mark.parametrize(("message", "problem", "detail"), CONNECTION_MESSAGES)
def test_connection_failures_are_classified(message, problem, detail):
    assert classify_connection_error(message) is problem
    assert connection_detail(message) == detail


# --- finding: global options reach every subcommand, devices included ------------------------------------
@pytest.mark.parametrize("argv", [
    ["--demo", "--verbose", "--database-url", "postgresql://a@b/c", "devices", "serve"],
    ["devices", "--demo", "--verbose", "--database-url", "postgresql://a@b/c", "serve"],
    ["devices", "serve", "--demo", "--verbose", "--database-url", "postgresql://a@b/c"],
    ["--demo", "db", "--verbose", "check", "--database-url", "postgresql://a@b/c"],
    ["audit", "verify", "--demo", "--verbose", "--database-url", "postgresql://a@b/c"],
])
def test_global_options_are_read_before_and_after_any_command(argv):
    args, rest = _parser().parse_known_args(argv)
    assert (args.demo, args.verbose, args.database_url, rest) == (True, True, "postgresql://a@b/c", [])


def test_devices_serve_uses_the_server_named_before_it(closed_port, isolated, capsys):
    """It used to ignore --database-url there, make an empty local database and ask for a company."""
    url = f"postgresql://ils_app@127.0.0.1:{closed_port}/ils"
    for argv in (["--database-url", url, "devices", "serve"], ["devices", "serve", "--database-url", url]):
        code, out, err = run(argv, capsys)
        assert code == ExitCode.CANNOT_CONNECT
        assert one_line(err).startswith(f"ils-desktop: Cannot reach the database server at 127.0.0.1:{closed_port}")
        assert out.startswith("Logging to ")
    assert not (isolated / "data" / "postgres").exists()


def test_devices_parse_and_simulate_pass_their_own_options_through(capsys):
    sample = DEVICE_FIXTURES / "nidek-lm-right-left.bin"
    if not sample.exists():
        pytest.skip(f"device fixtures not found at {DEVICE_FIXTURES}")
    code, out, _ = run(["--verbose", "devices", "parse", str(sample), "--protocol", "auto", "--demo"], capsys)
    assert code == 0
    assert json.loads(out)[0]["kind"] == "lensometry"
    code, _, err = run(["devices", "simulate", "--kind", "lensmeter", "--demo"], capsys)
    assert code == 2 and "--port is required" in err


def test_unknown_options_are_still_refused(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["db", "check", "--nonsense"])
    assert stopped.value.code == ExitCode.USAGE
    assert "unrecognized arguments: --nonsense" in capsys.readouterr().err


def test_demo_and_a_server_together_are_refused(capsys):
    code, _, err = run(["--demo", "db", "upgrade", "--database-url", "postgresql://ils_app@server/ils"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err) == "ils-desktop: Use --demo or --database-url, not both."


# --- finding: no fall-back to a local database when a server was named ------------------------------------
def test_upgrade_with_only_the_owner_url_upgrades_that_server(migrated_target, isolated, capsys):
    owner = migrated_target.owner_url.render_as_string(hide_password=False)
    code, out, err = run(["db", "upgrade", "--owner-url", owner], capsys)
    assert (code, err) == (ExitCode.OK, "")
    assert out.startswith(f"Database upgraded to {head_revision()} (server ")
    assert out.rstrip().endswith(f"/{migrated_target.owner_url.database}, as ils_owner).")
    assert not (isolated / "data" / "postgres").exists()


def test_upgrade_with_an_unreachable_owner_url_fails_instead_of_upgrading_a_local_database(
        closed_port, isolated, capsys):
    code, _, err = run(["db", "upgrade", "--owner-url", f"postgresql://ils_owner@127.0.0.1:{closed_port}/ils"],
                       capsys)
    assert code == ExitCode.CANNOT_CONNECT
    assert "Cannot reach the database server" in one_line(err)
    assert not (isolated / "data" / "postgres").exists()


def test_upgrade_with_the_app_url_works_as_the_owner_role_on_that_server(server_url, capsys):
    code, out, err = run(["db", "upgrade"], capsys)
    assert (code, err) == (ExitCode.OK, "")
    assert out.rstrip().endswith(", as ils_owner).")


def test_upgrade_refuses_owner_and_app_urls_of_different_databases(server_url, migrated_target, capsys):
    owner = migrated_target.owner_url.set(database="elsewhere").render_as_string(hide_password=False)
    code, _, err = run(["db", "upgrade", "--owner-url", owner], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err) == "ils-desktop: --owner-url and --database-url name different databases."


def test_no_local_database_is_created_by_a_command(isolated, capsys):
    code, _, err = run(["db", "check"], capsys)
    assert code == ExitCode.SCHEMA
    assert one_line(err) == ("ils-desktop: There is no database on this computer yet and no server was named: "
                             "pass --database-url (or set ILS_DATABASE_URL), or start ILS Desktop once to create "
                             "one.")
    assert not (isolated / "data" / "postgres").exists()


# --- finding: a server that was never provisioned -------------------------------------------------------------
def test_upgrade_of_a_database_nobody_provisioned_says_to_provision_it(pg_server, migrated_target, bare_database,
                                                                    capsys):
    host, port = _socket_query(pg_server)
    code, _, err = run(["db", "upgrade", "--database-url", _url(pg_server, "ils_app", bare_database)], capsys)
    assert code == ExitCode.SCHEMA
    assert one_line(err) == (f"ils-desktop: The database {bare_database} on {host}:{port} was not set up for ILS "
                             "Desktop (its schema belongs to pg_database_owner, not ils_owner): run 'ils-desktop db "
                             f"provision --superuser \"host={host} port={port} user=postgres\" --database "
                             f"{bare_database}' first.")
    code, _, err = run(["db", "check", "--database-url", _url(pg_server, "ils_app", bare_database)], capsys)
    assert code == ExitCode.SCHEMA and "was not set up for ILS Desktop" in one_line(err)


def test_upgrade_on_a_server_without_the_ils_roles_says_to_provision_it(password_server, capsys):
    url = f"postgresql://ils_app@/ils?host={password_server.socket_dir}&port={password_server.port}"
    code, _, err = run(["db", "upgrade", "--database-url", url], capsys)
    server = f"{password_server.socket_dir}:{password_server.port}"
    assert code == ExitCode.SCHEMA
    assert one_line(err) == (f"ils-desktop: The server at {server} has no role ils_owner: run 'ils-desktop db "
                             f"provision --superuser \"host={password_server.socket_dir} port={password_server.port} "
                             "user=postgres\" --database ils' first.")


# --- finding: passwords are asked for when needed, once, naming the role and server ---------------------------
def test_provision_asks_for_the_superuser_password_the_server_wants(password_server, isolated):
    name = f"ils_cli_prov_{os.getpid()}"
    server = f"127.0.0.1:{password_server.port}"
    try:
        argv = ["db", "provision", "--superuser", password_server.tcp_superuser(), "--database", name]
        code, shown = in_terminal(argv, _env(isolated), [password_server.superuser_password])
        assert code == ExitCode.OK, shown
        assert shown.count("Password for") == 1
        assert shown.startswith(f"Password for postgres@{server}: ")
        assert f"database {name} are ready on {server}" in shown
        with psycopg.connect(password_server.superuser(dbname=name)) as conn:
            owner = conn.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")
            assert owner.fetchone() == ("ils_owner",)
    finally:
        password_server.drop(name, "ils_app", "ils_owner", "ils_auth")


def test_provision_without_a_terminal_says_what_to_do(password_server, capsys):
    code, _, err = run(["db", "provision", "--superuser", password_server.tcp_superuser()], capsys)
    server = f"127.0.0.1:{password_server.port}"
    assert code == ExitCode.CANNOT_CONNECT
    assert one_line(err) == (f"ils-desktop: The server at {server} needs a password for postgres@{server} and "
                             "there is no terminal to ask for it: put it in the connection string (password=...), "
                             "PGPASSWORD or ~/.pgpass.")


def test_provision_refuses_a_connection_string_that_does_not_parse(capsys):
    code, _, err = run(["db", "provision", "--superuser", "notaconninfo"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err) == ("ils-desktop: --superuser is not a connection string; write it as \"host=server "
                             "user=postgres\" or postgresql://postgres@server.")


def test_upgrade_asks_once_for_the_owner_then_the_saved_app_password_is_used(password_server, provisioned,
                                                                             isolated, tmp_path):
    server = f"127.0.0.1:{password_server.port}"
    app_url = password_server.url("ils_app", provisioned)
    env = _env(isolated, ILS_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"))
    code, shown = in_terminal(["--database-url", app_url, "db", "upgrade"], env, ["owner-pw"])
    assert code == ExitCode.OK, shown
    assert shown.count("Password for") == 1
    assert shown.startswith(f"Password for ils_owner@{server}/{provisioned}: ")
    assert f"Database upgraded to {head_revision()} (server {server}/{provisioned}, as ils_owner)." in shown
    # Saved once, the app password is read from the keyring: no terminal needed any more.
    code, shown = in_terminal(["db", "set-password", "--database-url", app_url], env, ["app-pw"])
    assert code == ExitCode.OK, shown
    assert f"Saved in the OS keyring for ils_app@{server}/{provisioned}." in shown
    checked = subprocess.run([sys.executable, "-m", "tests.keyring_runner", "db", "check", "--database-url", app_url],
                             env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert (checked.returncode, checked.stderr) == (0, "")
    assert "up to date" in checked.stdout


def test_a_refused_keyring_password_is_said_and_then_asked_for_once(password_server, provisioned, isolated,
                                                                    tmp_path):
    server = f"127.0.0.1:{password_server.port}"
    env = _env(isolated, ILS_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"))
    os.environ["ILS_TEST_KEYRING_FILE"] = env["ILS_TEST_KEYRING_FILE"]
    try:
        FileKeyringForTests().set_password("ils-desktop", f"ils_app@{server}/{provisioned}", "stale-pw")
    finally:
        del os.environ["ILS_TEST_KEYRING_FILE"]
    argv = ["db", "check", "--database-url", password_server.url("ils_app", provisioned)]
    code, shown = in_terminal(argv, env, ["app-pw"])
    assert code == ExitCode.FAILED, shown  # connected; the schema is not migrated
    assert shown.splitlines()[:2] == [
        f"ils-desktop: The server refused the one saved in the OS keyring for ils_app@{server}/{provisioned}.",
        f"Password for ils_app@{server}/{provisioned}: ",
    ]
    assert shown.count("Password for") == 1
    assert shown.splitlines()[-1] == "The database is empty: it has not been set up for ILS Desktop yet."


def test_a_wrong_password_typed_is_refused_without_asking_again(password_server, provisioned, isolated):
    server = f"127.0.0.1:{password_server.port}"
    argv = ["db", "check", "--database-url", password_server.url("ils_app", provisioned)]
    code, shown = in_terminal(argv, _env(isolated), ["not-it", "app-pw"])
    assert code == ExitCode.CANNOT_CONNECT
    assert shown.count("Password for") == 1
    assert shown.splitlines()[-1] == (
        f"ils-desktop: The server at {server} refused the password for ils_app@{server}/{provisioned} (the one "
        "typed). If this server was never set up for ILS Desktop, run 'ils-desktop db provision --superuser "
        f"\"host=127.0.0.1 port={password_server.port} user=postgres\" --database {provisioned}' first.")


def test_ctrl_c_at_the_password_prompt_is_exit_130(password_server, provisioned, isolated):
    argv = ["db", "check", "--database-url", password_server.url("ils_app", provisioned)]
    code, shown = in_terminal(argv, _env(isolated), ["\x03"])
    assert code == ExitCode.INTERRUPTED == 130
    assert shown.splitlines()[-1] == "ils-desktop: interrupted."


# --- finding: db set-password ---------------------------------------------------------------------------------
def test_set_password_without_a_keyring_says_so_before_asking(isolated):
    argv = ["db", "set-password", "--database-url", "postgresql://ils_app@server.example/ils"]
    code, shown = in_terminal(argv, _env(isolated), ["never-typed"])
    assert code == ExitCode.NO_KEYRING == 5
    assert "Password for" not in shown
    assert shown.splitlines()[-1].startswith("ils-desktop: This computer has no password store (OS keyring)")


def test_set_password_without_a_terminal_is_one_line(test_keyring, capsys):
    code, _, err = run(["db", "set-password", "--database-url", "postgresql://ils_app@server.example/ils"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err) == "ils-desktop: 'db set-password' reads the password from a terminal, and there is none."


def test_set_password_refuses_a_password_the_server_refuses(password_server, provisioned, isolated, tmp_path):
    server = f"127.0.0.1:{password_server.port}"
    env = _env(isolated, ILS_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"))
    argv = ["db", "set-password", "--database-url", password_server.url("ils_app", provisioned)]
    code, shown = in_terminal(argv, env, ["wrong"])
    assert code == ExitCode.CANNOT_CONNECT
    assert shown.splitlines()[-1] == (f"ils-desktop: The server refused that password for ils_app@{server}/"
                                      f"{provisioned}: nothing was saved.")
    assert not (tmp_path / "keyring.json").exists()


def test_set_password_with_no_server_named(test_keyring, capsys):
    code, _, err = run(["db", "set-password"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err) == ("ils-desktop: No server is named: pass --database-url (or --owner-url), or set "
                             "ILS_DATABASE_URL.")


# --- finding: audit verify on an empty database ---------------------------------------------------------------
def test_audit_verify_on_an_empty_database_says_so(empty_database, capsys):
    code, out, err = run(["audit", "verify", "--database-url", empty_database], capsys)
    assert (code, out, err) == (ExitCode.OK, "No companies in this database: nothing to verify.\n", "")
    code, out, err = run(["audit", "verify", "--json", "--database-url", empty_database], capsys)
    assert (code, json.loads(out), err) == (ExitCode.OK, [], "No companies in this database: nothing to verify.\n")


def test_audit_verify_of_an_unknown_company(server_url, capsys):
    code, _, err = run(["audit", "verify", "--company", "nope"], capsys)
    assert code == ExitCode.USAGE
    assert one_line(err) == "ils-desktop: No company nope in this database."


# --- finding: the device service logs to a file ---------------------------------------------------------------
def test_devices_serve_on_an_empty_database(empty_database, capsys):
    code, _, err = run(["devices", "serve", "--no-dicom", "--database-url", empty_database], capsys)
    assert code == ExitCode.FAILED
    assert re.fullmatch(r"ils-desktop: No practice in this database \(Server .*\) to receive readings for: set "
                        r"one up in ILS Desktop first\.", one_line(err))


def _keep_service_token(keyring_file: Path, database_label: str, company_id: uuid.UUID) -> None:
    """What a manager's first start of ``devices serve`` leaves in the keyring."""
    os.environ["ILS_TEST_KEYRING_FILE"] = str(keyring_file)
    try:
        FileKeyringForTests().set_password("ils-desktop", credentials.service_account(database_label, company_id),
                                           service_token(company_id))
    finally:
        del os.environ["ILS_TEST_KEYRING_FILE"]


def test_devices_serve_logs_to_the_daily_file_and_says_where(server_url, practice, isolated, tmp_path):
    log_file = log_file_for_today(isolated / "logs")
    keyring_file = tmp_path / "keyring.json"
    _keep_service_token(keyring_file, _server_label(server_url), practice.company_id)
    service = subprocess.Popen(
        [sys.executable, "-m", "tests.keyring_runner", "devices", "serve", "--no-dicom", "--company",
         str(practice.company_id)],
        env=_env(isolated, ILS_DATABASE_URL=server_url, ILS_TEST_KEYRING_FILE=str(keyring_file)),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert service.stdout is not None
        assert service.stdout.readline() == f"Logging to {log_file}\n"
        assert service.stdout.readline().startswith("Receiving for Test Opticians")
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert (service.returncode, err) == (0, "")
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert any(re.search(rf"INFO devices-serve\[{service.pid}\] .* receiving device readings for Test Opticians",
                         line) for line in lines)
    assert any(f"devices-serve[{service.pid}]" in line and "device service stopped" in line for line in lines)


def _server_label(url: str) -> str:
    from ils_desktop.db.database import server_target

    return server_target(url).label


def test_devices_serve_on_a_port_in_use_is_one_line(server_url, practice, capsys, test_keyring):
    account = credentials.service_account(_server_label(server_url), practice.company_id)
    test_keyring.set_password("ils-desktop", account, service_token(practice.company_id))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        argv = ["devices", "serve", "--company", str(practice.company_id), "--host", "127.0.0.1",
                "--storage-port", str(port), "--worklist-port", "0"]
        code, out, err = run(argv, capsys)
    assert code == ExitCode.FAILED
    assert one_line(err) == f"ils-desktop: Cannot listen for DICOM on 127.0.0.1 port {port} (Address already in use)."
    assert out.startswith("Logging to ")


def test_the_log_moves_to_the_next_day_file_at_midnight(tmp_path):
    import logging
    from datetime import date

    from ils_desktop.applog import configure_logging

    today = configure_logging(tmp_path, tag="devices-serve")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "log_dir", None) == tmp_path)
    # As if the service had started yesterday: its file is yesterday's.
    yesterday = tmp_path / "ils-desktop-2000-01-01.log"
    handler.close()
    handler.baseFilename, handler.day = str(yesterday), date(2000, 1, 1)
    logging.getLogger("ils_desktop.test").warning("after midnight")
    assert "after midnight" in today.read_text(encoding="utf-8")
    assert "devices-serve[" in today.read_text(encoding="utf-8")


# --- unexpected errors and the exit code table ----------------------------------------------------------------
def test_an_unexpected_error_is_logged_with_its_traceback_and_named_in_one_line(isolated, capsys):
    (isolated / "config").mkdir(parents=True)
    (isolated / "config" / "workstation.json").write_text("{not json")
    code, _, err = run(["db", "check"], capsys)
    log_file = log_file_for_today(isolated / "logs")
    assert code == ExitCode.UNEXPECTED == 70
    assert one_line(err) == f"ils-desktop: unexpected error (JSONDecodeError); the details are in {log_file}"
    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback" in logged and "unexpected error in 'ils-desktop db check'" in logged


def test_the_readme_lists_every_exit_code():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = {int(code) for code in re.findall(r"^\| `(\d+)` \|", commands, re.MULTILINE)}
    assert listed == {int(code) for code in ExitCode}


def test_version_says_which_build_and_which_database_revision(capsys):
    from ils_desktop.db.migrations import head_revision
    from ils_desktop.version import build, release

    assert main(["--version"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"ILS Desktop {release()}") and head_revision() in printed
    # A checkout knows its commit (when git is installed); a bundle carries _build_info.json.
    assert ("(build " in printed) == (build() is not None)
    if shutil.which("git") and (REPO / ".git").exists():
        assert build()

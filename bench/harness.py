"""What every bench script shares: a folder for its own embedded PostgreSQL, and signed-in contexts.

Run as root (CI, containers), the embedded server runs as an unprivileged service user, as it does
for the test suite (``embedded.run_as_service_user_for_tests``); the app itself refuses root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import Engine

from ils_desktop.domain.tenant import TenantContext


@contextlib.contextmanager
def workdir(prefix: str = "ils-bench-") -> Iterator[Path]:
    """A temporary folder for one run's database, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            from ils_desktop.db import embedded

            folder.chmod(0o711)  # the service user passes through, cannot list
            (folder / "clusters").mkdir(mode=0o711)
            embedded.run_as_service_user_for_tests(folder / "clusters")
        yield folder
    finally:
        with contextlib.suppress(Exception):
            from ils_desktop.db import embedded

            embedded.stop_all()
        shutil.rmtree(folder, ignore_errors=True)


def signed(owner: Engine, context: TenantContext) -> TenantContext:
    """``context`` with a session the database accepts (made by the owner role, no argon2 needed)."""
    from ils_desktop.services.seeding import start_session_as_owner

    return start_session_as_owner(owner, context)

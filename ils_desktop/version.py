"""What this build of ILS Desktop is: its release and, when known, the commit it was built from.

Every build used to call itself 0.1.0, so a practice could not tell two workstations apart. The
release number is the package's (``pyproject.toml``); the build is the commit: written into
``_build_info.json`` by the installer build, or read from git when running from a checkout.
Sign-ins record it (``sessions.app_version``), the sign-in window shows it, and
``ils-desktop --version`` prints it with the database revision this build expects.
"""

from __future__ import annotations

import contextlib
import functools
import json
import subprocess
from importlib import metadata
from pathlib import Path

from ils_desktop import __version__

_PACKAGE = Path(__file__).resolve().parent
BUILD_INFO = _PACKAGE / "_build_info.json"


def release() -> str:
    with contextlib.suppress(metadata.PackageNotFoundError):
        return metadata.version("ils-desktop")
    return __version__


@functools.cache
def build() -> str | None:
    """The commit this build was made from (short hash, ``-modified`` when the tree had changes)."""
    with contextlib.suppress(OSError, ValueError):
        info = json.loads(BUILD_INFO.read_text(encoding="utf-8"))
        if isinstance(info, dict) and isinstance(info.get("commit"), str):
            return info["commit"]
    if not (_PACKAGE.parent / ".git").exists():
        return None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(["git", "-C", str(_PACKAGE.parent), "describe", "--always", "--dirty=-modified",
                                "--abbrev=8", "--exclude=*"], capture_output=True, text=True, timeout=5)
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip()
    return None


def describe() -> str:
    """``0.1.0 (build 1a2b3c4d)``, or just the release when the build is unknown."""
    commit = build()
    return f"{release()} (build {commit})" if commit else release()


def write_build_info(commit: str) -> Path:
    """For the installer build: fix the commit into the bundle."""
    BUILD_INFO.write_text(json.dumps({"commit": commit}), encoding="utf-8")
    return BUILD_INFO

"""The staff app's downloads (the dashboard's CSVs): one folder per server, served only by the staff
app behind its login, emptied of old files as new ones are made, removed when the server stops.

:func:`bot.server.build_server` mounts the staff app with this folder as its only extra
``allowed_paths`` and the worker app with it in ``blocked_paths``, so the worker app's
``/gradio_api/file=…`` refuses a staff file even with its exact path.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
import time
import uuid
import weakref
from pathlib import Path

KEEP_SECONDS = 15 * 60
"""A view's files stay downloadable this long; older ones go when the next view is made."""
PREFIX = "laoquan-staff-"


class StaffFiles:
    """A private folder (``laoquan-staff-*`` in the system temp folder, mode 0700)."""

    def __init__(self, parent: Path | None = None):
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.path), True)
        atexit.register(self._cleanup)

    def fresh_folder(self) -> Path:
        """A new empty folder for one view's files; files older than :data:`KEEP_SECONDS` are removed."""
        self.path.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - KEEP_SECONDS
        for entry in self.path.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            except OSError:
                continue
        folder = self.path / uuid.uuid4().hex
        folder.mkdir()
        return folder

    def close(self) -> None:
        """Remove the folder and everything in it (also done at exit)."""
        self._cleanup()

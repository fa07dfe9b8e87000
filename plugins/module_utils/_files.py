# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on the node that runs the module: where a download goes, how it is written, how it is reported.

Knows nothing of Ansible. A destination is checked before any call to vCenter (:func:`resolve_dest`); a file is
written through :class:`AtomicFile` (a temporary file in the destination's directory, fsync, rename over the
destination; on any failure the temporary file is removed and the destination is untouched), and compared with
what the destination held by SHA-256, so an unchanged file is left alone (its mtime too). :class:`Progress`
turns byte counts into the few lines a module can report.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError, VsphereError

HASH_BLOCK = 1024 * 1024
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


@dataclass(frozen=True)
class Dest:
    """A checked destination: a directory (the file name comes later, from vCenter) or a file path."""

    given: str
    directory: str
    name: str | None                 # None: ``given`` is a directory, the name is vCenter's

    def path(self, remote_name: str) -> str:
        return os.path.join(self.directory, self.name or safe_name(remote_name))


def resolve_dest(value: Any, option: str = "dest") -> Dest:
    """``dest`` as a directory (existing, or given with a trailing ``/``) or a file path whose directory exists.

    Raises :class:`OptionError` naming the option and the fix: empty, a directory that does not exist or is not
    writable, a path whose parent is missing or not a directory, an existing path that is neither a regular file
    nor a directory.
    """
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{option} is empty: give a directory (the file gets vCenter's name) or a file path on "
                          "the node that runs the module", option=option)
    path = os.path.abspath(os.path.expanduser(value))
    if os.path.isdir(path):
        _writable_dir(path, option, value)
        return Dest(value, path, None)
    if value.endswith(("/", os.sep)):
        raise OptionError(f"{option} '{value}' ends with '/' but that directory does not exist: create it first "
                          "(e.g. with ansible.builtin.file state=directory)", option=option)
    if os.path.lexists(path) and not os.path.isfile(path):
        raise OptionError(f"{option} '{value}' exists and is not a regular file: give a file path or a directory",
                          option=option)
    parent = os.path.dirname(path)
    if not os.path.exists(parent):
        raise OptionError(f"{option} '{value}': its directory {parent} does not exist: create it first (e.g. with "
                          "ansible.builtin.file state=directory) or give an existing directory", option=option)
    if not os.path.isdir(parent):
        raise OptionError(f"{option} '{value}': {parent} is not a directory", option=option)
    _writable_dir(parent, option, value)
    return Dest(value, parent, os.path.basename(path))


def _writable_dir(path: str, option: str, value: str) -> None:
    if not os.access(path, os.W_OK | os.X_OK):
        raise OptionError(f"{option} '{value}': the directory {path} is not writable by the user running the "
                          "module: choose another directory or fix its permissions (become)", option=option)


def safe_name(remote: str) -> str:
    """A file name vCenter gave (``OFFLINE_BUNDLE_3522351988.zip``) as a plain name: no directory part, no
    leading dot, only letters, digits, ``.``, ``_`` and ``-``; anything else is refused (it would not be a name
    vCenter gives)."""
    name = os.path.basename(str(remote).replace("\\", "/"))
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        raise VsphereError(f"vCenter returned an unusable file name {name!r}: give dest as a file path")
    return name


def sha256_file(path: str) -> str | None:
    """SHA-256 of a regular file, None when there is none."""
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_info(path: str) -> dict[str, Any] | None:
    """``{"path", "sha256", "size"}`` of an existing regular file, else None (for ``--diff``)."""
    digest = sha256_file(path)
    if digest is None:
        return None
    return {"path": path, "sha256": digest, "size": os.path.getsize(path)}


class HashSink:
    """A write-only sink that only counts and hashes (check mode: the content is compared, nothing is written)."""

    def __init__(self) -> None:
        self.size = 0
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


class AtomicFile:
    """Write a file next to ``dest`` and move it into place only when asked.

    ``with AtomicFile(dest) as f: f.write(...); f.commit()``: the data goes to a hidden temporary file in the
    same directory (same file system, so the final rename is atomic), ``commit`` fsyncs it, gives it the mode
    (and, when allowed, the owner) the destination had, or the umask's default mode for a new file, renames it
    over ``dest`` and fsyncs the directory. Leaving the block without ``commit`` (an error, or a decision to keep
    the old file) removes the temporary file: the destination is never partial.
    """

    def __init__(self, dest: str) -> None:
        self.dest = dest
        directory, name = os.path.split(dest)
        self.directory = directory or "."
        fd, self.tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=self.directory)
        self._file = os.fdopen(fd, "wb")
        self.committed = False

    def write(self, data: bytes) -> int:
        return self._file.write(data)

    def commit(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        _take_attributes(self.tmp, self.dest)
        os.replace(self.tmp, self.dest)
        self.committed = True
        _fsync_dir(self.directory)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        if not self.committed:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()


def _take_attributes(tmp: str, dest: str) -> None:
    """The temporary file gets the destination's mode (and owner/group where permitted), or for a new file the
    mode a plain ``open()`` would give (0666 minus the umask); mkstemp's 0600 would otherwise stick."""
    try:
        st = os.stat(dest)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        return
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except (PermissionError, AttributeError):
        pass


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- progress
def human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


class Progress:
    """Progress lines of one download, for a module result (modules cannot stream output) and a live log.

    Large downloads (``large`` bytes or more, or of unknown size) get a line at every ``step`` percent of the
    size (or every ``large`` bytes when the size is unknown); every download gets a final line with size, time
    and rate. Each line is also passed to ``emit`` as it happens (the module's log), so a long download can be
    followed on the node while it runs.
    """

    def __init__(self, label: str, *, large: int = 64 * 1024 * 1024, step: int = 10,
                 clock: Callable[[], float] = time.monotonic, emit: Callable[[str], None] | None = None) -> None:
        self.label = label
        self.large = large
        self.step = step
        self.clock = clock
        self.emit = emit
        self.lines: list[str] = []
        self.start = clock()
        self._next_mark: float | None = None

    def _add(self, line: str) -> None:
        self.lines.append(line)
        if self.emit is not None:
            self.emit(line)

    def __call__(self, done: int, total: int | None) -> None:
        if total is not None and total < self.large:
            return
        if total is None:
            mark, unit = done // self.large, None
        else:
            mark, unit = (done * 100 // total) // self.step, total
        if self._next_mark is None:
            self._next_mark = 1
        if mark < self._next_mark or (unit is not None and mark * self.step >= 100):
            return                                  # the end has its own line (finish)
        self._next_mark = mark + 1
        elapsed = self.clock() - self.start
        if unit is None:
            self._add(f"{self.label}: {human_bytes(done)} so far ({elapsed:.1f} s)")
        else:
            self._add(f"{self.label}: {mark * self.step}% ({human_bytes(done)} of {human_bytes(unit)}, "
                      f"{elapsed:.1f} s)")

    def finish(self, size: int) -> str:
        elapsed = max(self.clock() - self.start, 1e-6)
        line = f"{self.label}: {human_bytes(size)} in {elapsed:.1f} s ({human_bytes(size / elapsed)}/s)"
        self._add(line)
        return line

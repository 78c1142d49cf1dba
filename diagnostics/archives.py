"""Safe extraction of uploaded archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz) and
uploaded files into a private folder.

Refused, with a one-line ReaderError naming the archive and the member: paths that would land
outside the folder (absolute, drive letters, `..`), symlinks/hard links/device files, more
members than `max_files`, and expansion past `max_bytes` -- checked on the declared sizes
before anything is written AND on the bytes actually written (a zip can lie about sizes).
"""
from __future__ import annotations

import io
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from diagnostics.records import ReaderError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def stem(name: str) -> str:
    """The archive's name without its suffix, as one safe folder name."""
    base = re.split(r"[\\/]", name)[-1]
    for suffix in ARCHIVE_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    base = base.strip()
    return base if base not in ("", ".", "..") else "archive"


class _Budget:
    """Bytes left to write across one upload; raises when spent."""

    def __init__(self, name: str, max_bytes: int):
        self.name, self.max_bytes, self.left = name, max_bytes, max_bytes

    def check(self, declared: int, what: str) -> None:
        """Refuse before writing when the sizes the archive declares do not fit."""
        if declared > self.left:
            raise ReaderError(self.name, f"{what} would expand past {self.max_bytes} bytes "
                                         f"(Limits.max_bytes; zip bomb?); archive refused")

    def take(self, n: int, member: str) -> None:
        self.left -= n
        if self.left < 0:
            raise ReaderError(self.name, f"expands past {self.max_bytes} bytes while extracting "
                                         f"'{member}' (Limits.max_bytes; zip bomb?); archive refused")


def _member_path(archive: str, member: str) -> PurePosixPath:
    """The member's relative path, or ReaderError when it could escape the folder."""
    name = member.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or _DRIVE.match(name):
        raise ReaderError(archive, f"member '{member}' has an absolute path; archive refused")
    if ".." in parts:
        raise ReaderError(archive, f"member '{member}' escapes the extraction folder (..); archive refused")
    if not parts or "\0" in name:
        raise ReaderError(archive, f"member '{member}' has no usable name; archive refused")
    return PurePosixPath(*parts)


def _target(dest: Path, rel: PurePosixPath, archive: str) -> Path:
    target = dest.joinpath(*rel.parts)
    if not target.resolve().is_relative_to(dest.resolve()):  # e.g. through a folder named like a link
        raise ReaderError(archive, f"member '{rel}' escapes the extraction folder; archive refused")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _copy(src, target: Path, budget: _Budget, member: str, declared: int | None) -> None:
    written = 0
    with open(target, "wb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            budget.take(len(chunk), member)
            if declared is not None and written > declared:
                raise ReaderError(budget.name, f"member '{member}' is larger than it declares; archive refused")
            out.write(chunk)


def extract(name: str, data: bytes | Path, dest: Path, *, max_bytes: int, max_files: int,
            budget: _Budget | None = None) -> None:
    """Extract archive `name` (its bytes, or a path to it) into dest, safely."""
    budget = budget or _Budget(name, max_bytes)
    dest.mkdir(parents=True, exist_ok=True)
    source = io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")  # noqa: SIM115
    try:
        with source:
            if name.lower().endswith(".zip"):
                _extract_zip(name, source, dest, budget, max_files)
            else:
                _extract_tar(name, source, dest, budget, max_files)
    except ReaderError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError, RuntimeError,
            ValueError, NotImplementedError) as err:
        shutil.rmtree(dest, ignore_errors=True)
        raise ReaderError(name, f"not a readable archive ({type(err).__name__}: {err})".splitlines()[0]) from None


def _extract_zip(name: str, source, dest: Path, budget: _Budget, max_files: int) -> None:
    with zipfile.ZipFile(source) as zf:
        infos = zf.infolist()
        if len(infos) > max_files:
            raise ReaderError(name, f"{len(infos)} members, more than {max_files} (Limits.max_files); archive refused")
        budget.check(sum(i.file_size for i in infos), f"its {len(infos)} member(s)")
        for info in infos:
            rel = _member_path(name, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ReaderError(name, f"member '{info.filename}' is a symlink; archive refused")
            if info.is_dir():
                _target(dest, rel, name).mkdir(exist_ok=True)
                continue
            with zf.open(info) as src:
                _copy(src, _target(dest, rel, name), budget, info.filename, info.file_size)


def _extract_tar(name: str, source, dest: Path, budget: _Budget, max_files: int) -> None:
    with tarfile.open(fileobj=source, mode="r:*") as tf:
        count = 0
        while (member := tf.next()) is not None:  # streaming: headers are checked as they come
            count += 1
            if count > max_files:
                raise ReaderError(name, f"more than {max_files} members (Limits.max_files); archive refused")
            rel = _member_path(name, member.name)
            if member.issym() or member.islnk():
                raise ReaderError(name, f"member '{member.name}' is a link; archive refused")
            if member.isdir():
                _target(dest, rel, name).mkdir(exist_ok=True)
                continue
            if not member.isfile():
                raise ReaderError(name, f"member '{member.name}' is a device or pipe; archive refused")
            budget.check(member.size, f"member '{member.name}'")
            src = tf.extractfile(member)
            _copy(src, _target(dest, rel, name), budget, member.name, member.size)
            tf.members = []  # keep memory flat on huge archives


def write_uploads(files: list[tuple[str, bytes]], dest: Path, *, max_bytes: int, max_files: int) -> None:
    """Write uploaded files into dest: archives into dest/<stem>/, others at their (checked)
    relative names. One byte budget covers the whole upload."""
    if len(files) > max_files:
        raise ReaderError("upload", f"{len(files)} files, more than {max_files} (Limits.max_files)")
    budget = _Budget("upload", max_bytes)
    for name, data in files:
        if is_archive(name):
            budget.name = name
            extract(name, data, dest / stem(name), max_bytes=max_bytes, max_files=max_files, budget=budget)
            continue
        rel = _member_path(name, name)
        budget.name = name
        budget.take(len(data), name)
        _target(dest, rel, name).write_bytes(data)

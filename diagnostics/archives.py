"""Safe extraction of uploaded archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz) and
uploaded files into a private folder.

Refused, with a one-line ReaderError naming the archive and the member: paths that would land
outside the folder (absolute, drive letters, `..`), symlinks/hard links/device files, more
members than `max_files`, and expansion past the byte budget -- checked on the declared sizes
before anything is written AND on the bytes actually written (a zip can lie about sizes).

The byte budget of one upload or archive is `max_bytes`, and at most `max_ratio` times its own
size (never less than `RATIO_FLOOR`): event files compress 3-10x, so a 1.5 MB zip that expands
to 1.5 GB is a bomb, refused before a byte is written. A zip declares every member's size in
its directory; a tar only in each member's header, so a tar is read twice: first its headers
(names, kinds, count and declared sizes checked, nothing written), then its members.
"""
from __future__ import annotations

import io
import lzma
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from diagnostics.errors import ReaderError
from diagnostics.files import open_regular
from diagnostics.messages import Msg

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
MAX_RATIO = 100  # bytes written per byte of archive (Limits.max_ratio)
RATIO_FLOOR = 64 << 20  # ...but any archive may expand to this much
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
    """Bytes left to write across one upload; raises when spent. `ratio`: (max_ratio, input
    bytes) when the ratio, not `max_bytes`, sets the limit."""

    def __init__(self, name: str, max_bytes: int, ratio: tuple[int, int] | None = None):
        self.name, self.max_bytes, self.left, self.ratio = name, max_bytes, max_bytes, ratio

    @classmethod
    def of(cls, name: str, size: int, max_bytes: int, max_ratio: int) -> _Budget:
        """The budget of `size` input bytes: max_bytes, or less when the ratio says so."""
        by_ratio = max(RATIO_FLOOR, max_ratio * size)
        if by_ratio < max_bytes:
            return cls(name, by_ratio, (max_ratio, size))
        return cls(name, max_bytes)

    def _past(self, what: str, **params) -> ReaderError:
        """The refusal `archive.<what>_past_bytes`, or `..._past_ratio` when the ratio set the limit."""
        if self.ratio:
            return ReaderError(self.name, Msg(f"archive.{what}_past_ratio", n=self.max_bytes, **params,
                                              r=self.ratio[0], size=self.ratio[1]))
        return ReaderError(self.name, Msg(f"archive.{what}_past_bytes", n=self.max_bytes, **params))

    def check(self, declared: int, member: str | None = None, members: int = 0) -> None:
        """Refuse before writing when the sizes the archive declares do not fit: those of one
        `member`, or of all the archive's `members` (a count)."""
        if declared > self.left:
            raise self._past("member", member=member) if member is not None else self._past("members", k=members)

    def take(self, n: int, member: str) -> None:
        self.left -= n
        if self.left < 0:
            raise self._past("extracting", member=member)


def _member_path(archive: str, member: str) -> PurePosixPath:
    """The member's relative path, or ReaderError when it could escape the folder."""
    name = member.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or _DRIVE.match(name):
        raise ReaderError(archive, Msg("archive.absolute", member=member))
    if ".." in parts:
        raise ReaderError(archive, Msg("archive.escapes_dotdot", member=member))
    if not parts or "\0" in name:
        raise ReaderError(archive, Msg("archive.no_name", member=member))
    return PurePosixPath(*parts)


def _target(dest: Path, rel: PurePosixPath, archive: str) -> Path:
    target = dest.joinpath(*rel.parts)
    if not target.resolve().is_relative_to(dest.resolve()):  # e.g. through a folder named like a link
        raise ReaderError(archive, Msg("archive.escapes", member=str(rel)))
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _copy(src, target: Path, budget: _Budget, member: str, declared: int | None) -> None:
    written = 0
    with open(target, "wb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            budget.take(len(chunk), member)
            if declared is not None and written > declared:
                raise ReaderError(budget.name, Msg("archive.larger_than_declared", member=member))
            out.write(chunk)


def extract(name: str, data: bytes | Path, dest: Path, *, max_bytes: int, max_files: int,
            max_ratio: int = MAX_RATIO, budget: _Budget | None = None) -> None:
    """Extract archive `name` (its bytes, or a path to it) into dest, safely."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else open_regular(data)
        with source:
            size = source.seek(0, io.SEEK_END)
            source.seek(0)
            budget = budget or _Budget.of(name, size, max_bytes, max_ratio)
            if name.lower().endswith(".zip"):
                _extract_zip(name, source, dest, budget, max_files)
            else:
                _extract_tar(name, source, dest, budget, max_files)
    except ReaderError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError, RuntimeError,
            ValueError, NotImplementedError, lzma.LZMAError) as err:
        shutil.rmtree(dest, ignore_errors=True)
        why = " ".join(f"{type(err).__name__}: {err}".split())[:300]
        raise ReaderError(name, Msg("archive.unreadable", why=why)) from None


def _extract_zip(name: str, source, dest: Path, budget: _Budget, max_files: int) -> None:
    with zipfile.ZipFile(source) as zf:
        infos = zf.infolist()
        if len(infos) > max_files:
            raise ReaderError(name, Msg("archive.too_many_members", k=len(infos), n=max_files))
        budget.check(sum(i.file_size for i in infos), members=len(infos))
        for info in infos:
            rel = _member_path(name, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ReaderError(name, Msg("archive.symlink", member=info.filename))
            if info.is_dir():
                _target(dest, rel, name).mkdir(exist_ok=True)
                continue
            with zf.open(info) as src:
                _copy(src, _target(dest, rel, name), budget, info.filename, info.file_size)


def _extract_tar(name: str, source, dest: Path, budget: _Budget, max_files: int) -> None:
    # First the headers only: every refusal (a bad name, a link, too many members, too many
    # bytes declared) comes before anything is written.
    declared = 0  # by the members so far
    for member, _ in _tar_members(name, source, max_files):
        if member.isfile():
            budget.check(declared + member.size, member.name)
            declared += member.size
    source.seek(0)
    for member, data in _tar_members(name, source, max_files, extract=True):
        rel = _member_path(name, member.name)
        if member.isdir():
            _target(dest, rel, name).mkdir(exist_ok=True)
            continue
        budget.check(member.size, member.name)
        _copy(data, _target(dest, rel, name), budget, member.name, member.size)


def _tar_members(name: str, source, max_files: int, extract: bool = False):
    """The tar's members, checked one by one as they stream past (memory stays flat)."""
    with tarfile.open(fileobj=source, mode="r:*") as tf:
        count = 0
        while (member := tf.next()) is not None:
            count += 1
            if count > max_files:
                raise ReaderError(name, Msg("archive.more_members", n=max_files))
            _member_path(name, member.name)
            if member.issym() or member.islnk():
                raise ReaderError(name, Msg("archive.link", member=member.name))
            if not (member.isdir() or member.isfile()):
                raise ReaderError(name, Msg("archive.device", member=member.name))
            yield member, tf.extractfile(member) if extract and member.isfile() else None
            tf.members = []  # keep memory flat on huge archives


def write_uploads(files: list[tuple[str, bytes]], dest: Path, *, max_bytes: int, max_files: int,
                  max_ratio: int = MAX_RATIO) -> None:
    """Write uploaded files into dest: archives into dest/<stem>/, others at their (checked)
    relative names. One byte budget covers the whole upload."""
    if len(files) > max_files:
        raise ReaderError("upload", Msg("upload.too_many_files", k=len(files), n=max_files))
    budget = _Budget.of("upload", sum(len(data) for _, data in files), max_bytes, max_ratio)
    for name, data in files:
        if is_archive(name):
            budget.name = name
            extract(name, data, dest / stem(name), max_bytes=max_bytes, max_files=max_files, budget=budget)
            continue
        rel = _member_path(name, name)
        budget.name = name
        budget.take(len(data), name)
        _target(dest, rel, name).write_bytes(data)

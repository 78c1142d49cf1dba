"""Uploads and archives: the happy paths, and the attacks that must be refused whole."""
from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from diagnostics import archives
from diagnostics.reader import Limits, ReaderError, load, load_uploads
from tests.test_reader_writers import simple, tensor_scalar, write_events


@pytest.fixture()
def keras_logs(tmp_path) -> Path:
    logs = tmp_path / "logs"
    write_events(logs / "train", [(e, [tensor_scalar("epoch_loss", 1.0 / (e + 1), first=e == 0)]) for e in range(4)])
    write_events(logs / "validation", [(e, [tensor_scalar("epoch_loss", 2.0, first=e == 0)]) for e in range(4)])
    return logs


def _zip(members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return out.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w:gz", links: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, (kind, target) in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tf.addfile(info)
    return out.getvalue()


def _members(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder.parent).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_zip_and_tgz_uploads_load_as_the_folder_would(keras_logs, tmp_path):
    members = _members(keras_logs)
    for name, data in [("logs.zip", _zip(members)), ("logs.tgz", _tar(members)), ("logs.tar", _tar(members, "w"))]:
        (run,) = load_uploads([(name, data)]).runs
        assert run.run == "logs" and run.tag_map == {"epoch_loss": "train/loss", "validation/epoch_loss": "val/loss"}
        assert len(run.scalars) == 8 and run.path == ""
    (tmp_path / "logs.tar.gz").write_bytes(_tar(members))
    assert load(tmp_path / "logs.tar.gz").runs[0].has("val/loss")


def test_several_loose_event_files_are_one_run(tmp_path):
    a = write_events(tmp_path / "a", [(s, [simple("loss", 1.0)]) for s in range(3)], stamp=10)
    b = write_events(tmp_path / "b", [(s, [simple("loss", 2.0)]) for s in range(3, 6)], stamp=20)
    result = load_uploads([(a.name, a.read_bytes()), (b.name, b.read_bytes())])
    (run,) = result.runs
    assert run.run == "upload" and list(run.scalar("train/loss").index) == list(range(6))
    assert result.errors == []


@pytest.mark.parametrize("member,why", [
    ("../evil.txt", "escapes the extraction folder"),
    ("logs/../../evil.txt", "escapes the extraction folder"),
    ("..\\evil.txt", "escapes the extraction folder"),
    ("/tmp/evil.txt", "absolute path"),
    ("C:\\evil.txt", "absolute path"),
])
def test_member_paths_that_escape_are_refused(member, why, tmp_path):
    for name, data in [("x.zip", _zip({"ok/events.out.tfevents.1.h": b"", member: b"x"})),
                       ("x.tar.gz", _tar({"ok/events.out.tfevents.1.h": b"", member: b"x"}))]:
        with pytest.raises(ReaderError, match=why) as err:
            load_uploads([(name, data)])
        assert str(err.value).startswith(f"{name}: ") and "\n" not in str(err.value)
    assert not (tmp_path.parent / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_links_in_archives_are_refused():
    with pytest.raises(ReaderError, match="is a symlink"):
        load_uploads([("x.zip", _zip({"a.txt": b"a"}, symlinks=("link",)))])
    with pytest.raises(ReaderError, match="is a link"):
        load_uploads([("x.tgz", _tar({}, links={"link": (tarfile.SYMTYPE, "/etc/passwd")}))])
    with pytest.raises(ReaderError, match="is a link"):
        load_uploads([("x.tgz", _tar({"a": b"a"}, links={"hard": (tarfile.LNKTYPE, "a")}))])


def test_zip_bomb_by_declared_size_is_refused_before_writing():
    data = _zip({"events.out.tfevents.1.h": bytes(5_000_000)})  # ~5 KB compressed
    assert len(data) < 20_000
    with pytest.raises(ReaderError, match="would expand past 1000000 bytes"):
        load_uploads([("bomb.zip", data)], limits=Limits(max_bytes=1_000_000))
    with pytest.raises(ReaderError, match="would expand past 1000000 bytes"):
        load_uploads([("bomb.tgz", _tar({"events.out.tfevents.1.h": bytes(5_000_000)}))],
                     limits=Limits(max_bytes=1_000_000))


def test_zip_bomb_by_actual_size_is_refused():
    """A zip whose directory claims 100 bytes for a 5 MB member: never more than declared."""
    data = bytearray(_zip({"events.out.tfevents.1.h": bytes(5_000_000)}))
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")  # uncompressed size
    with pytest.raises(ReaderError, match="bomb.zip: "):
        load_uploads([("bomb.zip", bytes(data))], limits=Limits(max_bytes=1_000_000))
    # one budget spans all uploads of one call
    small = _zip({"events.out.tfevents.1.h": bytes(600_000)})
    with pytest.raises(ReaderError, match="b.zip: its 1 member"):
        load_uploads([("a.zip", small), ("b.zip", small)], limits=Limits(max_bytes=1_000_000))


def test_bytes_actually_written_are_counted(tmp_path):
    """Whatever a member declares, extraction stops once the bytes written pass the limit."""
    budget = archives._Budget("x.zip", 1_000_000)  # noqa: SLF001 - the counter behind extract()
    with pytest.raises(ReaderError, match="x.zip: expands past 1000000 bytes while extracting 'm'"):
        archives._copy(io.BytesIO(bytes(3_000_000)), tmp_path / "m", budget, "m", None)  # noqa: SLF001
    with pytest.raises(ReaderError, match="larger than it declares"):
        archives._copy(io.BytesIO(bytes(200)), tmp_path / "n", archives._Budget("x.zip", 10**6), "n", 100)  # noqa: SLF001


def test_too_many_files_are_refused():
    members = {f"r/events.out.tfevents.{i}.h": b"" for i in range(20)}
    with pytest.raises(ReaderError, match="more than 10"):
        load_uploads([("many.zip", _zip(members))], limits=Limits(max_files=10))
    with pytest.raises(ReaderError, match="more than 10"):
        load_uploads([("many.tgz", _tar(members))], limits=Limits(max_files=10))
    with pytest.raises(ReaderError, match="more than 10"):
        load_uploads([(f"events.out.tfevents.{i}.h", b"") for i in range(11)], limits=Limits(max_files=10))


def test_unsafe_loose_names_and_broken_archives_are_refused():
    with pytest.raises(ReaderError, match="escapes"):
        load_uploads([("../events.out.tfevents.1.h", b"x")])
    with pytest.raises(ReaderError, match="not a readable archive"):
        load_uploads([("broken.zip", b"PK\x03\x04 not really")])
    with pytest.raises(ReaderError, match="not a readable archive"):
        load_uploads([("broken.tgz", b"\x1f\x8b\x08 not really")])

"""Back-end messages in the Chinese UI: every reader problem and config/re-run error, produced
for real, reads as Chinese with its numbers and names kept; English stays as it was."""
from __future__ import annotations

import io
import os
import re
import struct
import tarfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
import streamlit as st
from tensorboard.summary.writer.record_writer import RecordWriter

from diagnostics import archives, cli, reader
from diagnostics.messages_zh import READER_MESSAGES, translate
from diagnostics.reader import Limits, ReaderError, load, load_uploads
from diagnostics.remedies import all_rule_ids, general_tips, remedies_for
from tests.test_app import ok, start, texts, upload
from tests.test_reader_archives import _tar, _zip
from tests.test_reader_writers import OLD, simple, write_events
from trainers import rerun
from trainers.config import ConfigError, TrainConfig, apply_change, parse_set
from ui import backend_zh

CJK = re.compile(r"[\u4e00-\u9fff]")
# Names of things that stay as they are inside the Chinese text.
IDENTIFIERS = ("file_version", "CRC", "Limits.max_files", "Limits.max_bytes", "Git LFS", "TFRecord",
               "*.profile-empty", "JSON", "Event", "config.json", "true/false", "key=value", "--change",
               "--remedy", "--seed", "KEY=VALUE")


@pytest.fixture(autouse=True)
def _fresh_caches():
    reader.clear_cache()
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def assert_translated(message: str, zh: str, en: str) -> None:
    """Chinese, different from the English, with every number, quoted name and identifier kept."""
    assert en == message
    assert zh != message and CJK.search(zh), message
    kept = re.findall(r"\d+", message) + re.findall(r"'([^']*)'", message)
    kept += [word for word in IDENTIFIERS if word in message]
    assert all(k in zh for k in kept), (message, zh)


# ---- the reader's messages, made for real ------------------------------------------------------


def _problems(root: Path, **kw) -> list[str]:
    return [e.message for e in load(root, **kw).errors]


def _refusal(call: Callable[[], object]) -> list[str]:
    """A refused input as the UI shows it: '<file>: <problem>' (also its bare problem)."""
    with pytest.raises(ReaderError) as err:
        call()
    return [str(err.value), err.value.problem]


def _event_file(folder: Path, steps: int = 10) -> tuple[Path, bytes, list[int]]:
    """A real event file, its bytes and where each record starts (the first is file_version)."""
    path = write_events(folder, [(s, [simple("loss", float(s))]) for s in range(steps)])
    data, heads = path.read_bytes(), [0]
    while (nxt := heads[-1] + 16 + struct.unpack_from("<Q", data, heads[-1])[0]) < len(data):
        heads.append(nxt)
    return path, data, heads


def _rewrite(path: Path, data: bytes, mtime: float = OLD) -> Path:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path.parent


def _raw_records(path: Path, *records: bytes) -> None:
    with open(path, "wb") as fh:
        writer = RecordWriter(fh)
        for data in records:
            writer.write(data)


def empty_file(tmp: Path) -> list[str]:
    (tmp / "events.out.tfevents.1.h").write_bytes(b"")
    return _problems(tmp)


def text_file(tmp: Path) -> list[str]:
    (tmp / "events.out.tfevents.1.h").write_text("loss,step\n0.5,1\n")
    return _problems(tmp)


def random_bytes(tmp: Path) -> list[str]:
    (tmp / "events.out.tfevents.1.h").write_bytes(bytes(range(7, 250)) * 3)
    return _problems(tmp)


def git_lfs_pointer(tmp: Path) -> list[str]:
    (tmp / "events.out.tfevents.1.h").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 8120\n")
    return _problems(tmp)


def truncated(tmp: Path) -> list[str]:
    path, data, _ = _event_file(tmp)
    return _problems(_rewrite(path, data[:-7]))


def crc_flipped(tmp: Path) -> list[str]:
    path, data, heads = _event_file(tmp)
    bad = bytearray(data)
    bad[heads[4] - 1] ^= 0xFF  # the data CRC of the record before the fifth
    return _problems(_rewrite(path, bytes(bad)))


def length_damaged(tmp: Path) -> list[str]:
    path, data, heads = _event_file(tmp)
    bad = bytearray(data)
    bad[heads[4]] ^= 0x04  # a length that no longer matches its CRC
    return _problems(_rewrite(path, bytes(bad)))


def junk_in_front(tmp: Path) -> list[str]:
    path, data, _ = _event_file(tmp)
    return _problems(_rewrite(path, b"junkjunk" + data))


def junk_at_the_end(tmp: Path) -> list[str]:
    path, data, _ = _event_file(tmp)
    return _problems(_rewrite(path, data + b"\xff" * 20))


def header_cut(tmp: Path) -> list[str]:
    path, data, heads = _event_file(tmp)
    return _problems(_rewrite(path, data[heads[1]:]))


def header_only(tmp: Path) -> list[str]:
    write_events(tmp / "old", [])
    live = write_events(tmp / "live", [], wall0=time.time())
    os.utime(live)  # just written: a writer may still be at it
    return _problems(tmp)


def not_protobufs(tmp: Path) -> list[str]:
    for folder in ("old", "live"):
        (tmp / folder).mkdir()
    _raw_records(tmp / "old" / "events.out.tfevents.1.h", b"\xff\xff\xff")
    os.utime(tmp / "old" / "events.out.tfevents.1.h", (OLD, OLD))
    # Live: its one record starts with a fresh wall_time (field 1) but is no valid Event.
    _raw_records(tmp / "live" / "events.out.tfevents.1.h", b"\x09" + struct.pack("<d", time.time()) + b"\xff\xff")
    return _problems(tmp)


def profiler_marker(tmp: Path) -> list[str]:
    path = write_events(tmp, [])
    path.rename(tmp / "events.out.tfevents.7.host.profile-empty")
    return _problems(tmp)


def unreadable(tmp: Path) -> list[str]:
    write_events(tmp, [(0, [simple("loss", 1.0)])])
    (tmp / "events.out.tfevents.9.gone").symlink_to(tmp / "deleted")  # inside the root, dangling
    (tmp / "config.json").write_text("{not json")
    return _problems(tmp)


def symlinks_out(tmp: Path) -> list[str]:
    outside = write_events(tmp / "outside", [(0, [simple("loss", 1.0)])])
    root = tmp / "root"
    write_events(root / "inside", [(0, [simple("loss", 2.0)])])
    (root / "inside" / "events.out.tfevents.9.link").symlink_to(outside)
    (root / "linked").symlink_to(tmp / "outside", target_is_directory=True)
    return _problems(root)


def folder_limits(tmp: Path) -> list[str]:
    for i in range(3):
        write_events(tmp / f"r{i}", [(0, [simple("loss", 1.0)])])
    return [*_refusal(lambda: load(tmp, limits=Limits(max_files=2))),
            *_refusal(lambda: load(tmp, limits=Limits(max_bytes=100))),
            *_refusal(lambda: load(tmp / "missing"))]


def unsafe_members(tmp: Path) -> list[str]:
    good = {"ok/events.out.tfevents.1.h": b""}
    out = []
    for member in ("../evil.txt", "/tmp/evil.txt"):
        out += _refusal(lambda: load_uploads([("x.zip", _zip({**good, member: b"x"}))]))
    out += _refusal(lambda: load_uploads([("x.tgz", _tar({".": b"x"}))]))
    (tmp / "dest").mkdir()
    (tmp / "dest" / "link").symlink_to(tmp)  # a folder that leads out of the extraction folder
    out += _refusal(lambda: archives._target(tmp / "dest", PurePosixPath("link/x"), "x.zip"))  # noqa: SLF001
    return out


def links_in_archives(tmp: Path) -> list[str]:
    fifo = tarfile.TarInfo("pipe")
    fifo.type = tarfile.FIFOTYPE
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        tf.addfile(fifo)
    symlink = {"link": (tarfile.SYMTYPE, "/etc/passwd")}
    return [*_refusal(lambda: load_uploads([("x.zip", _zip({"a.txt": b"a"}, symlinks=("link",)))])),
            *_refusal(lambda: load_uploads([("x.tgz", _tar({}, links=symlink))])),
            *_refusal(lambda: load_uploads([("x.tar", buf.getvalue())]))]


def zip_bombs(tmp: Path) -> list[str]:
    small = Limits(max_bytes=1_000_000)
    big = {"events.out.tfevents.1.h": bytes(5_000_000)}
    # A member holding more than it declares: zipfile never hands out more, so straight to the copy.
    budget = archives._Budget("x.zip", 10**6)  # noqa: SLF001
    lying = lambda: archives._copy(io.BytesIO(bytes(200)), tmp / "n", budget, "n", 100)  # noqa: E731, SLF001
    return [*_refusal(lambda: load_uploads([("bomb.zip", _zip(big))], limits=small)),
            *_refusal(lambda: load_uploads([("bomb.tgz", _tar(big))], limits=small)),
            *_refusal(lambda: load_uploads([("events.out.tfevents.1.h", bytes(2_000_000))], limits=small)),
            *_refusal(lying)]


def too_many_and_broken(tmp: Path) -> list[str]:
    members = {f"r/events.out.tfevents.{i}.h": b"" for i in range(20)}
    ten = Limits(max_files=10)
    return [*_refusal(lambda: load_uploads([("many.zip", _zip(members))], limits=ten)),
            *_refusal(lambda: load_uploads([("many.tgz", _tar(members))], limits=ten)),
            *_refusal(lambda: load_uploads([(f"events.{i}.tfevents", b"") for i in range(11)], limits=ten)),
            *_refusal(lambda: load_uploads([("broken.zip", b"PK\x03\x04 not really")]))]


def _framed(path: Path, *records: bytes, junk_between: bytes = b"") -> Path:
    """Records framed by TensorBoard's RecordWriter, optional junk after each; an old mtime."""
    out = io.BytesIO()
    writer = RecordWriter(out)
    for data in records:
        writer.write(data)
        out.write(junk_between)
    path.write_bytes(out.getvalue())
    os.utime(path, (OLD, OLD))
    return path.parent


def hostile_records(tmp: Path) -> list[str]:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    good = event_pb2.Event(wall_time=1.0, step=1, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="loss", simple_value=0.5)])).SerializeToString()
    bad_histo = summary_pb2.HistogramProto(min=0, max=1, bucket=[1, 2, 3], bucket_limit=[0.5])
    malformed = event_pb2.Event(wall_time=1.0, step=2, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="h", histo=bad_histo)])).SerializeToString()
    (tmp / "spans").mkdir()
    (tmp / "summaries").mkdir()
    return [*_problems(_framed(tmp / "spans" / "events.out.tfevents.1.h", *[good] * 8, junk_between=b"junk")),
            *_problems(_framed(tmp / "summaries" / "events.out.tfevents.1.h", good, malformed, b""))]


def hostile_folders(tmp: Path) -> list[str]:
    from unittest import mock

    from diagnostics import discover

    real_file = write_events(tmp / "run", [(0, [simple("loss", 1.0)])])
    os.mkfifo(tmp / "run" / "events.out.tfevents.9.fifo")
    (tmp / "run" / "events.out.tfevents.8.link").symlink_to(real_file)
    write_events(tmp / "a" / "b" / "c", [(0, [simple("loss", 1.0)])])
    (tmp / "locked").mkdir()
    real = os.scandir

    def scandir(path):  # a folder without permission (tests may run as root, who has them all)
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    with mock.patch.object(discover.os, "scandir", scandir):
        made = _problems(tmp, limits=Limits(max_depth=2))
    with mock.patch.object(discover, "MAX_FOLDERS", 2):
        made += _problems(tmp)
    return [*made, *_refusal(lambda: load("")), *_refusal(lambda: load(tmp / "run" / "events.out.tfevents.9.fifo"))]


def ratio_bombs(tmp: Path) -> list[str]:
    from unittest import mock

    zeros = {"events.out.tfevents.1.h": bytes(3_000_000)}
    with mock.patch.object(archives, "RATIO_FLOOR", 100_000):
        return [*_refusal(lambda: load_uploads([("bomb.zip", _zip(zeros))])),
                *_refusal(lambda: load_uploads([("bomb.tgz", _tar(zeros))])),
                *_refusal(lambda: archives._copy(io.BytesIO(bytes(200_000)), tmp / "m",  # noqa: SLF001
                                                 archives._Budget.of("x.zip", 10, 10**9, 100), "m", None))]  # noqa: SLF001


PRODUCERS = [empty_file, text_file, random_bytes, git_lfs_pointer, truncated, crc_flipped, length_damaged,
             junk_in_front, junk_at_the_end, header_cut, header_only, not_protobufs, profiler_marker,
             unreadable, symlinks_out, folder_limits, unsafe_members, links_in_archives, zip_bombs,
             too_many_and_broken, hostile_records, hostile_folders, ratio_bombs]


@pytest.mark.parametrize("produce", PRODUCERS, ids=lambda f: f.__name__)
def test_each_reader_message_reads_as_chinese(produce, tmp_path):
    messages = produce(tmp_path)
    assert messages
    for message in messages:
        assert_translated(message, translate(message, "zh"), translate(message, "en"))


def test_every_reader_message_of_the_table_was_made_for_real(tmp_path):
    made = []
    for i, produce in enumerate(PRODUCERS):
        (tmp_path / str(i)).mkdir()
        made += produce(tmp_path / str(i))
    missed = [p.pattern for p, _ in READER_MESSAGES if not any(p.fullmatch(m) for m in made)]
    assert missed == []


def test_the_command_line_report_lists_skipped_files_in_its_language(tmp_path, capsys):
    write_events(tmp_path, [(s, [simple("loss", 1.0 / (s + 1))]) for s in range(30)])
    (tmp_path / "events.out.tfevents.9.h").write_bytes(b"")
    for lang, said in (("zh", "空文件（0 字节）"), ("en", "empty file (0 bytes)")):
        assert cli.main([str(tmp_path), "--lang", lang]) == 0
        assert f"{tmp_path.name}/events.out.tfevents.9.h: {said}" in capsys.readouterr().out


def test_a_refusal_keeps_its_file_name_and_translates_the_problem():
    (message, problem) = _refusal(lambda: load_uploads([("logs (1).zip", _zip({"../a": b"x"}))]))
    assert translate(message, "zh") == f"logs (1).zip：{translate(problem, 'zh')}"


def test_unknown_messages_pass_through_unchanged():
    for message in ("ValueError: something new", "a: b: c", "", "empty file (0 bytes) and more"):
        assert translate(message, "zh") == message
        assert backend_zh.translate(message, "zh") == message
    assert backend_zh.translate("lr: must be prime, got 4", "zh") == "lr: must be prime, got 4"


# ---- the trainer's config and re-run errors ---------------------------------------------------


def _config_error(call: Callable[[], object]) -> str:
    with pytest.raises(ConfigError) as err:
        call()
    return str(err.value)


def rule_violations() -> list[str]:
    """One ConfigError per `TrainConfig._rules()` entry, found by trying values that break it."""
    tries = [{"model": "cnn", "dataset": "moons"}]
    out = []
    for name, _, problem in TrainConfig()._rules():  # noqa: SLF001 - the rules are the subject
        for change in [{name: v} for v in (-1, 0, 2**32, -1.0, 0.0, 1.0, 2.0)] + tries:
            try:
                TrainConfig(**change)
            except ConfigError as e:
                if str(e).startswith(f"{name}: {problem}, got "):
                    out.append(str(e))
                    break
        else:
            pytest.fail(f"no value breaks the rule on {name}")
    return out


def test_every_config_rule_reads_as_chinese():
    messages = rule_violations()
    assert len(messages) == len(list(TrainConfig()._rules()))  # noqa: SLF001
    for message in messages:
        assert_translated(message, backend_zh.translate(message, "zh"), backend_zh.translate(message, "en"))


@pytest.fixture()
def parent(tmp_path) -> Path:
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "config.json").write_text(TrainConfig().to_json())
    return tmp_path / "ours"


def _cli_error(argv: list[str], capsys) -> str:
    assert rerun.main(argv) == 2
    return capsys.readouterr().err.strip().removeprefix("error: ")


def test_config_and_rerun_errors_read_as_chinese(parent, tmp_path, capsys):
    base = TrainConfig()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "config.json").write_text('{"lr": -1}')
    messages = [
        _config_error(lambda: TrainConfig(optimizer="lbfgs")),
        _config_error(lambda: TrainConfig(augment=1)),
        _config_error(lambda: TrainConfig(depth=1.5)),
        _config_error(lambda: TrainConfig(lr=float("inf"))),
        _config_error(lambda: apply_change(base, {"lr": "fast"})),
        _config_error(lambda: apply_change(base, {"depth": "+0.5"})),
        _config_error(lambda: apply_change(base, {"learning_rate": 0.1})),
        _config_error(lambda: TrainConfig.from_json("[1, 2]")),
        _config_error(lambda: TrainConfig.from_json('{"lr": }')),
        _config_error(lambda: parse_set(["depth"])),
        _config_error(lambda: rerun.plan_rerun(parent, remedy_id="no_such.remedy")),
        _config_error(lambda: rerun.plan_rerun(parent, {"lr": "×0.1", "depth": 3})),
        _cli_error([str(parent)], capsys),
        _cli_error([str(parent), "--change", "train_size=0"], capsys),
        str(pytest.raises(rerun.RerunError, rerun.parent_config, tmp_path).value),
        str(pytest.raises(rerun.RerunError, rerun.parent_config, tmp_path / "foreign").value),
    ]
    advice = general_tips()[0]  # a tip: no change our trainer can apply
    coupled = next(r for rule in all_rule_ids() for r in remedies_for(rule) if r.change)
    messages += [_config_error(lambda: rerun.plan_rerun(parent, remedy_id=advice.id)),
                 _config_error(lambda: rerun.plan_rerun(parent, {"seed": 3}, remedy_id=coupled.id))]
    for message in messages:
        assert_translated(message, backend_zh.translate(message, "zh"), backend_zh.translate(message, "en"))
    nested = backend_zh.translate(messages[-3], "zh")
    assert "必须 > 0" in nested  # the config check inside the re-run refusal is Chinese too


# ---- the Chinese UI ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,data,shown", [
    ("events.out.tfevents.1.host", b"", "空文件（0 字节）"),
    ("logs.zip", _zip({"../escape/events.out.tfevents.1.host": b"x"}), "会跳出解压文件夹"),
], ids=["empty-file", "zip-slip"])
def test_an_upload_problem_is_shown_in_chinese(name, data, shown):
    at = start()
    at.radio(key="lang").set_value("zh")
    at = upload(ok(at.run()), name, data)
    messages = [e.value for e in (*at.error, *at.warning)]
    assert any(shown in m for m in messages), messages
    assert "archive refused" not in texts(at) and "empty file" not in texts(at)


def test_a_partly_read_run_says_so_in_chinese(tmp_path):
    path, data, _ = _event_file(tmp_path, steps=30)
    at = start()
    at.radio(key="lang").set_value("zh")
    at = upload(ok(at.run()), path.name, data[:-7])  # an upload is never live: its cut tail is reported
    assert any("文件被截断" in w.value and "29" in w.value for w in at.warning), [w.value for w in at.warning]

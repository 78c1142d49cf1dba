"""Back-end messages in the Chinese UI: every reader problem and config/re-run error, produced
for real, carries a message key and reads as Chinese (rendered from the catalogue) with its
numbers and names kept; English stays as it was. Every key has Chinese with the same
placeholders, and nothing is translated back from English by pattern matching. The command
lines' errors, the trainer's path checks and the job errors the UI shows read as Chinese too, and
there is one message type and one way to word it."""
from __future__ import annotations

import ast
import io
import os
import re
import string
import struct
import tarfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
import streamlit as st
from tensorboard.summary.writer.record_writer import RecordWriter

from diagnostics import archives, cli, files, messages, reader
from diagnostics.messages import Msg, as_msg, render, to_json
from diagnostics.messages_en import EN
from diagnostics.messages_zh import ZH
from diagnostics.reader import Limits, ReaderError, load, load_uploads
from diagnostics.remedies import all_rule_ids, general_tips, remedies_for
from tests.test_app import ok, start, texts, upload
from tests.test_reader_archives import _tar, _zip
from tests.test_reader_writers import OLD, simple, write_events
from trainers import rerun
from trainers.config import ConfigError, TrainConfig, apply_change, parse_set

REPO = Path(__file__).resolve().parent.parent
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


def assert_translated(message: object, zh: str, en: str) -> None:
    """A message (or an exception raised with one) with a key, its Chinese different from the
    English, with every number, quoted name and identifier kept."""
    assert as_msg(message) is not None, message
    message = str(message)
    assert en == message
    assert zh != message and CJK.search(zh), message
    kept = re.findall(r"\d+", message) + re.findall(r"'([^']*)'", message)
    kept += [word for word in IDENTIFIERS if word in message]
    assert all(k in zh for k in kept), (message, zh)


# ---- the reader's messages, made for real ------------------------------------------------------


def _problems(root: Path, **kw) -> list[str]:
    return [e.message for e in load(root, **kw).errors]


def _refusal(call: Callable[[], object]) -> list[object]:
    """A refused input as the UI shows it: '<file>: <problem>' (the error), and its bare problem."""
    with pytest.raises(ReaderError) as err:
        call()
    return [err.value, err.value.problem]


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
    fifo = tmp / "run" / "events.out.tfevents.9.fifo"
    with pytest.raises(files.NotRegular) as opened:  # what opening it says, before anyone rewords it
        files.read_regular(fifo, 10)
    return [*made, *_refusal(lambda: load("")), *_refusal(lambda: load(fifo)), opened.value]


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
        assert_translated(message, render(message, "zh"), render(message, "en"))


def _keys(message: object) -> set[str]:
    """The message's key and those of the messages among its parameters."""
    msg = as_msg(message)
    if msg is None:
        return set()
    return {msg.key}.union(*(_keys(v) for v in msg.params.values()))


CONFIG_KEYS = ("config.", "rule.", "rerun.")
TRAINER_KEYS = ("cli.", "trainer.", "confine.", "job.")  # made for real in their own test below
KINDS_NOT_MADE = {"kind.socket", "kind.char_device", "kind.block_device", "kind.folder", "kind.symlink",
                  "kind.other"}  # files.kind's other words: a FIFO stands for them below


def test_every_reader_message_of_the_catalogue_was_made_for_real(tmp_path):
    made = set()
    for i, produce in enumerate(PRODUCERS):
        (tmp_path / str(i)).mkdir()
        made = made.union(*map(_keys, produce(tmp_path / str(i))))
    reader_keys = {k for k in EN if not k.startswith(CONFIG_KEYS + TRAINER_KEYS)}
    assert sorted(reader_keys - made - KINDS_NOT_MADE) == []
    assert made <= set(EN)


def test_the_words_for_a_kind_of_file_read_as_chinese():
    for key in [k for _, k in files._KINDS] + ["kind.other"]:  # noqa: SLF001
        message = Msg("path.not_an_input", kind=Msg(key))
        assert_translated(message, render(message, "zh"), render(message, "en"))
        assert render(message, "zh") == f"不是文件夹、事件文件或压缩包（是{ZH[key]}）"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# Chinese entries that are only placeholders and punctuation (no word to translate).
NO_WORDS = {"reader.refused", "job.exception", "engine.separator", "engine.writer_note", "verdict.named",
            "verdict.not_comparable", "verdict.failed"}


def test_every_key_has_chinese_with_the_same_placeholders():
    """One English registry (messages_en.EN and the texts declared beside the code) and one Chinese
    catalogue: the same keys, the same placeholders."""
    english = messages.english_catalogue()
    assert set(EN) <= set(english)
    assert sorted(set(english) ^ set(ZH)) == []
    differ = {k: (_placeholders(english[k]), _placeholders(ZH[k])) for k in english
              if _placeholders(english[k]) != _placeholders(ZH[k])}
    assert differ == {}
    code = {"instrument.huggingface"}  # a line of code, the same in every language
    assert all(isinstance(t, str) and CJK.search(t) for k, t in ZH.items() if k not in NO_WORDS | code)
    assert [k for k in NO_WORDS if re.search("[A-Za-z]", re.sub(r"\{\w+\}", "", english[k]))] == []


def _sources() -> list[Path]:
    return [p for folder in ("diagnostics", "ui", "trainers") for p in sorted((REPO / folder).rglob("*.py"))]


def _keys_written(tree: ast.AST) -> list[str]:
    """The keys of the `Msg(...)` calls in a module, as patterns: a key built in an f-string
    has `.+` for each of its parts (the other keys come out of tables: made for real above)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Msg" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append(re.escape(first.value))
            elif isinstance(first, ast.JoinedStr):
                out.append("".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in first.values))
    return out


def test_every_key_written_in_the_code_is_in_both_catalogues():
    written = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.ImportFrom) and n.module == "diagnostics.messages"
               and any(a.name == "Msg" for a in n.names) for n in ast.walk(tree)):
            written += [(path.name, pattern) for pattern in _keys_written(tree)]
    assert len(written) > 50
    english = messages.english_catalogue()
    unknown = [(name, p) for name, p in written
               if not any(re.fullmatch(p, k) for k in english) or not any(re.fullmatch(p, k) for k in ZH)]
    assert unknown == []


def test_no_message_is_translated_by_pattern_matching():
    """The catalogues are plain text, rendering looks a key up, and no table of patterns over the
    English text is left anywhere in the code."""
    for module in ("diagnostics/messages.py", "diagnostics/messages_en.py", "diagnostics/messages_zh.py",
                   "diagnostics/verdict_text.py"):
        tree = ast.parse((REPO / module).read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                    for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "re" not in imported, module
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for word in ("READER_MESSAGES", "BACKEND_MESSAGES", "RULE_PHRASES", "translate_with"):
            assert word not in text, (path, word)


def test_a_problem_in_json_keeps_its_key_and_params_beside_the_english(tmp_path):
    (tmp_path / "events.out.tfevents.1.h").write_bytes(b"")
    [problem] = load(tmp_path).errors
    assert problem.to_dict() == {"file": f"{tmp_path.name}/events.out.tfevents.1.h",
                                 "message": "empty file (0 bytes)", "key": "file.empty", "params": {}}
    error = pytest.raises(rerun.RerunError, rerun.parent_config, tmp_path / "none").value
    assert to_json(error) == {"key": "rerun.no_config", "params": {"dir": str(tmp_path / "none")}}


def test_the_command_line_report_lists_skipped_files_in_its_language(tmp_path, capsys):
    write_events(tmp_path, [(s, [simple("loss", 1.0 / (s + 1))]) for s in range(30)])
    (tmp_path / "events.out.tfevents.9.h").write_bytes(b"")
    for lang, said in (("zh", "空文件（0 字节）"), ("en", "empty file (0 bytes)")):
        assert cli.main([str(tmp_path), "--lang", lang]) == 0
        assert f"{tmp_path.name}/events.out.tfevents.9.h: {said}" in capsys.readouterr().out


def test_a_refusal_keeps_its_file_name_and_translates_the_problem():
    (message, problem) = _refusal(lambda: load_uploads([("logs (1).zip", _zip({"../a": b"x"}))]))
    assert render(message, "zh") == f"logs (1).zip：{render(problem, 'zh')}"


def test_a_name_that_cannot_be_printed_is_escaped_in_every_language():
    (message, problem) = _refusal(lambda: load_uploads([("x.zip", _zip({"a\n/../b": b"x"}))]))
    assert str(message) == "x.zip: member 'a\\n/../b' escapes the extraction folder (..); archive refused"
    assert render(message, "zh") == "x.zip：成员 'a\\n/../b' 会跳出解压文件夹（..）；压缩包被拒绝"
    assert as_msg(message).params["problem"].params == {"member": "a\\n/../b"}


def test_unknown_messages_pass_through_unchanged():
    for message in ("ValueError: something new", "a: b: c", "", "empty file (0 bytes) and more",
                    ValueError("empty file (0 bytes)"), OSError(2, "No such file or directory")):
        assert render(message, "zh") == str(message)
    assert render("lr: must be prime, got 4", "zh") == "lr: must be prime, got 4"


# ---- the trainer's config and re-run errors ---------------------------------------------------


def _config_error(call: Callable[[], object]) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        call()
    return err.value


def rule_violations() -> list[ConfigError]:
    """One ConfigError per `TrainConfig._rules()` entry, found by trying values that break it."""
    tries = [{"model": "cnn", "dataset": "moons"}]
    out = []
    for name, _, problem in TrainConfig()._rules():  # noqa: SLF001 - the rules are the subject
        for change in [{name: v} for v in (-1, 0, 2**32, -1.0, 0.0, 1.0, 2.0)] + tries:
            try:
                TrainConfig(**change)
            except ConfigError as e:
                if str(e).startswith(f"{name}: {problem}, got "):
                    out.append(e)
                    break
        else:
            pytest.fail(f"no value breaks the rule on {name}")
    return out


def test_every_config_rule_reads_as_chinese():
    messages = rule_violations()
    assert len(messages) == len(list(TrainConfig()._rules()))  # noqa: SLF001
    for message in messages:
        assert_translated(message, render(message, "zh"), render(message, "en"))


@pytest.fixture()
def parent(tmp_path) -> Path:
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "config.json").write_text(TrainConfig().to_json())
    return tmp_path / "ours"


def _cli_error(argv: list[str], capsys, key: str) -> Msg:
    """The command line's one-line error: exactly the English of message `key` (returned)."""
    assert rerun.main(argv) == 2
    said = Msg(key)
    assert capsys.readouterr().err.strip() == f"error: {said}"
    return said


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
        _cli_error([str(parent)], capsys, "rerun.nothing"),
        _cli_error([str(parent), "--change", "train_size=0"], capsys, "rerun.noop"),
        pytest.raises(rerun.RerunError, rerun.parent_config, tmp_path).value,
        pytest.raises(rerun.RerunError, rerun.parent_config, tmp_path / "foreign").value,
    ]
    advice = general_tips()[0]  # a tip: no change our trainer can apply
    coupled = next(r for rule in all_rule_ids() for r in remedies_for(rule) if r.change)
    messages += [_config_error(lambda: rerun.plan_rerun(parent, remedy_id=advice.id)),
                 _config_error(lambda: rerun.plan_rerun(parent, {"seed": 3}, remedy_id=coupled.id))]
    for message in messages:
        assert_translated(message, render(message, "zh"), render(message, "en"))
    nested = render(messages[-3], "zh")
    assert "必须 > 0" in nested  # the config check inside the re-run refusal is Chinese too
    made = set().union(*map(_keys, [*messages, *rule_violations()]))
    assert sorted({k for k in EN if k.startswith(CONFIG_KEYS)} - made) == []  # every one made for real


# ---- the command lines, the trainer's path checks and the jobs -------------------------------


def _raised(call: Callable[[], object], kind: type[BaseException] = Exception) -> BaseException:
    with pytest.raises(kind) as err:
        call()
    return err.value


def test_the_diagnose_command_words_its_refusals_in_its_language(tmp_path, capsys):
    (tmp_path / "nothing").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "events.out.tfevents.1.h").write_bytes(b"")
    said = {
        str(tmp_path / "missing"): _refusal(lambda: load(tmp_path / "missing"))[0],
        str(tmp_path / "nothing"): Msg("cli.nothing_readable", path=str(tmp_path / "nothing"),
                                       why=Msg("cli.no_event_files")),
        str(tmp_path / "broken"): Msg("cli.nothing_readable", path=str(tmp_path / "broken"), why=Msg(
            "reader.refused", file="broken/events.out.tfevents.1.h", problem=Msg("file.empty"))),
    }
    for path, message in said.items():
        for lang in ("en", "zh"):
            assert cli.main([path, "--lang", lang]) == 2
            assert capsys.readouterr().err.strip() == f"error: {render(message, lang)}"
        assert_translated(message, render(message, "zh"), render(message, "en"))
    assert {"cli.nothing_readable", "cli.no_event_files"} <= set().union(*map(_keys, said.values()))


def trainer_errors(tmp: Path) -> list[BaseException]:
    """trainers/cli.py's --config and --out checks, and an unknown scenario."""
    from unittest import mock

    from trainers import cli as train_cli
    from trainers.scenarios import scenario_config

    (tmp / "folder").mkdir()
    (tmp / "big.json").write_bytes(b" " * (train_cli.MAX_CONFIG_BYTES + 1))
    (tmp / "latin1.json").write_bytes(b'{"label": "caf\xe9"}')
    (tmp / "file").write_text("x")
    (tmp / "dangling").symlink_to(tmp / "gone")
    os.mkfifo(tmp / "fifo.json")
    out = [_raised(lambda: train_cli._read_config(p), ConfigError)  # noqa: SLF001
           for p in (tmp / "missing.json", tmp / "folder", tmp / "fifo.json", tmp / "big.json", tmp / "latin1.json")]
    out += [_raised(lambda: train_cli._check_out(str(p)), ConfigError)  # noqa: SLF001
            for p in (tmp / "dangling" / "runs", tmp / "file", tmp / "file" / "runs")]
    with mock.patch.object(train_cli.os, "access", lambda *a: False):  # tests may run as root
        out.append(_raised(lambda: train_cli._check_out(str(tmp / "folder")), ConfigError))  # noqa: SLF001
    out.append(_raised(lambda: scenario_config("no_such_scenario"), ConfigError))
    return out


def path_refusals(tmp: Path) -> list[BaseException]:
    """trainers/confine.py: paths named by data that lead nowhere or outside the runs root."""
    from unittest import mock

    from trainers import confine

    root = tmp / "root"
    (root / "run" / "a" / "b").mkdir(parents=True)
    (root / "linked").mkdir()
    (root / "linked" / "elsewhere").symlink_to(tmp)
    (root / "file").write_text("x")
    (tmp / "loop").symlink_to(tmp / "loop")
    out = [_raised(lambda: confine.confined(p, [root]), confine.OutsideRoot)
           for p in ("", "relative/run", str(tmp / "loop"), str(tmp))]
    out.append(_raised(lambda: confine.confined(str(tmp), []), confine.OutsideRoot))
    out.append(_raised(lambda: confine.check_run_folder(str(root / "file"), str(root)), confine.OutsideRoot))
    out.append(_raised(lambda: confine.check_run_folder(str(root / "linked"), str(root)), confine.OutsideRoot))
    with mock.patch.object(confine, "SCAN_LIMIT", 0):
        out.append(_raised(lambda: confine.check_run_folder(str(root / "run"), str(root)), confine.OutsideRoot))
    return out


def job_errors(tmp: Path) -> list[str]:
    """Why a background job failed, as its entry keeps it (read back from the registry)."""
    from trainers.job_runner import _error
    from trainers.jobs import FAILED, RUNNING, Job, JobQueue

    q = JobQueue(tmp)
    (tmp / "linked").mkdir()
    (tmp / "linked" / "elsewhere").symlink_to(tmp.parent)
    jobs = [Job(id=f"j{i}", run_dir=str(tmp / f"r{i}"), state=RUNNING, created=1.0, returncode=code, root=str(tmp))
            for i, code in enumerate((None, -9, 3))]
    from trainers.train_job import main as train_job

    crash = _error(_config_error(lambda: TrainConfig(depth=1.5)))  # what job_runner hands off
    missing = _error(_raised(lambda: train_job([str(tmp / "none.json"), str(tmp)]), FileNotFoundError))
    for job in jobs:
        (tmp / job.id).mkdir(exist_ok=True)
        q._settle(job, crash if job.returncode == 3 else "")  # noqa: SLF001
    refused = q._start(Job(id="j9", run_dir=str(tmp / "linked"), created=1.0, root=str(tmp)))  # noqa: SLF001
    assert refused is not None and refused.state == FAILED
    return [missing, *(q.get(job.id).error for job in (*jobs, refused))]


def test_the_trainers_path_and_job_errors_read_as_chinese(tmp_path, capsys):
    for folder in ("cli", "confine", "jobs"):
        (tmp_path / folder).mkdir()
    made = [*trainer_errors(tmp_path / "cli"), *path_refusals(tmp_path / "confine"), *job_errors(tmp_path / "jobs")]
    for message in made:
        assert_translated(message, render(message, "zh"), render(message, "en"))
    keys = set().union(*map(_keys, made))
    assert sorted({k for k in EN if k.startswith(TRAINER_KEYS[1:])} - keys) == []  # every one made for real
    from trainers import cli as train_cli

    with pytest.raises(SystemExit) as exited:
        train_cli.main(["--config", str(tmp_path / "missing.json"), "--out", str(tmp_path)])
    assert exited.value.code == 2
    said = Msg("trainer.config_unreadable", path=str(tmp_path / "missing.json"), why="No such file or directory")
    assert capsys.readouterr().err.strip().endswith(f"error: {said}")  # the command line's English, as before


def test_a_job_error_in_its_entry_keeps_its_key_and_a_foreign_key_leaves_the_text(tmp_path):
    from trainers.job_entry import job_from_entry
    from trainers.jobs import Job

    error = Msg("job.ended", why=Msg("job.exit_code", code=2))
    entry = Job(id="j", run_dir=str(tmp_path / "r"), created=1.0, error=error, root=str(tmp_path)).to_dict()
    assert entry["error"] == "process ended before the run finished (exit code 2)" and type(entry["error"]) is str
    assert (entry["error_key"], entry["error_params"]) == ("job.ended", {"why": {"key": "job.exit_code",
                                                                                 "params": {"code": 2}}})
    back = job_from_entry(entry, "j", tmp_path.resolve()).error
    assert as_msg(back) == error and render(back, "zh") == "进程在运行结束前退出（退出码 2）"
    for key, params in (("divergence.title", {}), ("no.such_key", {}), ("job.ended", "why"),
                        ("job.ended", {"why": {"nested": object.__name__}}), ("job.ended", {"why": [[[[[[["x"]]]]]]]})):
        forged = {**entry, "error": "plain words", "error_key": key, "error_params": params}
        assert job_from_entry(forged, "j", tmp_path.resolve()).error == "plain words"


def test_there_is_one_message_type_and_one_way_to_word_it():
    """The two message systems are one: the old modules, the pattern translator and the shims are
    gone, one class Msg is defined, and every module words messages with `messages.render`."""
    import importlib

    from diagnostics import messages_zh, verdict_text

    for gone in ("diagnostics.texts", "diagnostics.texts_zh", "ui.backend_zh"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(gone)
    assert not hasattr(messages_zh, "translate") and not hasattr(verdict_text, "CATALOGUE")
    defined = [path.name for path in _sources() if "class Msg" in path.read_text(encoding="utf-8")]
    assert defined == ["messages.py"]
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        assert "import translate" not in text and "backend_zh" not in text and "diagnostics.texts" not in text, path
    line = verdict_text.message("worse", {"metric": "val/loss", "c": "2", "p": "1", "d": "1",
                                          "margin": {"key": "margin_measured", "s": "0.1"}})
    assert isinstance(line, Msg) and render(line, "zh") == verdict_text.render("worse", {
        "metric": "val/loss", "c": "2", "p": "1", "d": "1", "margin": {"key": "margin_measured", "s": "0.1"}}, "zh")
    assert render(line, "zh") == "变差：val/loss 2（之前 1）：差了 1，超出种子波动 ±0.1"


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

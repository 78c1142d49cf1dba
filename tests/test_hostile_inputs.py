"""Hostile inputs, generated (issue 10): whatever a file, folder, archive, config or command
line holds, the answer is data plus one-line problems, or one line on stderr and exit 2 --
never a traceback, a hang, or memory out of proportion -- and the good files beside the bad
still load.

Each class is generated from a seeded rng, not only the instances the review found: random
shape claims and bucket/limit mismatches, random framing lengths, random nesting depths,
random bytes that are not UTF-8 in names, FIFOs, symlink loops, archive bombs by ratio and by
count, random numbers in configs. Super-linear costs are shown at small sizes by the work the
framer counts (records followed, bytes checksummed): doubling the input doubles the work.
The command lines run in subprocesses under RLIMIT_AS (1.5 GiB) and a timeout.
"""
from __future__ import annotations

import io
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import tarfile
import threading
import tracemalloc
import zipfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from diagnostics import archives, discover, reader
from diagnostics.framing import Framer
from diagnostics.reader import Limits, ReaderError, load, load_uploads
from diagnostics.records import decode
from tests import hostile
from tests.test_reader_writers import OLD
from trainers.config import MAX, ConfigError, TrainConfig, apply_change, parse_set

REPO = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 1536 << 20  # RLIMIT_AS of every command line run here
GOOD_STEPS = 25
ROOT_IS_GOD = os.geteuid() == 0  # root reads a mode-000 folder: then the refusal is simulated


_DEEP: list[Path] = []  # 990-level trees: removed here, iteratively (pytest's rmtree recurses)


@pytest.fixture(autouse=True)
def _fresh_cache():
    reader.clear_cache()
    yield
    reader.clear_cache()
    while _DEEP:
        _remove_deep(_DEEP.pop())


def _remove_deep(top: Path) -> None:
    """Remove a chain of folders named "d" under `top`, bottom up, without recursion."""
    cwd = os.getcwd()
    os.chdir(top)
    try:
        depth = 0
        while os.path.isdir("d") and not os.path.islink("d"):
            os.chdir("d")
            depth += 1
        for _ in range(depth):
            os.chdir("..")
            shutil.rmtree("d")
    finally:
        os.chdir(cwd)


def _write(path: Path | bytes, data: bytes) -> None:
    """Write bytes at a path that may not be UTF-8 (bytes), with an old mtime (not live)."""
    raw = os.fsencode(path)
    os.makedirs(os.path.dirname(raw), exist_ok=True)
    with open(raw, "wb") as fh:
        fh.write(data)
    os.utime(raw, (OLD, OLD))


def _good(folder: Path | bytes, tag: str = "loss") -> None:
    """A good event file of GOOD_STEPS scalar points."""
    _write(os.path.join(os.fsencode(folder), b"events.out.tfevents.1.good"),
           hostile.header() + b"".join(hostile.good_records(GOOD_STEPS, tag)))


def _one_line(message: str) -> None:
    assert message and "\n" not in message and "\r" not in message, message
    message.encode("utf-8")  # printable anywhere: no lone surrogates from undecodable names
    assert "Traceback" not in message


def _points(result, run: str) -> int:
    (found,) = [r for r in result.runs if r.run == run]
    return len(found.scalars)


# ---- summaries: shape claims, bucket/limit mismatches ------------------------------------------


def test_summaries_that_claim_what_they_do_not_hold_are_skipped_in_bounded_memory(tmp_path):
    """A 2 KB file claimed 1.25 GB, a 3.4 KB one 2.4 GB, 1e12 elements raised MemoryError, two -1
    dimensions or more buckets than limits raised ValueError (issue 10, item 2)."""
    rng = np.random.default_rng(2026_11_30)
    for case in range(25):
        folder = tmp_path / f"c{case}"
        _good(folder / "good")
        data = hostile.hostile_summaries(rng)
        _write(folder / "bad" / "events.out.tfevents.1.bad", data)
        tracemalloc.start()
        try:
            result = load(folder)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 32 << 20, f"case {case}: {peak / 2**20:.0f} MiB to read {len(data)} bytes"
        assert _points(result, "good") == GOOD_STEPS
        assert _points(result, "bad") == 6  # the good scalar of every hostile event is kept
        (problem,) = [e.message for e in result.errors if e.file.endswith(".bad")]
        _one_line(problem)
        assert "malformed summary value(s) skipped" in problem


# ---- framing ---------------------------------------------------------------------------------------


def test_random_framing_lengths_never_raise_and_keep_the_intact_records(tmp_path):
    rng = np.random.default_rng(10)
    for case in range(40):
        data = hostile.random_framing(rng)
        folder = tmp_path / f"c{case}"
        _good(folder / "good")
        _write(folder / "bad" / "events.out.tfevents.1.bad", data)
        try:
            result = load(folder)
        except ReaderError as err:  # pragma: no cover - the good file is there: never refused whole
            pytest.fail(f"case {case}: {err}")
        assert _points(result, "good") == GOOD_STEPS
        bad = [r for r in result.runs if r.run == "bad"]
        steps = bad[0].scalars["step"].tolist() if bad else []
        assert steps == sorted(set(steps)) and set(steps) <= set(range(40))  # no invented rows
        for e in result.errors:
            _one_line(e.message)


@pytest.mark.parametrize("kind", hostile.CRAFTED)
def test_crafted_framing_costs_grow_linearly(kind):
    """2 MB of crafted framing cost 10 s of CPU and 20 MB over 320 s: the work grew with the
    square of the size. Now doubling the input doubles the records followed and the bytes
    checksummed (at most one walk of the file and 5 checksums of it, whatever the bytes)."""
    work = []
    for size in (100_000, 200_000, 400_000):
        data = hostile.crafted_framing(kind, size)
        framer = Framer(data, "x")
        records = sum(starts.size for starts, _ in framer.batches())
        assert framer.walked <= len(data) // 16 + 2 and framer.checked <= 5 * len(data) + (1 << 20)
        work.append((len(data), framer.walked + framer.checked / 16, records))
    (n1, w1, _), (n2, w2, _), (n3, w3, _) = work
    for (na, wa), (nb, wb) in (((n1, w1), (n2, w2)), ((n2, w2), (n3, w3))):
        assert wb / wa <= 1.2 * nb / na, work


def test_zero_length_records_cost_memory_in_proportion(tmp_path):
    """200 MB of zero-length records took 2.2 GB: the working memory is now one batch."""
    peaks = []
    for size in (1 << 20, 2 << 20):
        data = hostile.crafted_framing("empty", size)
        tracemalloc.start()
        try:
            fe = decode(data, "x")
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert fe.events == 0 and "empty record(s)" in fe.problems[0]
    assert peaks[1] < 12 << 20 and peaks[1] < 1.5 * peaks[0], peaks  # bounded by a batch, not the file


# ---- folders ----------------------------------------------------------------------------------------


def _hostile_tree(root: Path, rng: np.random.Generator) -> dict[str, int]:
    """Good runs among hostile things; returns {run: points} of what must load."""
    expect = {}
    _good(root / "good")
    expect["good"] = GOOD_STEPS
    # a folder name that is not UTF-8 (and one with a control character): random bytes
    name = b"run-" + _undecodable(rng, 1, 6) + b"\n\t"
    _good(os.path.join(os.fsencode(root), name))
    expect[name.decode("utf-8", "backslashreplace").replace("\n", "\\n").replace("\t", "\\t")] = GOOD_STEPS
    # a file name that is not UTF-8 in a good run: read once, beside the good file
    _write(os.path.join(os.fsencode(root / "good2"), b"events.out.tfevents.2.\xff\xfe"),
           hostile.header() + b"".join(hostile.good_records(3, "acc")))
    _good(root / "good2")
    expect["good2"] = GOOD_STEPS + 3
    # FIFOs named like event files, and a symlink to one
    os.mkfifo(root / "good" / "events.out.tfevents.9.fifo")
    (root / "good" / "events.out.tfevents.9.tofifo").symlink_to(root / "good" / "events.out.tfevents.9.fifo")
    # symlink loops: a link to itself, two links to each other, a folder link to an ancestor
    (root / "good" / "events.out.tfevents.8.self").symlink_to(root / "good" / "events.out.tfevents.8.self")
    (root / "good" / "events.out.tfevents.8.a").symlink_to(root / "good" / "events.out.tfevents.8.b")
    (root / "good" / "events.out.tfevents.8.b").symlink_to(root / "good" / "events.out.tfevents.8.a")
    (root / "good" / "up").symlink_to(root, target_is_directory=True)
    # one file under three names: a symlink and a hard link to it, in its own run
    first = root / "good" / "events.out.tfevents.1.good"
    (root / "good" / "events.out.tfevents.7.link").symlink_to(first)
    os.link(first, root / "good" / "events.out.tfevents.7.hard")
    # deep nesting: a random depth past the limit, and the 990 levels that overflowed the stack
    depth = int(rng.integers(70, 200))
    deep = root / "deep" / Path(*["d"] * depth)
    _good(deep)
    very, cwd = root / "verydeep", os.getcwd()
    very.mkdir()
    _DEEP.append(very)
    os.chdir(very)  # 990 levels made one by one from inside (RecursionError in the old walk)
    try:
        for _ in range(990):
            os.mkdir("d")
            os.chdir("d")
    finally:
        os.chdir(cwd)
    # a folder that cannot be listed, with a run inside
    _good(root / "locked")
    os.chmod(root / "locked", 0)
    return expect


def _undecodable(rng: np.random.Generator, low: int, high: int) -> bytes:
    """Random bytes that are no UTF-8 at all (continuation bytes with nothing to continue)."""
    return bytes(rng.integers(0x80, 0xC0, int(rng.integers(low, high))).astype(np.uint8))


def _listing_refused(path) -> bool:
    return Path(os.fsdecode(path)).name == "locked"


def _scandir_as_a_user(real):
    def scandir(path):
        if _listing_refused(path):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real(path)
    return scandir


def test_a_hostile_folder_reports_each_thing_and_loads_the_good_runs(tmp_path):
    rng = np.random.default_rng(8)
    root = tmp_path / "root"
    expect = _hostile_tree(root, rng)
    try:
        with mock.patch.object(discover.os, "scandir", _scandir_as_a_user(os.scandir)):
            result = load(root)
    finally:
        os.chmod(root / "locked", 0o755)
    assert {r.run: len(r.scalars) for r in result.runs} == expect
    said = {e.file.split("/", 1)[1]: e.message for e in result.errors}
    for e in result.errors:
        _one_line(e.file)
        _one_line(e.message)
    assert said["good/events.out.tfevents.9.fifo"] == "not a regular file (a FIFO): not read"
    assert said["good/events.out.tfevents.9.tofifo"] == "not a regular file (a FIFO): not read"
    for loop in ("self", "a", "b"):
        assert said[f"good/events.out.tfevents.8.{loop}"].startswith("cannot read: Too many levels")
    assert said["good/events.out.tfevents.7.link"].startswith("same file as root/good/events.out")
    assert said["good/events.out.tfevents.7.hard"].startswith("same file as root/good/events.out")
    assert said["locked"].startswith("folder not readable (Permission denied)")
    assert any(k.startswith("deep/") and "nested deeper than 64 levels" in m for k, m in said.items())
    assert any(k.startswith("verydeep/") and "nested deeper than 64 levels" in m for k, m in said.items())


@pytest.mark.parametrize("seed", range(6))
def test_random_nesting_depths_load_to_the_limit_and_report_past_it(tmp_path, seed):
    rng = np.random.default_rng(seed)
    limit = int(rng.integers(2, 12))
    depths = rng.integers(0, 2 * limit + 2, 4)
    for i, depth in enumerate(depths.tolist()):
        _good(tmp_path / f"r{i}" / Path(*(["n"] * depth)) if depth else tmp_path / f"r{i}")
    result = load(tmp_path, limits=Limits(max_depth=limit))
    loaded = sorted(int(r.run.split("/")[0][1:]) for r in result.runs)
    assert loaded == [i for i, d in enumerate(depths.tolist()) if d + 1 <= limit]
    assert all("nested deeper than" in e.message for e in result.errors)
    assert len(result.errors) == sum(1 for d in depths.tolist() if d + 1 > limit)


def test_undecodable_names_print_escaped_and_a_special_root_is_refused(tmp_path):
    rng = np.random.default_rng(4)
    for case in range(8):
        name = _undecodable(rng, 1, 9)
        folder = os.path.join(os.fsencode(tmp_path / f"c{case}"), name)
        _good(folder)
        result = load(os.fsdecode(folder))
        (run,) = result.runs
        _one_line(run.run)
        assert run.run == name.decode("utf-8", "backslashreplace")
    os.mkfifo(tmp_path / "pipe")
    for special, why in ((tmp_path / "pipe", "(a FIFO)"), ("/dev/zero", "(a character device)"), ("", "no path")):
        with pytest.raises(ReaderError, match=why.replace("(", r"\(").replace(")", r"\)")) as err:
            load(special)
        _one_line(str(err.value))


def test_one_name_read_once_whatever_links_lead_to_it(tmp_path):
    _good(tmp_path / "run")
    target = next((tmp_path / "run").iterdir())
    for i in range(5):
        (tmp_path / "run" / f"events.out.tfevents.5.link{i}").symlink_to(target)
    result = load(tmp_path)
    assert [len(r.scalars) for r in result.runs] == [GOOD_STEPS]
    assert len(result.errors) == 5 and all(e.message.startswith("same file as") for e in result.errors)


# ---- archives ---------------------------------------------------------------------------------------


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _tgz_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_archive_bombs_by_ratio_are_refused_before_a_byte_is_written():
    """A 1.5 MB zip took 62 s and wrote 1.5 GB; a 2.4 GB tar.gz was refused after ~2 GB was
    written. Random sizes and ratios, a small floor so the bombs stay small here."""
    rng = np.random.default_rng(7)
    written = []
    real_copy = archives._copy  # noqa: SLF001

    def copy(src, target, budget, member, declared):
        written.append(member)
        return real_copy(src, target, budget, member, declared)

    with mock.patch.object(archives, "RATIO_FLOOR", 50_000), mock.patch.object(archives, "_copy", copy):
        for case in range(8):
            members = {f"run/events.out.tfevents.{i}.h": bytes(int(rng.integers(40_000, 400_000)))
                       for i in range(int(rng.integers(1, 6)))}
            for name, data in ((f"b{case}.zip", _zip_bytes(members)), (f"b{case}.tgz", _tgz_bytes(members))):
                written.clear()
                total = sum(len(d) for d in members.values())
                if total <= max(50_000, 100 * len(data)):
                    continue  # not a bomb at this ratio
                with pytest.raises(ReaderError, match=r"x its \d+ bytes, Limits.max_ratio") as err:
                    load_uploads([(name, data)])
                _one_line(str(err.value))
                assert written == [], f"{name}: wrote {written} before refusing"
        honest = _zip_bytes({"run/events.out.tfevents.1.h": hostile.header() + rng.bytes(200_000)})
        assert load_uploads([("honest.zip", honest)]).errors  # read (its random bytes reported), not refused


def test_archive_bombs_by_count_are_refused():
    rng = np.random.default_rng(11)
    for case in range(4):
        limit = int(rng.integers(5, 50))
        members = {f"r/{i}/events.out.tfevents.{i}.h": b"" for i in range(limit + int(rng.integers(1, 20)))}
        for name, data in (("many.zip", _zip_bytes(members)), ("many.tgz", _tgz_bytes(members))):
            with pytest.raises(ReaderError, match=f"more than {limit}") as err:
                load_uploads([(name, data)], limits=Limits(max_files=limit))
            _one_line(str(err.value))


# ---- config ------------------------------------------------------------------------------------------


def test_random_numbers_in_a_config_give_one_line_config_errors():
    rng = np.random.default_rng(3)
    numeric = [k for k in TrainConfig.__dataclass_fields__ if k in MAX or k in ("width", "seed", "momentum")]
    texts = ["1e400", "-1e400", "x1e400", "+1e400", "x-1", "nan", "inf", "-inf", "1" * 5000, "x" + "9" * 400,
             str(2**70), "-" + str(2**70), "[[[[", "[" * 100_000, "1e-400", "0x10"]
    for _ in range(300):
        key = str(rng.choice(numeric))
        value = str(rng.choice(texts)) if rng.random() < 0.7 else repr(float(rng.normal() * 10 ** rng.integers(0, 12)))
        try:
            apply_change(TrainConfig(), parse_set([f"{key}={value}"]))
        except ConfigError as err:
            _one_line(str(err))
            assert str(err).startswith(f"{key}:")
    for text in ('{"width": 1e400}', '{"epochs": ' + "9" * 5000 + "}", "[" * 100_000, '{"depth": 99999999}'):
        with pytest.raises(ConfigError) as err:
            TrainConfig.from_json(text)
        _one_line(str(err.value))
    assert TrainConfig(width=4000, depth=1).weights() <= 20_000_000  # large but sane still trains
    with pytest.raises(ConfigError, match=r"^width: must be at most 3162 with depth 2"):
        apply_change(TrainConfig(), {"width": "100000000"})  # a 25.6 GB matrix, refused


# ---- the command lines, in subprocesses under RLIMIT_AS -----------------------------------------


def _limit_memory() -> None:  # preexec_fn: runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _start(args: list[str], cwd: Path = REPO) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_limit_memory)


def _finish(proc: subprocess.Popen, timeout: float = 90) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, peak RSS in MiB): the child reaped with wait4 for its own usage."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read())) for s, b in
               ((proc.stdout, out), (proc.stderr, err))]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode != -9, f"killed after {timeout} s: {proc.args}"
    return proc.returncode, out[0].decode("utf-8", "replace"), err[0].decode("utf-8", "replace"), usage.ru_maxrss / 1024


def _clean_exit(code: int, err: str, rss: float, args) -> None:
    assert code in (0, 2), (args, code, err[-2000:])
    assert "Traceback" not in err and err.count("\n") <= 1, (args, err[-2000:])
    assert rss < MEMORY_LIMIT / 2**20, (args, rss)


def test_the_command_lines_on_hostile_input_exit_cleanly_in_bounded_time_and_memory(tmp_path):
    rng = np.random.default_rng(2026)
    root = tmp_path / "root"
    expect = _hostile_tree(root, rng)
    os.chmod(root / "locked", 0o755)  # a subprocess cannot be mocked: as a user it is refused, as root read
    if ROOT_IS_GOD:
        expect["locked"] = GOOD_STEPS
    else:
        os.chmod(root / "locked", 0)
    _write(root / "summaries" / "events.out.tfevents.1.bad", hostile.hostile_summaries(rng))
    _write(root / "framing" / "events.out.tfevents.1.bad", hostile.random_framing(rng))
    for kind in hostile.CRAFTED:
        _write(root / "crafted" / f"events.out.tfevents.1.{kind}", hostile.crafted_framing(kind, 300_000))
    (tmp_path / "pipe").mkdir()
    os.mkfifo(tmp_path / "pipe" / "events.out.tfevents.1.fifo")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:  # 80 MB of zeros in ~80 KB: past 64 MiB
        with zf.open("run/events.out.tfevents.1.h", "w") as member:
            for _ in range(80):
                member.write(bytes(1 << 20))
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(10_001):
            zf.writestr(f"r/events.out.tfevents.{i}.h", b"")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "deep.json").write_text("[" * 100_000)
    diag = ["-m", "diagnostics"]
    train = ["-m", "trainers", "--scenario", "healthy"]
    # Bad command lines of `python -m diagnostics`, run one after another by cli.main in ONE
    # limited subprocess (each interpreter start costs ~1.5 s of imports); a traceback there
    # is caught and reported as the case's outcome.
    argvs = [[""], ["", "--inventory"], [str(tmp_path / "pipe" / "events.out.tfevents.1.fifo")], ["/dev/zero"],
             [str(bomb)], [str(many)], [str(root), "--watch", "--every", "inf"],
             [str(root), "--watch", "--every", "nan"], [str(root), "--watch", "--every", "1e-9"],
             [os.fsdecode(os.path.join(os.fsencode(tmp_path), b"\xff\xfe-missing"))], [str(root)],
             [str(root), "--json"]]
    cases = [
        diag + [str(root), "--inventory"], ["-c", _DRIVER, json.dumps(argvs)],
        train + ["--out", str(tmp_path / "x"), "--set", "epochs=x1e400"],
        train + ["--out", str(tmp_path / "x"), "--set", "width=100000000"],
        train + ["--out", str(tmp_path / "afile")],
        ["-m", "trainers", "--config", "/dev/zero", "--out", str(tmp_path / "x")],
        ["-m", "trainers", "--config", str(tmp_path / "pipe" / "events.out.tfevents.1.fifo"), "--out", str(tmp_path)],
        ["-m", "trainers", "--config", str(tmp_path / "deep.json"), "--out", str(tmp_path / "x")],
    ]
    results = {}
    for start in range(0, len(cases), 2):  # two at a time: the box has two cores
        running = [(tuple(args), _start(args)) for args in cases[start : start + 2]]
        results.update((args, _finish(proc)) for args, proc in running)
    for args, (code, _, err, rss) in results.items():
        _clean_exit(code, err, rss, args)
    code, out, err, _ = results[tuple(diag + [str(root), "--inventory"])]
    assert code == 0, err
    inventory = json.loads(out)
    points = {r["run"]: sum(t["points"] for t in r["tags"]) for r in inventory["runs"]}
    for run, n in expect.items():
        assert points.get(run) == n, (run, points)
    bad = {e["file"].split("/", 1)[1] for e in inventory["errors"]}
    assert {"summaries/events.out.tfevents.1.bad", "good/events.out.tfevents.9.fifo",
            "good/events.out.tfevents.7.link", "crafted/events.out.tfevents.1.empty"} <= bad
    for args, (code, _, err, _) in results.items():
        if args[:2] == ("-m", "trainers"):
            assert code == 2 and err.startswith("python -m trainers: error:"), (args, err)
    _, out, _, _ = results[("-c", _DRIVER, json.dumps(argvs))]
    for argv, code, err in json.loads(out):
        expected = 0 if argv[0] == str(root) and "--watch" not in argv else 2
        assert code == expected and (err.startswith("error:") if expected else err == ""), (argv, code, err)
        _clean_exit(code, err, 0, argv)
    assert not (tmp_path / "x").exists()  # refused before anything was made


_DRIVER = """
import contextlib, io, json, sys, traceback
from diagnostics import cli
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(argv)
    except SystemExit as stop:
        code = stop.code
    except BaseException:
        code = "traceback"
        err.write(traceback.format_exc())
    results.append([argv, code, err.getvalue()])
print(json.dumps(results))
"""


def test_good_runs_load_beside_special_files_in_the_app_source(tmp_path):
    """The app's "Runs folder on the server": a folder name that is not UTF-8 and a FIFO no
    longer take the source down (listing, fingerprint and load are bounded and escaped)."""
    from ui import sources

    root = tmp_path / "runs"
    rng = np.random.default_rng(1)
    expect = _hostile_tree(root, rng)
    os.chmod(root / "locked", 0o755)
    listed = sources.list_run_folders(root)
    shown = {sources.shown(f) for f in listed}
    assert set(expect) <= shown | {"good2"}
    for folder in listed:
        _one_line(sources.shown(folder))
        prints = sources.fingerprint(sources.inside(root, folder))
        repr(prints).encode("utf-8")
    assert stat.S_ISFIFO(os.lstat(root / "good" / "events.out.tfevents.9.fifo").st_mode)

"""`python -m diagnostics` on REAL runs of our trainer, and on the committed sample runs.

A module-scoped fixture copies three tiny scenario runs, trained once for the session
(conftest's `scenario_runs`), into a temp folder; the CLI is called in-process where possible
and once as a subprocess for the exit code contract (2 + one line, no traceback)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diagnostics import cli, inventory
from diagnostics.messages import english
from tests.conftest import REPO

TRAINED = ("healthy", "vanishing_gradient", "exploding_gradient")
SAMPLES = REPO / "sample_runs"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory, scenario_runs) -> Path:
    """Three of the session's scenario runs (seed 0), copied into a logdir of their own."""
    root = tmp_path_factory.mktemp("runs")
    for name in TRAINED:
        run_dir = scenario_runs[name, 0].run_dir
        shutil.copytree(run_dir, root / run_dir.name)
    return root


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def by_scenario(data: dict) -> dict[str, dict]:
    return {r["run"].split("-")[0]: r for r in data["runs"]}


def test_json_on_real_trained_runs(logdir, capsys):
    code, out, _ = run_cli(capsys, str(logdir), "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"runs", "errors"} and data["errors"] == []
    runs = by_scenario(data)
    assert runs["healthy"]["findings"] == [] and runs["healthy"]["not_assessed"] == []
    assert [f["rule"] for f in runs["vanishing_gradient"]["findings"]] == ["vanishing_gradient"]
    exploding = runs["exploding_gradient"]
    assert [f["rule"] for f in exploding["findings"]] == ["divergence", "exploding_gradient"]
    assert exploding["fix_first"] == "divergence"
    diverged = exploding["findings"][0]
    assert diverged["onset_step"] is not None and diverged["evidence"][0]["tag"] == "train/loss"
    assert all({"id", "action", "source", "change"} <= set(r) for r in diverged["remedies"])
    for item in exploding["not_assessed"]:
        assert set(item) >= {"rule", "reason"}


def test_human_output_lists_findings_remedies_and_what_was_not_assessed(logdir, capsys):
    code, out, _ = run_cli(capsys, str(logdir))
    assert code == 0
    block = out[out.index("exploding_gradient-"):]
    assert "Fix first" in block and "1. " in block and "2. " in block
    assert re.search(r"^\s+1\) .+\n\s+source: ", block, re.M)  # numbered remedy with its source
    assert "Not assessed:" in block


def test_chinese_report(logdir, capsys):
    code, out, _ = run_cli(capsys, str(logdir), "--lang", "zh")
    assert code == 0 and "梯度消失" in out and "解决办法" in out


def test_inventory_is_delegated(logdir, capsys, monkeypatch):
    code, out, _ = run_cli(capsys, str(logdir), "--inventory")
    assert code == 0 and len(json.loads(out)["runs"]) == len(TRAINED)
    monkeypatch.setattr(inventory, "main", lambda path: 7)
    assert cli.main([str(logdir), "--inventory"]) == 7


@pytest.mark.parametrize("argv", [["/no/such/place"], ["."], ["--lang", "fr", "x"]])
def test_bad_input_exits_2_with_one_line(argv, tmp_path):
    argv = [str(tmp_path) if a == "." else a for a in argv]  # "." = an empty folder
    proc = subprocess.run([sys.executable, "-m", "diagnostics", *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def _expected() -> list[Path]:
    return sorted(SAMPLES.glob("*/expected.json"))


@pytest.mark.skipif(not _expected(), reason="sample_runs/ not generated yet")
def test_sample_runs_give_exactly_the_expected_findings(capsys):
    code, out, _ = run_cli(capsys, str(SAMPLES), "--json")
    assert code == 0
    found = {r["run"]: {f["rule"] for f in r["findings"]} for r in json.loads(out)["runs"]}
    for path in _expected():
        expected = json.loads(path.read_text())
        name = path.parent.name
        rules = next(v for run, v in found.items() if run == name or run.startswith(f"{name}/"))
        assert set(expected["must"]) <= rules, (name, rules)
        assert not set(expected["must_not"]) & rules, (name, rules)


def test_watch_prints_what_changes_while_a_run_trains(tmp_path):
    # The real CLI following a logdir that a real SummaryWriter fills while it watches.
    import queue
    import signal
    import threading

    from torch.utils.tensorboard import SummaryWriter

    from diagnostics.remedies import rule_title

    # Started as from a terminal, where Ctrl-C reaches it: a shell that runs the tests in the
    # background (`cmd &`) sets SIGINT to ignored, and a child inherits that, so the watch
    # would never see the Ctrl-C below.
    proc = subprocess.Popen([sys.executable, "-m", "diagnostics", str(tmp_path), "--watch", "--every", "0.3"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    errors: list[str] = []  # drained as it comes: a full stderr pipe would block the watch
    drained = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)
    drained.start()
    seen: list[str] = []

    def wait_for(text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in seen):
            assert time.monotonic() < deadline, f"{text!r} not printed; got: {seen}"
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                pass

    try:
        wait_for("waiting for event files")
        writer = SummaryWriter(str(tmp_path / "run1"))
        for step in range(40):
            writer.add_scalar("train/loss", 2.3 * 0.9 ** step + 0.1, step)
        writer.flush()
        wait_for("== Run: run1")  # the starting picture: a full report
        assert not any("found:" in line for line in seen)
        writer.add_scalar("train/loss", float("nan"), 40)
        writer.flush()
        wait_for(f"run1: + found: {rule_title('divergence')} [CRITICAL, from step 40]")
        other = SummaryWriter(str(tmp_path / "run2"))
        other.add_scalar("train/loss", 1.0, 0)
        other.close()
        wait_for("new run")
        wait_for("== Run: run2")
        writer.close()
        proc.send_signal(signal.SIGINT)  # Ctrl-C is how a watch ends: quietly, exit 0
        try:  # an event, not a pause: a generous limit costs nothing when it ends at once
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the watch did not end on Ctrl-C; stderr: {''.join(errors)[-2000:]}") from None
        drained.join(timeout=10)
        assert code == 0 and "Traceback" not in "".join(errors), "".join(errors)[-2000:]
    finally:
        proc.kill()


def test_watch_says_when_a_finding_clears_or_can_no_longer_be_judged():
    from diagnostics.engine import diagnose
    from diagnostics.follow import changes
    from diagnostics.reader import load
    from diagnostics.remedies import rule_title

    run = load(SAMPLES / "overfitting").runs[0]
    found = diagnose(run)
    assert changes(found, found, "en") == []
    unjudged = diagnose(run.with_mapping({"val/loss": None, "val/acc": None}))  # no validation left
    assert changes(found, unjudged, "en") == [
        f"- {rule_title('overfitting')}: no longer assessed "
        f"({english(next(n.reason for n in unjudged.not_assessed if n.rule_id == 'overfitting'))})"]
    healthy = diagnose(load(SAMPLES / "healthy").runs[0])
    assert changes(found, healthy, "zh") == [f"- {rule_title('overfitting', 'zh')}: 已消失"]
    assert changes(healthy, found, "en")[0].startswith(f"+ found: {rule_title('overfitting')} [WARNING, from step")


def test_help_imports_neither_pandas_nor_the_rules():
    """`--help` starts fast: argparse only; the heavy modules wait until there is a run."""
    probe = ("import sys\nfrom diagnostics import cli\ntry:\n    cli.main(['--help'])\n"
             "except SystemExit:\n    pass\n"
             "heavy = [m for m in ('pandas', 'numpy', 'diagnostics.rules', 'diagnostics.reader', "
             "'google.protobuf') if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY []" in out


def test_cli_languages_are_the_catalogue_languages():
    from diagnostics.remedies import LANGS
    assert cli.LANGS == LANGS

"""`python -m diagnostics PATH --fail-on warning|error`: a CI gate that stops a bad run from
being promoted (exit 1 at or above the severity, 0 below it, 2 on bad input)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from diagnostics import cli
from tests.conftest import REPO

SAMPLES = REPO / "sample_runs"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="sample_runs/ not present")


@needs_samples
@pytest.mark.parametrize("run, fail_on, code", [
    ("healthy", "warning", 0),             # no finding
    ("healthy", "error", 0),
    ("dead_relu", "warning", 1),           # a warning
    ("dead_relu", "error", 0),             # ... is below "error"
    ("exploding_gradient", "error", 1),    # critical: divergence + exploding gradients
    ("exploding_gradient", "warning", 1),  # at or above warning
    ("dead_relu", None, 0),                # without the flag: 0 as before
])
def test_fail_on_severity(run, fail_on, code, capsys):
    argv = [str(SAMPLES / run)] + (["--fail-on", fail_on] if fail_on else [])
    assert cli.main(argv) == code
    out = capsys.readouterr().out
    assert out.strip()  # the report is printed either way


@needs_samples
def test_fail_on_with_json_and_a_whole_folder(capsys):
    assert cli.main([str(SAMPLES), "--json", "--fail-on", "error"]) == 1  # one bad run fails it
    assert '"runs"' in capsys.readouterr().out


def test_bad_input_is_2(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nothing"), "--fail-on", "warning"]) == 2
    assert cli.main([str(tmp_path), "--fail-on", "warning"]) == 2  # no event files
    with pytest.raises(SystemExit) as bad:
        cli.main([str(tmp_path), "--fail-on", "sometimes"])
    assert bad.value.code == 2
    assert cli.main([str(tmp_path), "--watch", "--fail-on", "error"]) == 2
    assert all(line.startswith("error: ") for line in capsys.readouterr().err.splitlines())


@needs_samples
def test_the_exit_code_reaches_the_shell():
    done = subprocess.run([sys.executable, "-m", "diagnostics", str(SAMPLES / "dead_relu"),
                           "--fail-on", "warning"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Dead ReLU" in done.stdout

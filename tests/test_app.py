"""The Streamlit UI, driven headless with AppTest: every page, the newcomer path, mapping, uploads."""
from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from diagnostics.messages import Msg
from diagnostics.model import Evidence, Finding, Severity
from diagnostics.remedies import DIAGNOSIS_ORDER, rule_title
from diagnostics.rules.base import SyntheticRun
from tests.ui_fixtures import BIRD_LOGS, HAVE_REALLOGS, REPO, zip_dir, zip_slip
from ui import mapping, sources

SAMPLE = "overfitting"
needs_reallogs = pytest.mark.skipif(not HAVE_REALLOGS,
                                    reason="../shared/reallogs is not beside this checkout")
needs_samples = pytest.mark.skipif(not (sources.SAMPLES_ROOT / SAMPLE).is_dir(),
                                   reason="sample_runs/ not generated yet (python -m trainers)")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # cache_data lives for the whole process: a test must not see another test's parses.
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def start() -> AppTest:
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=30).run()


def texts(at: AppTest) -> str:
    """Everything a user reads on the page, as one string."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info",
                                  "success", "warning", "error") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def pick_sample(at: AppTest, name: str = SAMPLE) -> AppTest:
    at.multiselect(key="pick_samples").set_value([name])
    return ok(at.run())


def unfold(at: AppTest, *keys: str) -> AppTest:
    """Open folded panels (`mapping.OPEN`, "config_open") as a click on their header does."""
    for key in keys:
        at.session_state[key] = True
    return ok(at.run())


@needs_samples
def test_the_health_summary_names_the_first_remedy_to_try():
    from diagnostics.remedies import remedies_for

    at = pick_sample(start())
    [alert] = [w.value for w in at.warning if "Fix first" in w.value]
    assert f"Try first: {remedies_for('overfitting', 'en')[0].action}" in alert


def test_empty_state_tells_a_newcomer_what_to_do():
    at = ok(start())
    assert "Pick a sample run on the left" in texts(at)
    assert at.radio(key="source").value == "samples"


@needs_samples
def test_example_button_diagnoses_a_sample_in_one_click():
    at = start()
    at.button(key="try_example").click()
    ok(at.run())
    assert at.multiselect(key="pick_samples").value == [SAMPLE]
    assert rule_title("overfitting", "en") in texts(at)


@needs_samples
def test_sample_run_shows_findings_with_evidence_on_charts():
    at = pick_sample(start())
    page = texts(at)
    assert "Health summary" in page and rule_title("overfitting", "en") in page
    figs = charts(at)
    assert figs, "no plotly charts"
    loss = next(f for f in figs if "Loss" in json.dumps(f["layout"].get("title", "")))
    kinds = {(s["type"], s.get("line", {}).get("dash")) for s in loss["layout"].get("shapes", [])}
    assert ("rect", None) in kinds and ("line", "dash") in kinds  # window + onset drawn
    # Findings follow the report's fixed order.
    shown = [r for r in DIAGNOSIS_ORDER if f". 🔴 {rule_title(r, 'en')}" in page
             or f". 🟠 {rule_title(r, 'en')}" in page or f". 🔵 {rule_title(r, 'en')}" in page]
    assert shown == sorted(shown, key=DIAGNOSIS_ORDER.index) and "overfitting" in shown
    assert len(at.get("download_button")) == 3  # JSON, Markdown, HTML (built on click)


@needs_samples
def test_charts_carry_their_own_look_and_the_fix_first_remedy_is_shown_the_rest_on_request():
    """Drawn as built (Streamlit's theme off: it would restyle each figure in the browser),
    and only the fix-first finding's first remedy up front: the charts, above, wait for what
    is sent with them."""
    from diagnostics.remedies import remedies_for
    from ui.chart_style import TEMPLATE

    at = pick_sample(start())
    assert {e.proto.theme for e in at.get("plotly_chart")} == {""}
    for fig in charts(at):
        assert fig["layout"]["template"] == TEMPLATE.to_plotly_json()
        assert fig["layout"]["template"]["layout"]["xaxis"]["automargin"] is True  # a wide label widens
    remedies = remedies_for("overfitting", "en")
    page = texts(at)
    assert f"1. **{remedies[0].action}**" in page and remedies[1].action not in page
    assert at.code[0].value == remedies[0].snippet and len(at.code) == 1
    fold = next(e for e in at.expander if e.label == f"Remedies 2–{len(remedies)} of {len(remedies)}")
    assert fold.proto.expanded is False
    unfold(at, "remedies_open:overfitting:True")
    page = texts(at)
    assert all(r.action in page for r in remedies[1:])
    assert [c.value for c in at.code] == [r.snippet for r in remedies if r.snippet]


@needs_samples
def test_per_layer_detail_no_rule_reads_is_drawn_on_request():
    at = pick_sample(start(), "dead_relu")
    titles = [c["layout"]["title"]["text"] for c in charts(at)]
    # what the diagnosis reads, up front; update ratio and weight norm folded, named on the fold
    assert titles == ["Loss", "Accuracy", "Learning rate", "Gradient norm per layer",
                      "Dead-unit fraction per layer"]
    fold = next(e for e in at.expander if "Per-layer detail (2 charts)" in e.label)
    assert "Update ratio" in fold.label and "Weight norm per layer" in fold.label
    unfold(at, "detail_open")
    assert [c["layout"]["title"]["text"] for c in charts(at)][5:] == ["Update ratio |Δw|/|w| per layer",
                                                                        "Weight norm per layer"]


def test_a_detail_chart_holding_evidence_is_drawn_up_front():
    from ui import charts as chart_specs
    run = SyntheticRun("w").scalar("weight_norm/fc1", [0, 1, 2], [1.0, 2.0, 3.0]).build()
    spec = next(s for s in chart_specs.SPECS if s.id == "weight_norm")
    finding = Finding(rule_id="made_up", severity=Severity.INFO, confidence=0.5, message=Msg("x"),
                      evidence=(Evidence(tag="weight_norm/fc1", steps=(0, 2), statistic="s", value=1.0,
                                         threshold=0.5),))
    assert spec.detail and chart_specs.has_evidence(run, spec, [finding])
    assert not chart_specs.has_evidence(run, spec, [replace(finding, evidence=())])


@needs_samples
def test_chart_controls_are_kept_when_another_run_is_opened():
    at = pick_sample(start())
    at.slider(key="curve_view:smoothing").set_value(0.9)
    at.radio(key="curve_view:x").set_value("epoch")
    at.toggle(key="curve_view:robust").set_value(False)
    at.radio(key="curve_view:log").set_value("log")
    ok(at.run())
    loss = next(c for c in charts(at) if c["layout"]["title"]["text"] == "Loss")
    assert loss["layout"]["yaxis"]["type"] == "log" and loss["layout"]["xaxis"]["title"]["text"] == "epoch"
    [scales] = loss["layout"]["updatemenus"]  # and each chart flips in place: log is the one shown
    assert [b["label"] for b in scales["buttons"]] == ["linear", "log"] and scales["active"] == 1
    assert loss["data"][0]["opacity"] == 0.25 and loss["data"][1]["name"] == "train/loss"  # raw, smoothed
    # another run, then none at all (no chart drawn), then a third: the choices stay
    for picked in (["vanishing_gradient"], [], ["healthy"]):
        at.multiselect(key="pick_samples").set_value(picked)
        ok(at.run())
    assert at.slider(key="curve_view:smoothing").value == 0.9
    assert at.radio(key="curve_view:x").value == "epoch"
    assert at.toggle(key="curve_view:robust").value is False
    assert at.radio(key="curve_view:log").value == "log"
    at.radio(key="lang").set_value("zh")
    ok(at.run())
    assert at.radio(key="curve_view:x").value == "epoch" and not at.warning


@needs_samples
def test_language_switch_turns_labels_and_findings_chinese():
    at = pick_sample(start())
    at.radio(key="lang").set_value("zh")
    ok(at.run())
    page = texts(at)
    assert "健康概览" in page and rule_title("overfitting", "zh") in page
    assert "Health summary" not in page


@needs_samples
def test_correcting_the_tag_mapping_changes_the_diagnosis():
    at = pick_sample(start())
    assert rule_title("overfitting", "en") in texts(at)
    assert not any(s.label == "val/loss" for s in at.selectbox)  # folded: not drawn, not waited for
    unfold(at, mapping.OPEN)
    val_loss = next(s for s in at.selectbox if s.label == "val/loss")
    assert val_loss.value == "val/loss"  # our trainer writes canonical names
    unmap_validation(at)  # "not logged": without validation overfitting cannot be judged
    ok(at.run())
    page = texts(at)
    found = page.split("Problems found")[1].split("Looks fine")[0]
    assert rule_title("overfitting", "en") not in found
    unknown = page.split("Could not assess")[1]
    assert "Overfitting" in unknown and rule_title("overfitting", "en") not in unknown  # the check's name
    fine = page.split("Looks fine")[1].split("Could not assess")[0]
    assert "Divergence" in fine and rule_title("divergence", "en") not in fine  # not "The loss diverges"
    assert "Diagnosed with your corrected mapping" in page
    at.session_state[mapping.OPEN] = False  # folded again: the fix stays, and says so
    ok(at.run())
    assert "Diagnosed with your corrected mapping" in texts(at) and not at.selectbox
    assert rule_title("overfitting", "en") not in texts(at).split("Problems found")[1].split("Looks fine")[0]
    unfold(at, mapping.OPEN)
    reset = next(b for b in at.button if b.key and b.key.startswith("map_reset:"))
    reset.click()
    ok(at.run())
    assert rule_title("overfitting", "en") in texts(at).split("Looks fine")[0]


def open_server_folder(root, monkeypatch, name: str) -> AppTest:
    """The app with `root` as its runs folder and the run folder `name` picked."""
    monkeypatch.setenv(sources.RUNS_ENV, str(root))
    at = start()
    at.radio(key="source").set_value("server")
    ok(at.run())
    at.multiselect(key="pick_server").set_value([name])
    return ok(at.run())


def unmap_validation(at: AppTest) -> None:
    """Map neither val/loss nor val/acc (either one alone lets overfitting be judged)."""
    for label in ("val/loss", "val/acc"):
        next(s for s in at.selectbox if s.label == label).set_value("")


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="source").set_value("upload")
    ok(at.run())
    at.file_uploader(key="upload").set_value((name, data, "application/octet-stream"))
    return ok(at.run())


@pytest.mark.parametrize("name,data", [
    ("events.out.tfevents.123.host", os.urandom(2048)),
    ("logs.zip", zip_slip()),
], ids=["random-bytes", "zip-slip"])
def test_bad_upload_shows_one_line_error_not_a_traceback(name, data):
    at = upload(start(), name, data)
    messages = [e.value for e in (*at.error, *at.warning)]
    assert messages, "no error shown"
    assert all("\n" not in m and "Traceback" not in m for m in messages)
    assert not at.get("plotly_chart")


def test_an_upload_without_event_files_names_the_file():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes/readme.md", "no logs here")
    at = upload(start(), "experiment-7.zip", buf.getvalue())
    [message] = [e.value for e in at.error]
    assert "`experiment-7.zip`" in message and "no TensorBoard event file" in message and "\n" not in message


def test_each_source_says_what_to_do_when_nothing_is_picked(tmp_path, monkeypatch):
    at = start()
    at.radio(key="source").set_value("upload")
    ok(at.run())  # nothing uploaded yet: the page asks for an upload
    assert "Upload event files" in texts(at) and "Pick a sample run" not in texts(at)
    monkeypatch.setenv(sources.RUNS_ENV, str(tmp_path))
    from torch.utils.tensorboard import SummaryWriter

    for name in ("older", "newer"):
        with SummaryWriter(str(tmp_path / name)) as writer:
            writer.add_scalar("train/loss", 1.0, 0)
    os.utime(tmp_path / "older", (1e9, 1e9))
    at.radio(key="source").set_value("server")
    ok(at.run())
    # the runs folder opens on its newest run
    assert at.multiselect(key="pick_server").value == ["newer"] and "Health summary" in texts(at)
    at.multiselect(key="pick_server").set_value([])
    ok(at.run())
    assert f"Pick one or more runs of `{tmp_path.name}`" in texts(at) and "Pick a sample run" not in texts(at)


@needs_reallogs
def test_zipped_keras_logdir_upload_is_diagnosed():
    at = upload(start(), "logs.zip", zip_dir(BIRD_LOGS))
    page = texts(at)
    assert "Health summary" in page
    assert charts(at)
    # Keras's epoch_loss under train/ and validation/ was taken as train and val loss.
    roles = {s.label: s.value for s in unfold(at, mapping.OPEN).selectbox}
    assert roles.get("train/loss") and roles.get("val/loss")


@needs_samples
def test_server_runs_root_lists_only_its_own_folders(tmp_path, monkeypatch):
    run = tmp_path / "exp1"
    run.mkdir()
    for f in (sources.SAMPLES_ROOT / SAMPLE).iterdir():
        (run / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv(sources.RUNS_ENV, str(tmp_path))
    at = start()
    at.radio(key="source").set_value("server")
    ok(at.run())
    picker = at.multiselect(key="pick_server")
    assert picker.options == ["exp1"]
    picker.set_value(["exp1"])
    ok(at.run())
    assert "Health summary" in texts(at)


def test_an_empty_runs_folder_is_followed_until_a_run_appears(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    from ui import watch

    monkeypatch.setenv(sources.RUNS_ENV, str(tmp_path))
    at = start()
    at.radio(key="source").set_value("server")
    ok(at.run())
    assert "No event files under" in texts(at) and at.toggle(key="watch_server").value is True
    empty = watch.state_now(tmp_path, [])
    writer = SummaryWriter(str(tmp_path / "first"))  # a training starts writing there
    writer.add_scalar("train/loss", 1.0, 0)
    writer.close()
    assert watch.state_now(tmp_path, []) != empty  # what makes the open page redraw
    ok(at.run())
    assert at.multiselect(key="pick_server").options == ["first"]


def _log_steps(writer, steps) -> None:
    for step in steps:
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.flush()


def test_a_run_still_training_says_so_and_the_page_follows_it(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    from ui import watch

    run = tmp_path / "live"
    writer = SummaryWriter(str(run))
    _log_steps(writer, range(10))
    # our trainer's status of a run in progress; the pid is alive (this test's own process)
    (run / "status.json").write_text(json.dumps({"state": "running", "epoch": 1, "epochs": 5,
                                                 "pid": os.getpid()}))
    monkeypatch.setenv(sources.RUNS_ENV, str(tmp_path))
    at = start()
    at.radio(key="source").set_value("server")
    ok(at.run())
    assert at.toggle(key="watch_server").value is True  # following is on by default
    drawn = []
    monkeypatch.setattr(watch, "follow", lambda *args: drawn.append(args))  # what the page hands it
    at.multiselect(key="pick_server").set_value(["live"])
    ok(at.run())
    assert "Still training (epoch 1 of 5)" in texts(at) and "· 10 points" in texts(at)

    # What the timed watcher compares: the page's own picture equals the disk's while nothing
    # changes (else a still page would redraw forever), and differs once the run grows.
    (root, folders, seen) = drawn[-1]
    assert (root, folders) == (tmp_path.resolve(), ("live",))
    assert watch.state_now(tmp_path, ["live"]) == seen  # nothing changed: no redraw
    _log_steps(writer, range(10, 25))
    grown = watch.state_now(tmp_path, ["live"])
    assert grown != seen
    other = SummaryWriter(str(tmp_path / "second"))
    _log_steps(other, range(3))
    assert watch.state_now(tmp_path, ["live"]) != grown
    writer.close()
    other.close()

    (run / "status.json").write_text(json.dumps({"state": "done", "epoch": 5, "epochs": 5}))
    ok(at.run())
    assert "Still training" not in texts(at) and "· 25 points" in texts(at)
    assert at.multiselect(key="pick_server").options == ["live", "second"]


def test_a_yolo_style_run_shows_its_derived_loss_and_its_other_scalars(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "exp"))
    for epoch in range(12):
        for side in ("train", "val"):
            writer.add_scalar(f"{side}/box_loss", 0.1 / (epoch + 1), epoch)
            writer.add_scalar(f"{side}/obj_loss", 0.05 / (epoch + 1), epoch)
        writer.add_scalar("metrics/mAP_0.5", epoch / 12, epoch)
    writer.close()
    at = open_server_folder(tmp_path, monkeypatch, "exp")
    loss = next(c for c in charts(at) if c["layout"]["title"]["text"] == "Loss")
    assert [d["name"] for d in loss["data"]] == ["train/loss (train/box_loss+obj_loss)",
                                                  "val/loss (val/box_loss+obj_loss)"]
    # mAP is the run's validation metric: a main chart of its own, not an "other" scalar
    metric = next(c for c in charts(at) if c["layout"]["title"]["text"] == "Validation metric")
    assert [d["name"] for d in metric["data"]] == ["val/metric (metrics/mAP_0.5)"]
    assert not any(str(k).startswith("other:") for k in at.session_state)  # folded: not drawn
    drawn = len(charts(at))
    unfold(at, "other_open")
    other = at.multiselect(key=next(k for k in at.session_state if str(k).startswith("other:")))
    assert "metrics/mAP_0.5" not in other.options
    assert "train/box_loss" in other.options  # a component stays available on its own
    assert len(charts(at)) == drawn + len(other.value) > drawn  # its charts, once unfolded


@needs_reallogs
def test_every_real_log_renders_without_an_exception(monkeypatch):
    # Other people's logs (Keras, Lightning, TF1, SB3, truncated, LFS pointers...) as a runs root.
    monkeypatch.setenv(sources.RUNS_ENV, str(BIRD_LOGS.parents[1]))
    at = start()
    at.radio(key="source").set_value("server")
    ok(at.run())
    picker = at.multiselect(key="pick_server")
    picker.set_value(picker.options)
    ok(at.run())
    assert not at.error and at.warning  # damaged files are reported, the rest still loads
    # before/after across two writers where one logs no loss at all: said, not a crash
    labels = at.selectbox(key="chosen_run").options
    at.selectbox(key="pair_before").set_value(next(i for i, n in enumerate(labels) if "YOLOv5" in n))
    at.selectbox(key="pair_after").set_value(next(i for i, n in enumerate(labels) if "tensorflow-zoo" in n))
    assert "nothing to weigh them on" in texts(ok(at.run()))
    for label in at.selectbox(key="chosen_run").options:
        at.selectbox(key="chosen_run").set_value(label)
        assert "Health summary" in texts(ok(at.run()))


def test_paths_are_confined_to_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "ok").mkdir(parents=True)
    (root / "link").symlink_to(tmp_path)
    assert sources.inside(root, "ok") == (root / "ok").resolve()
    for escape in ("..", "../root2", "link", "/etc"):
        with pytest.raises(sources.OutsideRoot):
            sources.inside(root, escape)
    assert sources.runs_root(["--runs", str(root)]) == root.resolve()


def test_guide_page_in_both_languages():
    at = start()
    at.switch_page("ui/pages/guide.py")
    ok(at.run())
    page = texts(at)
    assert all(rule_title(r, "en") in page for r in DIAGNOSIS_ORDER)
    from trainers.hooks import OWN_LOOP_EXAMPLE
    assert at.code[0].value == OWN_LOOP_EXAMPLE.rstrip()  # how to instrument one's own loop, first code shown
    from trainers.callbacks import HUGGINGFACE_EXAMPLE, LIGHTNING_EXAMPLE
    assert [c.value for c in at.code[1:3]] == [LIGHTNING_EXAMPLE.rstrip(), HUGGINGFACE_EXAMPLE.rstrip()]
    from diagnostics.documents import DOCUMENTS
    assert all(doc.name("en") in page for doc in DOCUMENTS)  # the five sources, by title
    assert ".txt" not in page  # never a hashed file name
    at.radio(key="lang").set_value("zh")
    ok(at.run())
    assert "诊断顺序" in texts(at) and "《深度学习实践经验总结》" in texts(at)


@needs_samples
def test_choices_survive_a_language_switch():
    # Streamlit stores a choice as its translated label; i18n.keep_choices carries it across.
    # (Only the browser shows the lost choice; here we check values and that no warning shows.)
    at = unfold(pick_sample(start()), mapping.OPEN)
    unmap_validation(at)
    ok(at.run())
    at.radio(key="lang").set_value("zh")
    ok(at.run())
    assert next(s for s in at.selectbox if s.label == "val/loss").value == ""
    assert at.radio(key="source").value == "samples"
    assert not at.warning
    at.radio(key="source").set_value("upload")
    ok(at.run())
    at.radio(key="lang").set_value("en")
    ok(at.run())
    assert at.radio(key="source").value == "upload"


@needs_samples
def test_several_runs_get_an_overview_and_a_chooser():
    at = start()
    at.multiselect(key="pick_samples").set_value(["healthy", SAMPLE])
    ok(at.run())
    table = at.dataframe[0].value  # the overview sits above the chosen run
    assert list(table.iloc[:, 0]) == ["healthy", SAMPLE]
    differ = at.dataframe[1].value  # under the overview: what was changed between the two
    assert list(differ["run"]) == ["healthy", SAMPLE] and {"train_size", "label_noise"} <= set(differ.columns)
    assert "dataset" not in differ.columns and "seed" not in differ.columns  # the same in both
    together = {c["layout"]["title"]["text"]: [d["name"] for d in c["data"]] for c in charts(at)[:2]}
    assert together == {"train/loss": ["healthy", SAMPLE], "val/loss": ["healthy", SAMPLE]}  # overlaid
    assert "healthy has no problem to check for" in texts(at)  # before = the first run picked
    at.selectbox(key="pair_before").set_value(1)  # overfitting, then the healthy run "after"
    at.selectbox(key="pair_after").set_value(0)
    ok(at.run())
    [verdict] = [s.value for s in at.success if s.value.startswith("fixed:")]
    assert rule_title("overfitting", "en") in verdict and "provisional" in verdict  # one seed a side
    assert at.header[0].value == "healthy"
    at.selectbox(key="chosen_run").set_value(SAMPLE)
    ok(at.run())
    assert at.header[0].value == SAMPLE and rule_title("overfitting", "en") in texts(at)
    unfold(at, "config_open")
    config = next(d.value for d in at.dataframe if list(d.value.columns) == ["setting", "value"])
    assert dict(zip(config.iloc[:, 0], config.iloc[:, 1]))["label_noise"] == "0.4"  # its config.json


def test_a_folder_holding_two_runs_lists_both_and_says_which_is_shown(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    folder = tmp_path / "exp"
    for wall0 in (1_700_000_000, 1_700_005_000):  # the script run twice into one folder
        writer = SummaryWriter(str(folder), filename_suffix=f".{wall0}")
        for step in range(30):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step, walltime=wall0 + step)
        writer.close()
    at = open_server_folder(tmp_path, monkeypatch, "exp")
    assert at.selectbox(key="chosen_run").options == ["exp#1", "exp#2"]
    assert any(i.value.startswith("Run 1 of 2 found in folder exp") for i in at.info)


def test_a_hostile_runs_folder_still_lists_and_loads_its_good_runs(tmp_path, monkeypatch):
    """A folder name that is not UTF-8 took the whole "Runs folder on the server" source down
    (UnicodeEncodeError), and a FIFO named like an event file hung it (issue 10)."""
    from tests.test_reader_writers import simple, write_events

    write_events(tmp_path / "tmp", [(s, [simple("train/loss", 1.0 / (s + 1))]) for s in range(30)])
    os.rename(os.fsencode(tmp_path / "tmp"), os.fsencode(tmp_path) + b"/caf\xe9")  # bytes, not UTF-8
    write_events(tmp_path / "good", [(s, [simple("train/loss", 1.0 / (s + 1))]) for s in range(30)])
    os.mkfifo(tmp_path / "good" / "events.out.tfevents.9.fifo")
    monkeypatch.setenv(sources.RUNS_ENV, str(tmp_path))
    at = start()
    at.radio(key="source").set_value("server")
    picker = ok(at.run()).multiselect(key="pick_server")
    assert picker.options == ["caf\\xe9", "good"]  # shown escaped
    picker.set_value(picker.options)
    ok(at.run())
    assert at.selectbox(key="chosen_run").options == ["caf\\xe9", "good"]
    assert any("good/events.out.tfevents.9.fifo" in w.value and "(a FIFO)" in w.value for w in at.warning)

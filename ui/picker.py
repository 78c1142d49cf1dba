"""The sidebar: where runs come from and which of them to diagnose.

Returns the chosen runs plus one-line problems to show; never raises on bad input — the
reader's errors arrive here as messages (see `sources.Loaded`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from diagnostics.messages import render
from diagnostics.rundata import RunData
from ui import names, sources, watch
from ui.i18n import t

SOURCES = ("samples", "server", "upload")
EXAMPLE_RUN = "overfitting"  # what the empty state's one-click example opens


@dataclass(frozen=True)
class Chosen:
    label: str  # what the user sees: folder, or folder/run when a folder holds several runs
    run: RunData
    key: str  # stable id of the run (its place): widget keys, so a growing run keeps its mapping
    content: str  # id of what was read: the diagnosis cache key


@dataclass
class Picked:
    runs: list[Chosen] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each, shown as errors
    skipped: list[str] = field(default_factory=list)  # files the reader skipped, shown as warnings
    watch: tuple[Path, tuple[str, ...], str] | None = None  # (root, folders, state) to follow
    source: str = "samples"  # where the runs come from: what the empty page tells the user to do
    root: str = ""  # the folder listed, by name
    choices: int = 0  # run folders listed there


def show_example() -> None:
    """on_click of the empty state's button: switch to the samples and pick one."""
    st.session_state["source"] = "samples"
    folders = sources.list_run_folders(sources.SAMPLES_ROOT)
    if folders:
        st.session_state["pick_samples"] = [EXAMPLE_RUN if EXAMPLE_RUN in folders else folders[0]]


def where(path: str) -> tuple[str, str] | None:
    """(source, folder) under which the sidebar lists a run folder, None if it lists it nowhere
    (the lineage view's "open" buttons point the picker at a parent or a child this way)."""
    run = Path(path).resolve()
    for source, root in (("samples", sources.SAMPLES_ROOT), ("server", sources.runs_root())):
        if run.parent == root.resolve() and sources.is_listed(root, run.name):
            return source, run.name
    return None


def open_run(source: str, folder: str) -> None:
    """on_click: show this run on the Diagnose page (its sidebar widgets are not drawn yet)."""
    st.session_state["source"] = source
    st.session_state[f"pick_{source}"] = [folder]


def sidebar(lang: str) -> Picked:
    with st.sidebar:
        source = st.radio(t("source", lang), SOURCES, key="source",
                          format_func=lambda s: t(f"src_{s}", lang))
        if source == "upload":
            picked = _uploads(lang)
        else:
            root = sources.SAMPLES_ROOT if source == "samples" else sources.runs_root()
            picked = _folders(root, source, lang)
            picked.root = sources.shown(root.name)
        picked.source = source
        return picked


def _run_key(content_key: str, run_name: str) -> str:
    # surrogateescape: a folder name that is not UTF-8 hashes as its own bytes
    return hashlib.sha1(f"{content_key}\0{run_name}".encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _folders(root: Path, source: str, lang: str) -> Picked:
    folders = sources.list_run_folders(root)
    if not folders:
        st.info(t("no_samples" if source == "samples" else "no_server_runs", lang, root=root))
        picked_folders = []
    else:
        if source == "server" and "pick_server" not in st.session_state:
            # A runs folder opens on its newest run: most often the one just trained.
            st.session_state["pick_server"] = [sources.newest(root, folders)]
        label = t("pick_samples", lang) if source == "samples" else t("pick_server", lang, root=root.name)
        # Real names are the values; what is shown escapes bytes that are not UTF-8 (`sources.shown`).
        # A chip shows a long name's tail (where runs of one experiment differ), the help in full.
        cut = names.cut(sources.shown(f) for f in st.session_state.get(f"pick_{source}", []))
        picked_folders = [f for f in st.multiselect(label, folders, key=f"pick_{source}",
                                                    format_func=lambda f: names.tail(sources.shown(f)),
                                                    help=t("full_names", lang, names=", ".join(cut)) if cut else None)
                          if f in folders]
    picked = Picked(choices=len(folders))
    # Taken once, before reading: the loader's cache key and the watcher's starting point (a
    # file that changes while we read makes the watcher redraw once more).
    prints = {folder: sources.fingerprint(sources.inside(root, folder)) for folder in picked_folders}
    # Followed even while empty: the first run a training writes there then shows by itself.
    if source == "server" and st.toggle(t("watch", lang), value=True, key="watch_server",
                                        help=t("watch_help", lang, s=f"{watch.EVERY_S:g}")):
        picked.watch = (root, tuple(picked_folders), watch.state(folders, list(prints.values())))
    for folder in picked_folders:  # only what we listed ourselves; nothing typed in
        with st.spinner(t("loading", lang)):
            content, loaded = sources.load_folder(root, folder, prints[folder])
        if loaded.error:
            picked.errors.append(t("load_failed", lang, what=sources.shown(folder), msg=render(loaded.error, lang)))
        picked.skipped += _file_problems(loaded, lang)
        for run in loaded.runs:
            label = _folder_label(sources.shown(folder), run.run, len(loaded.runs))
            picked.runs.append(Chosen(label, run, _run_key(f"{root}/{folder}", run.run),
                                      _run_key(content, run.run)))
    return picked


def _file_problems(loaded: sources.Loaded, lang: str) -> list[str]:
    return [t("file_problem", lang, file=f, msg=render(m, lang)) for f, m in loaded.problems]


def _folder_label(folder: str, run_name: str, n_runs: int) -> str:
    if n_runs == 1 or run_name in ("", ".", folder):
        return folder
    # "folder#2": the folder itself held several runs (reader: RunData.part)
    return run_name if run_name.startswith((f"{folder}/", f"{folder}#")) else f"{folder}/{run_name}"


def _named(files, lang: str, most: int = 3) -> str:
    """The uploaded files by name, the first few: what an error is about."""
    shown = ", ".join(f"`{f.name}`" for f in files[:most])
    return shown if len(files) <= most else t("and_more", lang, shown=shown, n=len(files) - most)


def _uploads(lang: str) -> Picked:
    # No `type=` filter: event file names end in hostnames, pids, ".v2" — anything.
    files = st.file_uploader(t("upload_label", lang), accept_multiple_files=True, key="upload",
                             max_upload_size=sources.UPLOAD_LIMIT_MB)
    st.caption(t("upload_help", lang, mb=sources.UPLOAD_LIMIT_MB))
    if not files:
        return Picked()
    with st.spinner(t("loading", lang)):
        digest, loaded = sources.load_uploads([(f.name, f.getvalue()) for f in files])
    picked = Picked(skipped=_file_problems(loaded, lang))
    if loaded.error:
        picked.errors.append(t("upload_failed", lang, msg=render(loaded.error, lang)))
        return picked
    if not loaded.runs:
        picked.errors.append(t("upload_failed", lang, msg=t("no_runs_in_upload", lang, files=_named(files, lang))))
        return picked
    by_label = {run.run or f"upload {i + 1}": run for i, run in enumerate(loaded.runs)}
    # Keyed by the upload's hash: a new upload starts with all of its runs picked.
    chosen = st.multiselect(t("pick_upload", lang), list(by_label), default=list(by_label),
                            key=f"pick_upload:{digest[:12]}")
    picked.runs = [Chosen(label, by_label[label], _run_key(digest, label), _run_key(digest, label))
                   for label in chosen]
    return picked

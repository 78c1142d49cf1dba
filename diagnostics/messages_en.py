"""English wording of the back-end's messages, by key (`diagnostics.messages`).

The reader's problems and refusals (records, framing, summaries, discover, reader, run_folder,
assemble, archives), the command lines' errors, and the trainer's config, re-run, path and job
errors (trainers/config.py, rerun.py, cli.py, scenarios.py, confine.py, jobs.py, job_runner.py,
train_job.py).
This text IS what `str()` of a message gives: tests, `--json` and logs match on it, so rewording
an entry here rewords the message everywhere. The rest of the English is declared beside the
code that says it (the rules, `rules.base`, `engine`, `instrument_hint`, `verdict_text`: see
`diagnostics.messages`); the Chinese of all of it is `messages_zh.ZH`, same keys, same
placeholders.
"""
from __future__ import annotations

_BOMB = "(Limits.max_bytes; zip bomb?); archive refused"
_RATIO = "({r}x its {size} bytes, Limits.max_ratio; zip bomb?); archive refused"

EN: dict[str, str] = {
    # ---- kinds of non-regular files (files.kind), used as {kind}
    "kind.fifo": "a FIFO",
    "kind.socket": "a socket",
    "kind.char_device": "a character device",
    "kind.block_device": "a block device",
    "kind.folder": "a folder",
    "kind.symlink": "a symlink",
    "kind.other": "not a regular file",
    # ---- an input refused whole (errors.ReaderError): '<file>: <problem>'
    "reader.refused": "{file}: {problem}",
    # ---- records.py / framing.py / summaries.py: the bytes of one file
    "file.empty": "empty file (0 bytes)",
    "file.git_lfs": "not an event file: a Git LFS pointer (the real file was never fetched)",
    "file.text": "not an event file (text)",
    "file.no_framing": "not an event file (no valid TFRecord framing)",
    "file.junk_head": "first {n} bytes are not intact records (skipped)",
    "file.unreadable_tail": "unreadable bytes from byte {start} to the end ({n} bytes)",
    "file.damaged_span": "damaged bytes {start}-{end} skipped",
    "file.corrupt_records": "{n} corrupt record(s) skipped (CRC mismatch)",
    "file.not_events": "{n} record(s) are not valid Event protobufs (skipped)",
    "file.more_spans": "{n} more damaged span(s) skipped ({b} bytes)",
    "file.malformed_values": "{n} malformed summary value(s) skipped (first: {what})",
    "file.empty_records": "{n} empty record(s) (0 bytes, no event) skipped",
    # ---- reader.py / discover.py / run_folder.py / assemble.py / files.py: files and folders
    "path.missing": "no such file or folder",
    "path.empty": "no path given (an empty path would mean the current folder)",
    "path.not_an_input": "not a folder, an event file or an archive ({kind})",
    "file.not_regular": "not a regular file ({kind}): not read",
    "file.not_regular_open": "not a regular file ({kind})",
    "file.same_as": "same file as {other} (read once)",
    "folder.not_readable": "folder not readable ({why}): not searched",
    "folder.too_deep": "folders nested deeper than {n} levels (Limits.max_depth): not searched below",
    "folder.too_many": "more than {n} folders: the rest not searched",
    "link.folder_outside": "symlink to a folder outside the logdir (not followed)",
    "link.file_outside": "symlink to a file outside the logdir (not followed)",
    "limits.files": "more than {n} event files (Limits.max_files)",
    "limits.bytes": "event files exceed {n} bytes (Limits.max_bytes)",
    "file.profiler_marker": "profiler marker (*.profile-empty): holds no training data, skipped",
    "file.cannot_read": "cannot read: {why}",
    "file.truncated": "truncated: the last {tail} bytes are an incomplete record "
                      "(read the {n} complete events before it)",
    "file.header_only": "empty: only the file header (file_version), no events",
    "file.header_only_live": "empty: only the file header (file_version), no events yet (still being written)",
    "file.no_events": "empty: no events",
    "file.no_events_live": "empty: no events yet (still being written)",
    "file.no_header": "no file_version header: the file's beginning may be missing (first step {step}); "
                      "read what is there",
    "config_json.unreadable": "not readable as JSON ({why}); ignored",
    # ---- archives.py: uploads and archives refused whole
    "archive.members_past_bytes": "its {k} member(s) would expand past {n} bytes " + _BOMB,
    "archive.member_past_bytes": "member '{member}' would expand past {n} bytes " + _BOMB,
    "archive.extracting_past_bytes": "expands past {n} bytes while extracting '{member}' " + _BOMB,
    "archive.members_past_ratio": "its {k} member(s) would expand past {n} bytes " + _RATIO,
    "archive.member_past_ratio": "member '{member}' would expand past {n} bytes " + _RATIO,
    "archive.extracting_past_ratio": "expands past {n} bytes while extracting '{member}' " + _RATIO,
    "archive.absolute": "member '{member}' has an absolute path; archive refused",
    "archive.escapes_dotdot": "member '{member}' escapes the extraction folder (..); archive refused",
    "archive.escapes": "member '{member}' escapes the extraction folder; archive refused",
    "archive.no_name": "member '{member}' has no usable name; archive refused",
    "archive.larger_than_declared": "member '{member}' is larger than it declares; archive refused",
    "archive.symlink": "member '{member}' is a symlink; archive refused",
    "archive.link": "member '{member}' is a link; archive refused",
    "archive.device": "member '{member}' is a device or pipe; archive refused",
    "archive.too_many_members": "{k} members, more than {n} (Limits.max_files); archive refused",
    "archive.more_members": "more than {n} members (Limits.max_files); archive refused",
    "archive.unreadable": "not a readable archive ({why})",
    "upload.too_many_files": "{k} files, more than {n} (Limits.max_files)",
    # ---- trainers/config.py: type checks, parsing, apply_change ({got}: the value's repr)
    "config.one_of": "{field}: must be one of {choices}, got {got}",
    "config.expected_bool": "{field}: expected true/false, got {got}",
    "config.expected_int": "{field}: expected an integer, got {got}",
    "config.expected_finite": "{field}: expected a finite number, got {got}",
    "config.expected_number": "{field}: expected a number, got {got}",
    "config.whole_step": "{field}: an integer field needs a whole step, got {got}",
    "config.rule": "{field}: {problem}, got {got}",
    "config.unknown_key": "{field}: unknown config key",
    "config.not_object": "config: expected a JSON object, got {got}",
    "config.invalid_json": "config: invalid JSON ({why} at line {line})",
    "config.expected_key_value": "{item}: expected key=value",
    # what `TrainConfig._rules()` says is wrong, as {problem} of config.rule
    "rule.compare": "must be {op} {n}",
    "rule.compare_all": "must be {op} {n} (0 = all)",
    "rule.compare_off": "must be {op} {n} (0 = off)",
    "rule.in_range": "must be in {range}",
    "rule.cnn_digits": "cnn needs dataset 'digits'",
    "rule.warmup": "must be >= 0 and below epochs (0 = off)",
    "rule.width": "must be at most {n} with depth {d} ({w} weights at most)",
    "rule.at_most": "must be at most {n}",
    # ---- trainers/rerun.py: which run, which change
    "rerun.no_config": "cannot re-run {dir}: no config.json from Run Doctor's trainer (remedies stay advice)",
    "rerun.not_our_config": "cannot re-run {dir}: its config.json is not a Run Doctor config ({why})",
    "rerun.unknown_remedy": "--remedy: unknown remedy {id}",
    "rerun.advice_only": "--remedy: {id} is advice only (no change our trainer can apply)",
    "rerun.keys_mismatch": "--change: keys {keys} do not match remedy {id} ({own})",
    "rerun.one_change": "--change: one change per re-run, got {keys} (two keys only where a remedy couples them)",
    "rerun.nothing": "--change: give a change (KEY=VALUE), a --remedy or a --seed",
    "rerun.noop": "--change: leaves the parent's config as it is",
    # ---- diagnostics/cli.py: nothing to diagnose
    "cli.nothing_readable": "nothing readable in {path}: {why}",
    "cli.no_event_files": "no event files found",
    # ---- trainers/cli.py and trainers/scenarios.py: what to train, where
    "trainer.config_unreadable": "--config: cannot read {path} ({why})",
    "trainer.config_not_regular": "--config: {path} is not a regular file",
    "trainer.config_too_large": "--config: {path} is larger than {n} bytes",
    "trainer.config_not_utf8": "--config: {path} is not UTF-8 text",
    "trainer.out_broken_link": "--out: cannot make the folder {out} ({link} is a broken link)",
    "trainer.out_not_folder": "--out: {out} exists and is not a folder",
    "trainer.out_under_file": "--out: {out} lies under {existing}, which is not a folder",
    "trainer.out_not_writable": "--out: cannot write into {existing}",
    "trainer.unknown_scenario": "scenario: unknown scenario {name} (known: {known})",
    # ---- trainers/confine.py: a path named by data (OutsideRoot)
    "confine.unusable": "not a usable path",
    "confine.not_absolute": "{path} is not an absolute path",
    "confine.unresolvable": "cannot resolve {path} ({why})",
    "confine.outside": "{path} is outside {root}",
    "confine.outside_all": "{path} is outside every allowed folder",
    "confine.not_folder": "{path} is not a folder",
    "confine.symlink": "the run folder holds a symbolic link ({rel})",
    "confine.too_many": "the run folder holds too many folders to check",
    # ---- trainers/jobs.py, trainers/job_runner.py: why a background job failed (Job.error)
    "job.could_not_start": "could not start: {why}",
    "job.ended": "process ended before the run finished ({why})",
    "job.ended_detail": "process ended before the run finished ({why}): {detail}",
    "job.lost": "killed, crashed or machine restarted",
    "job.signal": "killed by {signal}",
    "job.exit_code": "exit code {code}",
    "job.exception": "{type}: {error}",
    "job.config_unreadable": "cannot read {path} (missing, a symbolic link or not a file)",
}

"""Chinese wording of the reader's messages (records.py, reader.py, archives.py).

The reader's messages are English data: tests, `--json` and logs match on them, so they stay
English where they are made. The Chinese UI and `--lang zh` show them through `translate`,
which matches each message against this table and re-inserts its numbers and names; a message
the table does not know passes through unchanged.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# A template is format text filled with the pattern's named groups, or a function of the match
# that returns the text (None: not this pattern after all, try the next one).
Template = str | Callable[[re.Match[str]], str | None]
Table = tuple[tuple[re.Pattern[str], Template], ...]


def table(pairs: Iterable[tuple[str, Template]]) -> Table:
    """Compile (regex, template) pairs; DOTALL so a member name with odd characters matches."""
    return tuple((re.compile(pattern, re.DOTALL), template) for pattern, template in pairs)


def translate_with(entries: Table, message: str, lang: str) -> str:
    """The text of the first entry whose pattern matches all of `message`; else `message`."""
    if lang != "zh":
        return message
    for pattern, template in entries:
        m = pattern.fullmatch(message)
        if m is None:
            continue
        text = template(m) if callable(template) else template.format(**m.groupdict())
        if text is not None:
            return text
    return message


_REFUSED = "；压缩包被拒绝"
_MEMBER = r"member '(?P<member>.*)'"
_BOMB = r" \(Limits\.max_bytes; zip bomb\?\); archive refused"
_RATIO = r" \((?P<r>\d+)x its (?P<size>\d+) bytes, Limits\.max_ratio; zip bomb\?\); archive refused"
_RATIO_ZH = "（超过其 {size} 字节的 {r} 倍，Limits.max_ratio；疑似 zip 炸弹）" + _REFUSED
_KINDS = {"a FIFO": "FIFO 管道", "a socket": "套接字", "a character device": "字符设备", "a block device": "块设备",
          "a folder": "文件夹", "a symlink": "符号链接", "not a regular file": "非普通文件"}


def _kind(template: str) -> Callable[[re.Match[str]], str | None]:
    """A template whose {kind} is one of `files.kind`'s words."""
    def fill(m: re.Match[str]) -> str | None:
        kind = _KINDS.get(m["kind"])
        return None if kind is None else template.format(**{**m.groupdict(), "kind": kind})
    return fill


READER_MESSAGES = table([
    # records.py: the bytes of one file
    (r"empty file \(0 bytes\)", "空文件（0 字节）"),
    (r"not an event file: a Git LFS pointer \(the real file was never fetched\)",
     "不是事件文件：这是 Git LFS 指针文件（真正的文件从未下载）"),
    (r"not an event file \(text\)", "不是事件文件（是文本文件）"),
    (r"not an event file \(no valid TFRecord framing\)", "不是事件文件（没有有效的 TFRecord 记录结构）"),
    (r"first (?P<n>\d+) bytes are not intact records \(skipped\)", "开头 {n} 字节不是完整的记录（已跳过）"),
    (r"unreadable bytes from byte (?P<start>\d+) to the end \((?P<n>\d+) bytes\)",
     "从第 {start} 字节到文件末尾无法读取（{n} 字节）"),
    (r"damaged bytes (?P<start>\d+)-(?P<end>\d+) skipped", "已跳过损坏的字节 {start}-{end}"),
    (r"(?P<n>\d+) corrupt record\(s\) skipped \(CRC mismatch\)", "已跳过 {n} 条损坏的记录（CRC 校验失败）"),
    (r"(?P<n>\d+) record\(s\) are not valid Event protobufs \(skipped\)",
     "{n} 条记录不是有效的 Event protobuf（已跳过）"),
    (r"(?P<n>\d+) more damaged span\(s\) skipped \((?P<b>\d+) bytes\)", "另有 {n} 段损坏的字节已跳过（共 {b} 字节）"),
    (r"(?P<n>\d+) malformed summary value\(s\) skipped \(first: (?P<what>.*)\)",
     "已跳过 {n} 个格式错误的摘要值（第一个：{what}）"),
    (r"(?P<n>\d+) empty record\(s\) \(0 bytes, no event\) skipped", "已跳过 {n} 条空记录（0 字节，没有事件）"),
    # reader.py: files and folders
    (r"no such file or folder", "文件或文件夹不存在"),
    (r"no path given \(an empty path would mean the current folder\)", "没有给出路径（空路径会被当作当前文件夹）"),
    (r"not a folder, an event file or an archive \((?P<kind>.*)\)",
     _kind("不是文件夹、事件文件或压缩包（是{kind}）")),
    (r"not a regular file \((?P<kind>.*)\): not read", _kind("不是普通文件（是{kind}）：未读取")),
    (r"same file as (?P<other>.*) \(read once\)", "与 {other} 是同一个文件（只读取一次）"),
    (r"folder not readable \((?P<why>.*)\): not searched", "文件夹无法读取（{why}）：未搜索"),
    (r"folders nested deeper than (?P<n>\d+) levels \(Limits\.max_depth\): not searched below",
     "文件夹嵌套超过 {n} 层（Limits.max_depth）：更深处未搜索"),
    (r"more than (?P<n>\d+) folders: the rest not searched", "文件夹超过 {n} 个：其余未搜索"),
    (r"symlink to a folder outside the logdir \(not followed\)", "指向日志目录之外的文件夹的符号链接（未跟随）"),
    (r"symlink to a file outside the logdir \(not followed\)", "指向日志目录之外的文件的符号链接（未跟随）"),
    (r"more than (?P<n>\d+) event files \(Limits\.max_files\)", "事件文件超过 {n} 个（Limits.max_files）"),
    (r"event files exceed (?P<n>\d+) bytes \(Limits\.max_bytes\)", "事件文件总大小超过 {n} 字节（Limits.max_bytes）"),
    (r"profiler marker \(\*\.profile-empty\): holds no training data, skipped",
     "性能分析标记文件（*.profile-empty）：不含训练数据，已跳过"),
    (r"cannot read: (?P<why>.*)", "无法读取：{why}"),
    (r"truncated: the last (?P<tail>\d+) bytes are an incomplete record "
     r"\(read the (?P<n>\d+) complete events before it\)",
     "文件被截断：最后 {tail} 字节是不完整的记录（已读取其前的 {n} 个完整事件）"),
    (r"empty: only the file header \(file_version\), no events", "空文件：只有文件头（file_version），没有事件"),
    (r"empty: only the file header \(file_version\), no events yet \(still being written\)",
     "空文件：只有文件头（file_version），还没有事件（仍在写入）"),
    (r"empty: no events", "空文件：没有事件"),
    (r"empty: no events yet \(still being written\)", "空文件：还没有事件（仍在写入）"),
    (r"no file_version header: the file's beginning may be missing \(first step (?P<step>-?\d+|None)\); "
     r"read what is there",
     "没有 file_version 文件头：文件开头可能缺失（第一步为 {step}）；已读取现有内容"),
    (r"not readable as JSON \((?P<why>.*)\); ignored", "无法按 JSON 读取（{why}）；已忽略"),
    # archives.py: uploads and archives refused whole
    (r"its (?P<k>\d+) member\(s\) would expand past (?P<n>\d+) bytes" + _BOMB,
     "其 {k} 个成员解压后将超过 {n} 字节（Limits.max_bytes；疑似 zip 炸弹）" + _REFUSED),
    (_MEMBER + r" would expand past (?P<n>\d+) bytes" + _BOMB,
     "成员 '{member}' 解压后将超过 {n} 字节（Limits.max_bytes；疑似 zip 炸弹）" + _REFUSED),
    (r"expands past (?P<n>\d+) bytes while extracting '(?P<member>.*)'" + _BOMB,
     "解压成员 '{member}' 时超过 {n} 字节（Limits.max_bytes；疑似 zip 炸弹）" + _REFUSED),
    (r"its (?P<k>\d+) member\(s\) would expand past (?P<n>\d+) bytes" + _RATIO,
     "其 {k} 个成员解压后将超过 {n} 字节" + _RATIO_ZH),
    (_MEMBER + r" would expand past (?P<n>\d+) bytes" + _RATIO, "成员 '{member}' 解压后将超过 {n} 字节" + _RATIO_ZH),
    (r"expands past (?P<n>\d+) bytes while extracting '(?P<member>.*)'" + _RATIO,
     "解压成员 '{member}' 时超过 {n} 字节" + _RATIO_ZH),
    (_MEMBER + r" has an absolute path; archive refused", "成员 '{member}' 是绝对路径" + _REFUSED),
    (_MEMBER + r" escapes the extraction folder \(\.\.\); archive refused",
     "成员 '{member}' 会跳出解压文件夹（..）" + _REFUSED),
    (_MEMBER + r" escapes the extraction folder; archive refused", "成员 '{member}' 会跳出解压文件夹" + _REFUSED),
    (_MEMBER + r" has no usable name; archive refused", "成员 '{member}' 没有可用的名称" + _REFUSED),
    (_MEMBER + r" is larger than it declares; archive refused", "成员 '{member}' 比其声明的大小更大" + _REFUSED),
    (_MEMBER + r" is a symlink; archive refused", "成员 '{member}' 是符号链接" + _REFUSED),
    (_MEMBER + r" is a link; archive refused", "成员 '{member}' 是链接" + _REFUSED),
    (_MEMBER + r" is a device or pipe; archive refused", "成员 '{member}' 是设备文件或管道" + _REFUSED),
    (r"(?P<k>\d+) members, more than (?P<n>\d+) \(Limits\.max_files\); archive refused",
     "共 {k} 个成员，超过 {n} 个（Limits.max_files）" + _REFUSED),
    (r"more than (?P<n>\d+) members \(Limits\.max_files\); archive refused",
     "成员超过 {n} 个（Limits.max_files）" + _REFUSED),
    (r"not a readable archive \((?P<why>.*)\)", "不是可读取的压缩包（{why}）"),
    (r"(?P<k>\d+) files, more than (?P<n>\d+) \(Limits\.max_files\)", "共 {k} 个文件，超过 {n} 个（Limits.max_files）"),
])


def translate(message: str, lang: str) -> str:
    """`message` in `lang`. A refused input reads '<file>: <problem>' (ReaderError): when the
    whole does not match, the problem after each ': ' is tried in turn and the file kept."""
    if lang != "zh":
        return message
    whole = translate_with(READER_MESSAGES, message, lang)
    if whole != message:
        return whole
    for cut in re.finditer(": ", message):
        problem = message[cut.end():]
        said = translate_with(READER_MESSAGES, problem, lang)
        if said != problem:
            return f"{message[:cut.start()]}：{said}"
    return message

"""Chinese wording of the trainer's config and re-run errors (trainers/config.py, trainers/rerun.py).

Those messages are English data (the CLI prints them, tests match on them); the Chinese UI
shows them through `translate`. Field names, values and flags stay as they are; a message
the tables do not know passes through unchanged.
"""
from __future__ import annotations

import re

from diagnostics.messages_zh import table, translate_with

_GOT = r", got (?P<got>.*)"

# What `TrainConfig._rules()` says is wrong, as a phrase: "<field>: <phrase>, got <value>".
RULE_PHRASES = table([
    (r"must be (?P<op>>=|>) (?P<n>\S+)", "必须 {op} {n}"),
    (r"must be in (?P<range>[\[(].*[\])])", "必须在 {range} 范围内"),
    (r"cnn needs dataset 'digits'", "cnn 需要 dataset 为 'digits'"),
    (r"must be >= 0 and below epochs", "必须 >= 0 且小于 epochs"),
    (r"must be at most (?P<n>\d+) with depth (?P<d>\d+) \((?P<w>\d+) weights at most\)",
     "在 depth 为 {d} 时必须不超过 {n}（最多 {w} 个权重）"),
    (r"must be at most (?P<n>\S+)", "必须不超过 {n}"),
])
_ZERO_MEANS = {"all": "（0 表示全部）", "off": "（0 表示关闭）", None: ""}  # a rule's " (0 = all)"
_ZERO = re.compile(r"(?P<phrase>.*?)(?: \(0 = (?P<zero>all|off)\))?")


def _rule(m: re.Match[str]) -> str | None:
    phrase, zero = _ZERO.fullmatch(m["problem"]).group("phrase", "zero")
    said = translate_with(RULE_PHRASES, phrase, "zh")
    if said == phrase:
        return None  # a rule this table does not know: leave the whole message English
    return f"{m['field']}：{said}{_ZERO_MEANS[zero]}，实际为 {m['got']}"


def _nested(m: re.Match[str]) -> str:
    """A re-run refused because the parent's config.json fails a config check."""
    return f"无法重新运行 {m['dir']}：其 config.json 不是训练诊断的配置（{translate(m['why'], 'zh')}）"


BACKEND_MESSAGES = table([
    # trainers/config.py: type checks, parsing, apply_change
    (r"(?P<field>\w+): must be one of (?P<choices>.*?)" + _GOT, "{field}：必须是 {choices} 之一，实际为 {got}"),
    (r"(?P<field>\w+): expected true/false" + _GOT, "{field}：应为 true/false，实际为 {got}"),
    (r"(?P<field>\w+): expected an integer" + _GOT, "{field}：应为整数，实际为 {got}"),
    (r"(?P<field>\w+): expected a finite number" + _GOT, "{field}：应为有限的数值，实际为 {got}"),
    (r"(?P<field>\w+): expected a number" + _GOT, "{field}：应为数值，实际为 {got}"),
    (r"(?P<field>\w+): an integer field needs a whole step" + _GOT, "{field}：整数字段只能按整数增减，实际为 {got}"),
    (r"(?P<field>\w+): (?P<problem>.*?)" + _GOT, _rule),
    (r"(?P<key>.*): unknown config key", "{key}：未知的配置项"),
    (r"config: expected a JSON object" + _GOT, "config：应为 JSON 对象，实际为 {got}"),
    (r"config: invalid JSON \((?P<why>.*) at line (?P<line>\d+)\)", "config：JSON 无效（第 {line} 行：{why}）"),
    (r"(?P<item>.*): expected key=value", "{item}：应为 key=value 形式"),
    # trainers/rerun.py: which run, which change
    (r"cannot re-run (?P<dir>.*): no config\.json from Run Doctor's trainer \(remedies stay advice\)",
     "无法重新运行 {dir}：没有训练诊断训练器生成的 config.json（解决办法仅供参考）"),
    (r"cannot re-run (?P<dir>.*): its config\.json is not a Run Doctor config \((?P<why>.*)\)", _nested),
    (r"--remedy: unknown remedy (?P<id>.*)", "--remedy：未知的解决办法 {id}"),
    (r"--remedy: (?P<id>.*) is advice only \(no change our trainer can apply\)",
     "--remedy：{id} 仅为建议（没有训练器可以应用的改动）"),
    (r"--change: keys (?P<keys>.*) do not match remedy (?P<id>\S+) \((?P<own>.*)\)",
     "--change：键 {keys} 与解决办法 {id} 的键 {own} 不一致"),
    (r"--change: one change per re-run, got (?P<keys>.*) \(two keys only where a remedy couples them\)",
     "--change：每次重新运行只改一处，实际为 {keys}（只有解决办法把两个键绑在一起时才可改两个）"),
    (r"--change: give a change \(KEY=VALUE\), a --remedy or a --seed",
     "--change：请给出一处改动（KEY=VALUE）、--remedy 或 --seed"),
    (r"--change: leaves the parent's config as it is", "--change：父运行的配置不会因此改变"),
])


def translate(message: object, lang: str) -> str:
    """`message` (text or an exception) in `lang`; unknown messages pass through."""
    return translate_with(BACKEND_MESSAGES, str(message), lang)

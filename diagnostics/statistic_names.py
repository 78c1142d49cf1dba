"""What each evidence statistic is called in each language.

A rule names its statistic in English (`Evidence.statistic`: a fixed string per rule, kept in
the JSON as it is); the report, the CLI and the UI show it in the reader's language through
this table. A statistic missing here is shown in English (a test keeps the table complete).
"""
from __future__ import annotations

ZH = {
    "dead-unit fraction": "死亡神经元比例",
    "share of activations at or below 0": "激活值 ≤ 0 的比例",
    "end / onset level": "末段水平 / 起始水平",
    "end / start level": "末段水平 / 开始水平",
    "end level / start": "末段水平 / 开始值",
    "final / minimum smoothed loss": "平滑后损失：最终值 / 最小值",
    "fitted drop over the last quarter / end level": "最后四分之一的拟合降幅 / 末段水平",
    "growth over early level": "相对早期水平的增长",
    "largest layer median norm": "各层范数中位数的最大值",
    "mean deviation from rolling median": "相对滚动中位数的平均偏离",
    "median total norm": "总范数的中位数",
    "non-finite values": "非有限值（NaN/inf）的个数",
    "peak smoothed norm": "平滑后范数的峰值",
    "share of improvement given back": "回吐的改进比例",
    "share of the metric's gain lost since its best": "指标自最佳点以来失去的增益比例",
    "smallest / largest layer norm": "最小层范数 / 最大层范数",
}


def statistic_name(statistic: str, lang: str) -> str:
    """`statistic` (as a rule names it, in English) in `lang`."""
    return ZH.get(statistic, statistic) if lang == "zh" else statistic

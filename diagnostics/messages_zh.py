"""The Chinese catalogue: one entry per message key, the one `diagnostics.messages` words
`render(msg, "zh")` from, for everything a user reads — the reader's problems and refusals, the
command lines', the trainer's config, re-run, path and job errors, a diagnosis's words (keys
"<rule id>.title", "<rule id>.name", "<rule id>.<text>", "base.", "engine.", "instrument.") and
the verdicts ("verdict."). Same keys and placeholders as the English (`messages_en.EN` and the
texts declared beside the code: `messages.english_catalogue()`; tests/test_message_keys.py and
tests/test_messages_zh.py check both). A key missing here (a user's own rule) is shown in
English. Field names, values, flags and identifiers (file_version, Limits.max_files,
config.json, ...) stay as they are inside the Chinese.
"""
from __future__ import annotations

_REFUSED = "；压缩包被拒绝"
_BOMB = "（Limits.max_bytes；疑似 zip 炸弹）" + _REFUSED
_RATIO = "（超过其 {size} 字节的 {r} 倍，Limits.max_ratio；疑似 zip 炸弹）" + _REFUSED

ZH: dict[str, str] = {
    # ---- kinds of non-regular files (files.kind), used as {kind}
    "kind.fifo": "FIFO 管道",
    "kind.socket": "套接字",
    "kind.char_device": "字符设备",
    "kind.block_device": "块设备",
    "kind.folder": "文件夹",
    "kind.symlink": "符号链接",
    "kind.other": "非普通文件",
    # ---- an input refused whole (errors.ReaderError)
    "reader.refused": "{file}：{problem}",
    # ---- the bytes of one file
    "file.empty": "空文件（0 字节）",
    "file.git_lfs": "不是事件文件：这是 Git LFS 指针文件（真正的文件从未下载）",
    "file.text": "不是事件文件（是文本文件）",
    "file.no_framing": "不是事件文件（没有有效的 TFRecord 记录结构）",
    "file.junk_head": "开头 {n} 字节不是完整的记录（已跳过）",
    "file.unreadable_tail": "从第 {start} 字节到文件末尾无法读取（{n} 字节）",
    "file.damaged_span": "已跳过损坏的字节 {start}-{end}",
    "file.corrupt_records": "已跳过 {n} 条损坏的记录（CRC 校验失败）",
    "file.not_events": "{n} 条记录不是有效的 Event protobuf（已跳过）",
    "file.more_spans": "另有 {n} 段损坏的字节已跳过（共 {b} 字节）",
    "file.malformed_values": "已跳过 {n} 个格式错误的摘要值（第一个：{what}）",
    "file.empty_records": "已跳过 {n} 条空记录（0 字节，没有事件）",
    # ---- files and folders
    "path.missing": "文件或文件夹不存在",
    "path.empty": "没有给出路径（空路径会被当作当前文件夹）",
    "path.not_an_input": "不是文件夹、事件文件或压缩包（是{kind}）",
    "file.not_regular": "不是普通文件（是{kind}）：未读取",
    "file.not_regular_open": "不是普通文件（是{kind}）",
    "file.same_as": "与 {other} 是同一个文件（只读取一次）",
    "folder.not_readable": "文件夹无法读取（{why}）：未搜索",
    "folder.too_deep": "文件夹嵌套超过 {n} 层（Limits.max_depth）：更深处未搜索",
    "folder.too_many": "文件夹超过 {n} 个：其余未搜索",
    "link.folder_outside": "指向日志目录之外的文件夹的符号链接（未跟随）",
    "link.file_outside": "指向日志目录之外的文件的符号链接（未跟随）",
    "limits.files": "事件文件超过 {n} 个（Limits.max_files）",
    "limits.bytes": "事件文件总大小超过 {n} 字节（Limits.max_bytes）",
    "file.profiler_marker": "性能分析标记文件（*.profile-empty）：不含训练数据，已跳过",
    "file.cannot_read": "无法读取：{why}",
    "file.truncated": "文件被截断：最后 {tail} 字节是不完整的记录（已读取其前的 {n} 个完整事件）",
    "file.header_only": "空文件：只有文件头（file_version），没有事件",
    "file.header_only_live": "空文件：只有文件头（file_version），还没有事件（仍在写入）",
    "file.no_events": "空文件：没有事件",
    "file.no_events_live": "空文件：还没有事件（仍在写入）",
    "file.no_header": "没有 file_version 文件头：文件开头可能缺失（第一步为 {step}）；已读取现有内容",
    "config_json.unreadable": "无法按 JSON 读取（{why}）；已忽略",
    # ---- uploads and archives refused whole
    "archive.members_past_bytes": "其 {k} 个成员解压后将超过 {n} 字节" + _BOMB,
    "archive.member_past_bytes": "成员 '{member}' 解压后将超过 {n} 字节" + _BOMB,
    "archive.extracting_past_bytes": "解压成员 '{member}' 时超过 {n} 字节" + _BOMB,
    "archive.members_past_ratio": "其 {k} 个成员解压后将超过 {n} 字节" + _RATIO,
    "archive.member_past_ratio": "成员 '{member}' 解压后将超过 {n} 字节" + _RATIO,
    "archive.extracting_past_ratio": "解压成员 '{member}' 时超过 {n} 字节" + _RATIO,
    "archive.absolute": "成员 '{member}' 是绝对路径" + _REFUSED,
    "archive.escapes_dotdot": "成员 '{member}' 会跳出解压文件夹（..）" + _REFUSED,
    "archive.escapes": "成员 '{member}' 会跳出解压文件夹" + _REFUSED,
    "archive.no_name": "成员 '{member}' 没有可用的名称" + _REFUSED,
    "archive.larger_than_declared": "成员 '{member}' 比其声明的大小更大" + _REFUSED,
    "archive.symlink": "成员 '{member}' 是符号链接" + _REFUSED,
    "archive.link": "成员 '{member}' 是链接" + _REFUSED,
    "archive.device": "成员 '{member}' 是设备文件或管道" + _REFUSED,
    "archive.too_many_members": "共 {k} 个成员，超过 {n} 个（Limits.max_files）" + _REFUSED,
    "archive.more_members": "成员超过 {n} 个（Limits.max_files）" + _REFUSED,
    "archive.unreadable": "不是可读取的压缩包（{why}）",
    "upload.too_many_files": "共 {k} 个文件，超过 {n} 个（Limits.max_files）",
    # ---- the trainer's config
    "config.one_of": "{field}：必须是 {choices} 之一，实际为 {got}",
    "config.expected_bool": "{field}：应为 true/false，实际为 {got}",
    "config.expected_int": "{field}：应为整数，实际为 {got}",
    "config.expected_finite": "{field}：应为有限的数值，实际为 {got}",
    "config.expected_number": "{field}：应为数值，实际为 {got}",
    "config.whole_step": "{field}：整数字段只能按整数增减，实际为 {got}",
    "config.rule": "{field}：{problem}，实际为 {got}",
    "config.unknown_key": "{field}：未知的配置项",
    "config.not_object": "config：应为 JSON 对象，实际为 {got}",
    "config.invalid_json": "config：JSON 无效（第 {line} 行：{why}）",
    "config.expected_key_value": "{item}：应为 key=value 形式",
    "rule.compare": "必须 {op} {n}",
    "rule.compare_all": "必须 {op} {n}（0 表示全部）",
    "rule.compare_off": "必须 {op} {n}（0 表示关闭）",
    "rule.in_range": "必须在 {range} 范围内",
    "rule.cnn_digits": "cnn 需要 dataset 为 'digits'",
    "rule.warmup": "必须 >= 0 且小于 epochs（0 表示关闭）",
    "rule.width": "在 depth 为 {d} 时必须不超过 {n}（最多 {w} 个权重）",
    "rule.at_most": "必须不超过 {n}",
    # ---- re-runs
    "rerun.no_config": "无法重新运行 {dir}：没有训练诊断训练器生成的 config.json（解决办法仅供参考）",
    "rerun.not_our_config": "无法重新运行 {dir}：其 config.json 不是训练诊断的配置（{why}）",
    "rerun.unknown_remedy": "--remedy：未知的解决办法 {id}",
    "rerun.advice_only": "--remedy：{id} 仅为建议（没有训练器可以应用的改动）",
    "rerun.keys_mismatch": "--change：键 {keys} 与解决办法 {id} 的键 {own} 不一致",
    "rerun.one_change": "--change：每次重新运行只改一处，实际为 {keys}（只有解决办法把两个键绑在一起时才可改两个）",
    "rerun.nothing": "--change：请给出一处改动（KEY=VALUE）、--remedy 或 --seed",
    "rerun.noop": "--change：父运行的配置不会因此改变",
    # ---- the command lines, the trainer's paths and jobs
    "cli.nothing_readable": "{path} 中没有可读取的内容：{why}",
    "cli.no_event_files": "没有找到事件文件",
    "trainer.config_unreadable": "--config：无法读取 {path}（{why}）",
    "trainer.config_not_regular": "--config：{path} 不是普通文件",
    "trainer.config_too_large": "--config：{path} 超过 {n} 字节",
    "trainer.config_not_utf8": "--config：{path} 不是 UTF-8 文本",
    "trainer.out_broken_link": "--out：无法创建文件夹 {out}（{link} 是失效的链接）",
    "trainer.out_not_folder": "--out：{out} 已存在且不是文件夹",
    "trainer.out_under_file": "--out：{out} 位于 {existing} 之下，而它不是文件夹",
    "trainer.out_not_writable": "--out：无法写入 {existing}",
    "trainer.unknown_scenario": "scenario：未知的场景 {name}（已知：{known}）",
    "confine.unusable": "不是可用的路径",
    "confine.not_absolute": "{path} 不是绝对路径",
    "confine.unresolvable": "无法解析 {path}（{why}）",
    "confine.outside": "{path} 不在 {root} 之内",
    "confine.outside_all": "{path} 不在任何允许的文件夹之内",
    "confine.not_folder": "{path} 不是文件夹",
    "confine.symlink": "运行文件夹中有符号链接（{rel}）",
    "confine.too_many": "运行文件夹中的文件夹太多，无法逐一检查",
    "job.could_not_start": "无法启动：{why}",
    "job.ended": "进程在运行结束前退出（{why}）",
    "job.ended_detail": "进程在运行结束前退出（{why}）：{detail}",
    "job.lost": "被终止、崩溃或机器重启",
    "job.signal": "被 {signal} 终止",
    "job.exit_code": "退出码 {code}",
    "job.exception": "{type}：{error}",
    "job.config_unreadable": "无法读取 {path}（文件不存在、是符号链接或不是文件）",
    # ==== a diagnosis's words: the rules ("<rule id>.*"), their shared texts, the engine
    # rules.base: shared by every rule
    "base.missing": "该运行没有记录 {needs}",
    "base.too_few": "{tag} 的数据点太少（{n} < {need}）",
    "base.nonpositive": "{tag} 出现负值或从 0 开始（最低 {low}）；该规则只判断交叉熵、平方误差这类非负损失",
    "base.late_start": "{tag} 从第 {first} 步才开始记录（最后一步为 {last}）：日志里没有该规则需要对比的训练起点",
    "base.or": " 或 ",
    "base.and": " 和 ",
    "base.histograms": "{tag} (直方图)",
    "base.to_log_hint": "{to_log}；全部记录只需：{hint}",
    # engine: rules silenced by an earlier finding, losses that do not measure fit
    "engine.broken": "已先发现「{cause}」（第 {onset} 步）；在它存在时无法可靠判断该问题——请先解决它",
    "engine.explained": "「{cause}」已经解释了模型为何拟合不好训练数据，不再单独判断",
    "engine.not_fit_reinforcement": (
        "该运行的损失是强化学习目标{writer}：策略/价值损失可能为负，并随回报增大而增大，不能说明拟合程度；"
        "请看评估回报"),
    "engine.not_fit_adversarial": (
        "该运行训练的是 GAN：生成器和判别器的损失衡量的是两个网络之间的平衡，而不是模型对数据的拟合程度"),
    "engine.not_fit_contrastive": (
        "该运行的损失是对比损失：它相对于每个批次自身的负样本计算，其数值难以说明拟合程度；请看下游指标"),
    "engine.not_fit_to_log": (
        "记录一个能衡量拟合程度的损失（重建损失或验证损失）或评估指标；或在标签映射面板中把监督学习的损失映射为 "
        "train/loss（及 val/loss）"),
    "engine.writer_note": "（{writer}）",
    "engine.failed": "该规则在此运行上出错（{error}）",
    "engine.separator": ", ",
    # instrument_hint: the line that logs what the gradient and activation rules read
    "instrument.pytorch-lightning": (
        "在 `Trainer(callbacks=[...])` 中加入 `RunDoctorCallback()`（`from trainers.callbacks.lightning import "
        "RunDoctorCallback`）"),
    "instrument.huggingface": (
        "`Trainer(..., callbacks=[RunDoctorCallback()])`（`from trainers.callbacks.huggingface import "
        "RunDoctorCallback`）"),
    "instrument.own_loop": (
        "`inst = instrument(model, writer)`（`from trainers.hooks import instrument`），然后在 backward() 之后调用 "
        "`inst.after_backward(step)`，在优化器更新之后调用 `inst.after_step(step)`"),
    # divergence
    "divergence.title": "损失发散（NaN/inf 或失控增长）",
    "divergence.name": "发散",
    "divergence.to_log": "每隔几步记录训练损失（train/loss）",
    "divergence.nonfinite": "{tag} 在第 {onset} 步变为 {bad}（最后的有限值为 {last}），训练已经崩溃。",
    "divergence.none": "无",
    "divergence.runaway": (
        "train/loss 失控上升：从第 {onset} 步起升到最低值的 {ratio} 倍（{low} → {end}），远高于起始值（{start}），"
        "且没有回落（阈值 {threshold} 倍）。"),
    "divergence.relapse": (
        "train/loss 出现倒退：它曾从 {start} 降到 {low}，但从第 {onset} 步起又回到 {end}（起始值的 {share_pct}%，"
        "阈值 {threshold_pct}%），并一直停留到训练结束（占全程的 {held_pct}%）：模型已经崩溃。"),
    # exploding_gradient
    "exploding_gradient.title": "梯度爆炸",
    "exploding_gradient.name": "梯度爆炸",
    "exploding_gradient.to_log": (
        "在 backward() 之后、梯度裁剪之前记录总梯度范数（grad_norm/total）或每层梯度范数（grad_norm/<layer>）"),
    "exploding_gradient.nonfinite": "梯度范数（{tag}）在第 {onset} 步变为 {bad}。{note}",
    "exploding_gradient.level": (
        "梯度范数（{tag}）从第 {onset} 步起达到 {value}（{smoothing}）；达到 {threshold} "
        "即为梯度爆炸（正常训练一般在 0.01-10 之间）。{note}"),
    "exploding_gradient.growth": (
        "梯度范数（{tag}）从第 {onset} 步起增长到初期水平的 {value} 倍（{early} → {peak}，阈值 {threshold} 倍），"
        "而 train/loss 只下降了 {progress_pct}%。{note}"),
    "exploding_gradient.smoothed": "{n} 个点的中位数",
    "exploding_gradient.unsmoothed": "单个点：点太少，无法平滑",
    "exploding_gradient.total_only": (
        "仅根据总梯度范数判断：记录每层的梯度范数（grad_norm/<layer>）才能看出从哪一层开始。"),
    # vanishing_gradient
    "vanishing_gradient.title": "梯度消失",
    "vanishing_gradient.name": "梯度消失",
    "vanishing_gradient.to_log": "记录每层的梯度范数（grad_norm/<layer>）和 train/loss",
    "vanishing_gradient.spread": (
        "梯度在反向传播中消失：{low_layer} 的梯度范数中位数为 {low}，而 {high_layer} 为 {high}（比值 {value}，阈值 "
        "{threshold}），train/loss 只下降了 {progress_pct}%。"),
    "vanishing_gradient.floor": (
        "没有一层得到可用的梯度：最大的梯度范数中位数只有 {value}（{high_layer}，阈值 {threshold}），train/loss "
        "只下降了 {progress_pct}%。"),
    "vanishing_gradient.total": (
        "权重几乎得不到梯度：总梯度范数（{tag}）的中位数只有 {value}（阈值 {threshold}），仅为它应当降低的 "
        "train/loss 水平的 {per_loss}（阈值 {per_loss_threshold}），train/loss 只下降了 {progress_pct}%。"
        "仅根据总梯度范数判断：记录每层的梯度范数（grad_norm/<layer>）才能看出信号在哪一层消失。"),
    "vanishing_gradient.total_cannot_clear": (
        "损失几乎不动，而日志只有总梯度范数：总范数主要由靠近损失的层决定，"
        "看不出梯度在反向传到前面各层的途中消失（只有在所有权重都几乎没有梯度时才看得出）"),
    # dead_relu
    "dead_relu.title": "ReLU 神经元死亡",
    "dead_relu.name": "ReLU 神经元死亡",
    "dead_relu.to_log": (
        "记录每个 ReLU 层的死亡神经元比例（dead_frac/<layer>）或激活值直方图（act/<layer>），以及 train/loss"),
    "dead_relu.found": (
        "{layer} 中 {value_pct}% 的神经元已经死亡（{statistic}，后半程的中位数；阈值 {threshold_pct}%），"
        "train/loss 只下降了 {progress_pct}%。"),
    "dead_relu.not_fractions": (
        "死亡神经元序列（dead_frac/<layer>）存在大于 1 的值：是数量或百分比，而不是该规则判断的死亡比例"),
    "dead_relu.dead_frac": "死亡神经元比例",
    "dead_relu.hist": "激活值 ≤ 0 的比例",
    # lr_oscillation
    "lr_oscillation.title": "学习率太大：损失一直震荡",
    "lr_oscillation.name": "学习率过大导致震荡",
    "lr_oscillation.to_log": "每个 epoch 记录一次验证损失（val/loss）或记录 train/loss",
    "lr_oscillation.found": (
        "{tag} 持续震荡而不收敛：后半程平均偏离自身趋势 {value_pct}%（阈值 {threshold_pct}%）{agree}{lr}。"),
    "lr_oscillation.agree": "，val/loss 也在震荡（{val_pct}%）",
    "lr_oscillation.lr": "；学习率为 {lr}",
    "lr_oscillation.val_only": (
        "train/loss 平稳而 val/loss 剧烈波动：后半程平均偏离自身趋势 {value_pct}%（阈值 {threshold_pct}%）。"
        "不稳定只出现在验证上——学习率对批标准化的统计量来说过大，或验证集太小、测不准。"),
    # underfitting
    "underfitting.title": "欠拟合：连训练数据都拟合不好",
    "underfitting.name": "欠拟合",
    "underfitting.to_log": "每隔几步记录训练损失（train/loss）",
    "underfitting.found": (
        "train/loss 仍为起始值的 {value_pct}%（{start} → {end}；阈值 {threshold_pct}%）{acc}："
        "模型连训练数据都拟合不好。{falling}"),
    "underfitting.acc": "，训练准确率 {acc_pct}%",
    "underfitting.loss_only": (
        "仅根据损失判断（没有记录训练准确率）：微调的模型起点远低于随机水平，损失不一定减半，请核对其准确率。"),
    "underfitting.falling": "它仍在下降（训练的最后四分之一下降了 {drop_pct}%）：也许只需要训练更多轮。",
    # overfitting
    "overfitting.title": "过拟合：模型泛化差",
    "overfitting.name": "过拟合",
    "overfitting.to_log": "每个 epoch 记录一次验证损失（val/loss）或验证指标（准确率、mAP 等），并记录 train/loss",
    "overfitting.found": (
        "val/loss 在第 {onset} 步达到最低值 {low}，之后上升了 {rise_pct}% 到 {end}，{how}，而{train}。{note}"),
    "overfitting.given_back": "回吐了 {lost_pct}% 的改进（阈值 {threshold_pct}%）",
    "overfitting.climbing": "之后的评估中 {share_pct}% 都在上升（拟合上升 {fit_pct}%，阈值 {threshold_pct}%）",
    "overfitting.few": "其后的 {n} 次评估一次比一次高（只记录了 {total} 次评估，这只是初步迹象）",
    "overfitting.metric": (
        "{metric} 在第 {onset} 步达到最好值 {best}，之后退回到 {end}，失去了此前提升的 {lost_pct}%（阈值 "
        "{threshold_pct}%），而{train}。{note}"),
    "overfitting.train_loss": "train/loss 从 {at} 变为 {end}",
    "overfitting.train_acc": "train/acc 从 {at} 变为 {end}",
    "overfitting.acc_note": "val/acc 从 {acc_at} 变为 {acc_end}。",
    "overfitting.metric_disagrees": (
        "但 {metric} 仍在提升（{at} → {end}）：验证损失与验证指标不一致，"
        "因此这是较弱的迹象（模型在少数样本上过于自信时损失会上升，而指标保持不变）。"),
    "overfitting.loss_disagrees": "val/loss 并未上升（{at} → {end}）：指标与损失不一致。",
    # ---- verdicts (diagnostics.verdict_text)
    "verdict.name.fixed": "已修复",
    "verdict.name.contained": "已遏制",
    "verdict.name.improved": "有改善",
    "verdict.name.no_change": "无变化",
    "verdict.name.worse": "变差",
    "verdict.name.not_comparable": "无法判断",
    "verdict.name.skipped": "跳过",
    "verdict.name.failed": "失败",
    "verdict.named": "{verdict}：{line}",
    "verdict.fixed": "{metric} {c}（之前 {p}）：好了 {d}，超出{margin}；「{title}」在 {n}/{n} 个{who}上都消失",
    "verdict.contained": "{metric} {c}（之前 {p}）：在{margin}之内没有变化；「{title}」在 {n}/{n} 个{who}上消失，"
                         "但交付的模型并没有更好",
    "verdict.improved": "{metric} {c}（之前 {p}）：好了 {d}，超出{margin}；「{title}」仍在 {k}/{n} 个{who}上",
    "verdict.no_change": "{metric} {c}（之前 {p}）：在{margin}之内；「{title}」在 {k}/{n} 个{who}上（之前 {j}/{m}）",
    "verdict.improved_absent": "{metric} {c}（之前 {p}）：好了 {d}，超出{margin}；之前的运行本来没有「{title}」",
    "verdict.no_change_absent": "{metric} {c}（之前 {p}）：在{margin}之内；之前的运行本来没有「{title}」",
    "verdict.worse": "{metric} {c}（之前 {p}）：差了 {d}，超出{margin}",
    "verdict.earlier": "{metric} {c}（之前 {p}）；多数{who}上出现了更早阶段的问题：{rules}",
    "verdict.not_comparable": "{why}",
    "verdict.skipped": "父运行的配置已经如此",
    "verdict.failed": "{error}",
    "verdict.margin_measured": "种子波动 ±{s}",
    "verdict.margin_provisional": "{pct}% 阈值 ±{s}（未测得种子波动）",
    "verdict.who_rerun": "子运行种子",
    "verdict.who_pair": "改动后的运行",
    "verdict.provisional": "；每边一个种子：结论暂定",
    "verdict.mismatch_loss_tags": "无法判断：两个运行的 {tag} 名称不同（{a} 与 {b}），不是同一个任务",
    "verdict.mismatch_nothing_shared": "无法判断：两个运行没有可共同比较的损失或验证指标",
    "verdict.mismatch_config": "无法判断：两个运行配置中的 {key} 不同（{a} 与 {b}），不是同一个任务",
    "verdict.mismatch_task": "无法判断：两个运行训练的是不同任务（{a} 与 {b}）",
    "verdict.mismatch_scale": "无法判断：两个运行的 {tag} 起点为 {a} 与 {b}，相差几个数量级：不是同一数据上的同一损失",
}

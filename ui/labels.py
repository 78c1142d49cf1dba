"""Every label of the UI's chrome, in English and Chinese: data only (`ui.i18n.t` looks them up).
Diagnosis texts are not here: they come from the engine's message catalogues."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "app_title": {"en": "Run Doctor", "zh": "训练诊断"},
    "tagline": {
        "en": "Diagnoses deep-learning training runs from their TensorBoard logs.",
        "zh": "根据 TensorBoard 日志诊断深度学习训练过程。",
    },
    "language": {"en": "Language", "zh": "语言"},
    "page_diagnose": {"en": "Diagnose", "zh": "诊断"},
    "page_guide": {"en": "Guide", "zh": "指南"},
    # sources
    "source": {"en": "Runs from", "zh": "数据来源"},
    "src_samples": {"en": "Sample runs", "zh": "示例运行"},
    "src_server": {"en": "Runs folder on the server", "zh": "服务器上的运行目录"},
    "src_upload": {"en": "Upload", "zh": "上传"},
    "pick_samples": {"en": "Sample runs", "zh": "示例运行"},
    "pick_server": {"en": "Runs in {root}", "zh": "{root} 中的运行"},
    "pick_upload": {"en": "Runs in the upload", "zh": "上传中的运行"},
    "other_scalars": {"en": "Other logged scalars ({n}): not read by the rules",
                      "zh": "其他记录的标量（{n} 个）：规则不读取"},
    "other_pick": {"en": "Scalars to show", "zh": "要显示的标量"},
    "detail_charts": {"en": "Per-layer detail ({n} charts): {names}. No rule reads them",
                      "zh": "逐层细节（{n} 张图）：{names}。诊断规则不读取它们"},
    "watch": {"en": "Follow new data", "zh": "跟随新数据"},
    "watch_help": {"en": "Checks the folder every {s} s and redraws when a run grows or a new run appears.",
                   "zh": "每 {s} 秒检查一次文件夹，运行有新数据或出现新运行时自动刷新。"},
    "run_training": {"en": "Still training ({where}): the diagnosis covers what it has logged so far "
                           "and may change as it goes on (an early loss has not dropped yet).",
                     "zh": "仍在训练（{where}）：诊断只基于目前已记录的数据，之后可能改变"
                           "（训练早期损失还没来得及下降）。"},
    "run_where": {"en": "epoch {e} of {n}", "zh": "第 {e}/{n} 轮"},
    "no_samples": {
        "en": "No sample runs found in `{root}`. Generate them with `python -m trainers`.",
        "zh": "`{root}` 中没有示例运行。请用 `python -m trainers` 生成。",
    },
    "no_server_runs": {
        "en": "No event files under `{root}`. Point the app at your logs with "
        "`RUN_DOCTOR_RUNS=DIR` or `streamlit run app.py -- --runs DIR`.",
        "zh": "`{root}` 下没有事件文件。用 `RUN_DOCTOR_RUNS=DIR` 或 "
        "`streamlit run app.py -- --runs DIR` 指定日志目录。",
    },
    "upload_label": {"en": "Event files, or a .zip / .tar.gz of a logdir", "zh": "事件文件，或日志目录的 .zip / .tar.gz"},
    "upload_help": {
        "en": "Up to {mb} MB per file. Files are read in memory and never written to the server's runs folder.",
        "zh": "每个文件最大 {mb} MB。文件只在内存中读取，不会写入服务器的运行目录。",
    },
    "upload_failed": {"en": "Could not read the upload: {msg}", "zh": "无法读取上传的文件：{msg}"},
    "load_failed": {"en": "Could not read `{what}`: {msg}", "zh": "无法读取 `{what}`：{msg}"},
    "file_problem": {"en": "`{file}`: {msg}", "zh": "`{file}`：{msg}"},  # the reader's message says what happened
    "no_runs_in_upload": {
        "en": "{files}: holds no TensorBoard event file (a name containing `tfevents`), so there is no run to read.",
        "zh": "{files}：其中没有 TensorBoard 事件文件（文件名含 `tfevents`），没有可读取的运行。",
    },
    "and_more": {"en": "{shown} and {n} more", "zh": "{shown} 等 {n} 个文件"},
    "loading": {"en": "Reading event files…", "zh": "正在读取事件文件…"},
    "diagnosing": {"en": "Diagnosing…", "zh": "正在诊断…"},
    "empty_state": {
        "en": "👈 Pick a sample run on the left to see a diagnosis — or upload your own logs.",
        "zh": "👈 在左侧选择一个示例运行即可查看诊断 —— 也可以上传你自己的日志。",
    },
    "empty_state_server": {
        "en": "👈 Pick one or more runs of `{root}` on the left to see their diagnosis.",
        "zh": "👈 在左侧选择 `{root}` 中的一个或多个运行即可查看诊断。",
    },
    "empty_state_upload": {
        "en": "👈 Upload event files, or a .zip / .tar.gz of a logdir, on the left to see their diagnosis.",
        "zh": "👈 在左侧上传事件文件或日志目录的 .zip / .tar.gz，即可查看诊断。",
    },
    "try_example": {"en": "Show me an example (overfitting)", "zh": "看一个例子（过拟合）"},
    # run overview
    "overview": {"en": "Selected runs", "zh": "已选运行"},
    "col_run": {"en": "run", "zh": "运行"},
    "col_fix_first": {"en": "fix first", "zh": "优先处理"},
    "col_findings": {"en": "findings", "zh": "问题数"},
    "col_not_assessed": {"en": "not assessed", "zh": "未评估"},
    "chosen_run": {"en": "Show run", "zh": "查看运行"},
    "run_meta": {"en": "Writer: {writer} · {n} file(s) · {points} points", "zh": "写入程序：{writer} · {n} 个文件 · {points} 个数据点"},
    "unknown": {"en": "unknown", "zh": "未知"},
    # health summary
    "health": {"en": "Health summary", "zh": "健康概览"},
    "fix_first": {"en": "Fix first: **{title}**", "zh": "优先处理：**{title}**"},
    "all_clear": {
        "en": "No problems found among the checks that could run.",
        "zh": "在可以运行的检查中没有发现问题。",
    },
    "nothing_assessed": {
        "en": "None of the checks could run on this run: see below what to log.",
        "zh": "该运行上没有任何检查可以进行：请看下方需要记录的内容。",
    },
    "found": {"en": "Problems found", "zh": "发现的问题"},
    "fine": {"en": "Looks fine", "zh": "正常"},
    "not_assessed": {"en": "Could not assess", "zh": "无法评估"},
    "none": {"en": "—", "zh": "—"},
    "to_log": {"en": "log: {what}", "zh": "需要记录：{what}"},
    # charts
    "curves": {"en": "Curves", "zh": "曲线"},
    "no_curves": {"en": "This run has no scalar curves to draw.", "zh": "该运行没有可绘制的标量曲线。"},
    "chart_loss": {"en": "Loss", "zh": "损失"},
    "chart_acc": {"en": "Accuracy", "zh": "准确率"},
    "chart_metric": {"en": "Validation metric", "zh": "验证指标"},
    "chart_lr": {"en": "Learning rate", "zh": "学习率"},
    "chart_grad_norm": {"en": "Gradient norm per layer", "zh": "各层梯度范数"},
    "chart_dead_frac": {"en": "Dead-unit fraction per layer", "zh": "各层死亡单元比例"},
    "chart_update_ratio": {"en": "Update ratio |Δw|/|w| per layer", "zh": "各层更新比例 |Δw|/|w|"},
    "chart_weight_norm": {"en": "Weight norm per layer", "zh": "各层权重范数"},
    "step": {"en": "step", "zh": "步数"},
    "onset": {"en": "onset", "zh": "起始"},
    "x_wall_h": {"en": "relative time (h)", "zh": "相对时间（小时）"},
    "x_wall_min": {"en": "relative time (min)", "zh": "相对时间（分钟）"},
    "x_wall_s": {"en": "relative time (s)", "zh": "相对时间（秒）"},
    "raw": {"en": "raw", "zh": "原始"},
    "off_scale": {"en": "off scale", "zh": "超出范围"},
    "broken_at": {"en": "→ {value} at step {step}", "zh": "→ 第 {step} 步为 {value}"},
    "view_smoothing": {"en": "Smoothing", "zh": "平滑"},
    "view_smoothing_help": {"en": "TensorBoard's exponential moving average (debiased); the raw "
                                  "curve stays faint behind it.",
                            "zh": "TensorBoard 的指数移动平均（去偏）；原始曲线以淡色保留在后面。"},
    "view_x": {"en": "X axis", "zh": "横轴"},
    "view_x_step": {"en": "step", "zh": "步数"},
    "view_x_epoch": {"en": "epoch", "zh": "轮次"},
    "view_x_wall": {"en": "relative time", "zh": "相对时间"},
    "view_x_missing": {"en": "This run cannot tell its {what}; drawn by step.",
                       "zh": "此运行无法确定{what}，按步数绘制。"},
    "view_robust": {"en": "Ignore outliers", "zh": "忽略离群点"},
    "view_robust_help": {"en": "Y range from the 1st to 99th percentile: a few extreme points no "
                               "longer flatten the rest; they are marked ▲▼ at the edge.",
                         "zh": "纵轴范围取 1%–99% 分位数：少数极端点不再压扁其余曲线，它们以 ▲▼ 标在边缘。"},
    "view_log": {"en": "Y scale", "zh": "纵轴刻度"},
    "view_log_help": {"en": "For every chart. Auto: log where a curve spans decades (gradient norms, "
                            "learning rates), else linear. Each chart also flips between linear and log "
                            "with the buttons at its bottom right, at once.",
                      "zh": "作用于所有图表。自动：曲线跨越数个数量级时（梯度范数、学习率）用对数，否则用线性。"
                            "每张图右下角的按钮也可即时切换线性与对数。"},
    "view_log_auto": {"en": "auto", "zh": "自动"},
    "view_log_linear": {"en": "linear", "zh": "线性"},
    "view_log_log": {"en": "log", "zh": "对数"},
    "threshold": {"en": "threshold", "zh": "阈值"},
    # findings
    "findings": {"en": "Findings, in the order to fix them", "zh": "问题（按处理顺序）"},
    "no_findings": {"en": "No findings.", "zh": "没有发现问题。"},
    "sev_critical": {"en": "critical", "zh": "严重"},
    "sev_warning": {"en": "warning", "zh": "警告"},
    "sev_info": {"en": "info", "zh": "提示"},
    "confidence": {"en": "confidence {c:.0%}", "zh": "置信度 {c:.0%}"},
    "onset_at": {"en": "starts at step {step}", "zh": "从第 {step} 步开始"},
    "evidence": {"en": "Evidence", "zh": "证据"},
    "ev_tag": {"en": "tag", "zh": "标签"},
    "ev_steps": {"en": "steps", "zh": "步数范围"},
    "ev_statistic": {"en": "statistic", "zh": "统计量"},
    "ev_value": {"en": "value", "zh": "数值"},
    "ev_threshold": {"en": "threshold", "zh": "阈值"},
    "remedies": {"en": "Remedies, in the documents' order", "zh": "解决办法（按文档顺序）"},
    "more_remedies": {"en": "Remedies {lo}–{n} of {n}", "zh": "解决办法 {lo}–{n}（共 {n} 个）"},
    "last_remedy": {"en": "Remedy {n} of {n}", "zh": "解决办法 {n}（共 {n} 个）"},
    "source_cite": {"en": "Source: {src}", "zh": "出处：{src}"},
    "trainer_change": {"en": "In our trainer: `{change}`", "zh": "在本项目的训练器中：`{change}`"},
    # mapping
    "mapping": {"en": "Tag mapping", "zh": "标签映射"},
    "mapping_help": {
        "en": "Which of the run's tags were taken for each role. Correct a wrong guess and the "
        "diagnosis updates.",
        "zh": "每个角色采用了运行中的哪个标签。纠正错误的猜测后，诊断会随之更新。",
    },
    "not_mapped": {"en": "— not logged —", "zh": "— 未记录 —"},
    "points": {"en": "{n} pts", "zh": "{n} 个点"},
    "mapping_table": {"en": "All tags (original → role)", "zh": "全部标签（原始 → 角色）"},
    "col_original": {"en": "original tag", "zh": "原始标签"},
    "col_role": {"en": "role", "zh": "角色"},
    "col_points": {"en": "points", "zh": "点数"},
    "reset_mapping": {"en": "Reset to the guessed mapping", "zh": "恢复自动映射"},
    "mapping_changed": {"en": "Diagnosed with your corrected mapping.", "zh": "已按你修改的映射重新诊断。"},
    # export
    "export": {"en": "Export", "zh": "导出"},
    "download_json": {"en": "Report as JSON", "zh": "下载 JSON 报告"},
    "download_md": {"en": "Report as Markdown", "zh": "下载 Markdown 报告"},
    # guide page
    "guide_title": {"en": "How Run Doctor reads a run", "zh": "训练诊断如何解读一次运行"},
    "guide_order": {"en": "The order of diagnosis", "zh": "诊断顺序"},
    "guide_order_text": {
        "en": "Problems are reported in the order they should be fixed: a broken run first, then "
        "one that cannot learn, then one that learns but does not generalise. A problem lower "
        "in the list is not worth fixing while one higher up is present.",
        "zh": "问题按应当处理的顺序列出：先是训练崩溃，其次是学不动，最后是学得会但泛化不好。"
        "排在前面的问题没有解决之前，不值得处理后面的问题。",
    },
    "guide_tags": {"en": "What to log", "zh": "需要记录什么"},
    "guide_tags_text": {
        "en": "Each check needs certain curves. Logs from Keras, Hugging Face, Lightning and "
        "plain SummaryWriter are mapped onto these names automatically; the tag-mapping panel "
        "lets you correct a wrong guess.",
        "zh": "每项检查需要特定的曲线。Keras、Hugging Face、Lightning 和普通 SummaryWriter 的日志会被"
        "自动映射到这些名称上；在标签映射面板中可以纠正错误的猜测。",
    },
    "guide_meaning": {"en": "what it is", "zh": "含义"},
    "guide_tips": {"en": "General advice", "zh": "通用建议"},
    "report_writer": {"en": "written by {writer}", "zh": "写入程序：{writer}"},
    "download_html": {"en": "HTML report (with charts)", "zh": "HTML 报告（含图表）"},
    "guide_sources": {"en": "The source documents", "zh": "出处文档"},
    "guide_sources_text": {"en": "Every remedy and the order of diagnosis come from these five documents "
                                 "(in Chinese); each remedy names the document and section it rests on.",
                           "zh": "每条建议和诊断顺序都出自以下五篇文档；每条建议都注明所依据的文档和章节。"},
    "pair_title": {"en": "Did the change help? Compare two of these runs",
                   "zh": "改动有用吗？比较其中两个运行"},
    "pair_before": {"en": "Before", "zh": "改动前"},
    "pair_after": {"en": "After", "zh": "改动后"},
    "pair_same": {"en": "Pick two different runs.", "zh": "请选择两个不同的运行。"},
    "pair_nothing": {"en": "{run} has no problem to check for: nothing to compare against.",
                     "zh": "{run} 没有需要检查的问题：无从比较。"},
    "pair_no_metric": {"en": "These two runs do not both log val/loss or train/loss: nothing to weigh them on.",
                       "zh": "这两个运行没有都记录 val/loss 或 train/loss：无从比较。"},
    "pair_new": {"en": "New in the second run: {rules}", "zh": "第二个运行中新出现：{rules}"},
    "try_first": {"en": "Try first: {action} (remedy 1 of {n}, below)",
                  "zh": "先试：{action}（共 {n} 个解决办法中的第 1 个，见下方）"},
    "config_title": {"en": "Configuration ({n} settings)", "zh": "配置（{n} 项）"},
    "config_key": {"en": "setting", "zh": "配置项"},
    "config_value": {"en": "value", "zh": "值"},
    "config_differs": {"en": "Settings that differ between these runs", "zh": "这些运行之间不同的配置"},
    "new_run": {"en": "Train a new run", "zh": "训练一个新运行"},
    "new_run_scenario": {"en": "Scenario", "zh": "场景"},
    "new_run_seed": {"en": "Seed", "zh": "随机种子"},
    "new_run_changes": {"en": "Changes (optional)", "zh": "改动（可选）"},
    "new_run_changes_help": {
        "en": "key=value pairs separated by spaces, applied to the scenario's config: e.g. "
              "`lr=0.01 epochs=40 model=cnn` (`lr=×0.1` and `depth=+1` are relative).",
        "zh": "用空格分隔的 key=value，应用到场景的配置上：例如 `lr=0.01 epochs=40 model=cnn`"
              "（`lr=×0.1`、`depth=+1` 为相对改动）。"},
    "new_run_go": {"en": "Train in the background", "zh": "在后台训练"},
    "new_run_started": {"en": "Queued {name}: it shows in the list below.",
                        "zh": "已加入队列：{name}，见下方列表。"},
    "guide_own_loop": {"en": "Instrument your own training loop", "zh": "为你自己的训练循环加上监测"},
    "guide_own_loop_text": {
        "en": "One call attaches the instruments to any `nn.Module` (install this project with "
        "`pip install -e .` first); they log gradient norms, update ratios, dead units and "
        "histograms under the names above. Log `val/loss` (and accuracy, lr) yourself with "
        "`writer.add_scalar`, then point the runs folder at `runs/`.",
        "zh": "一次调用即可把监测挂到任意 `nn.Module` 上（先用 `pip install -e .` 安装本项目）；"
        "它们按上表的名称记录梯度范数、更新比例、死亡单元和直方图。`val/loss`（以及准确率、学习率）"
        "请自己用 `writer.add_scalar` 记录，然后把运行文件夹指向 `runs/`。",
    },
    "guide_callbacks_text": {
        "en": "With PyTorch Lightning or the Hugging Face `Trainer`, it is one line: add "
        "`RunDoctorCallback()` to the trainer's callbacks. The same instruments then write into the "
        "trainer's own TensorBoard folder (Lightning's `lightning_logs/version_N`, the Trainer's "
        "`output_dir/runs/...`), beside its loss, from rank 0 only; point the runs folder there.",
        "zh": "使用 PyTorch Lightning 或 Hugging Face `Trainer` 时只需一行：把 `RunDoctorCallback()` "
        "加入训练器的 callbacks。同样的监测会写入训练器自己的 TensorBoard 文件夹（Lightning 的 "
        "`lightning_logs/version_N`，Trainer 的 `output_dir/runs/...`），与它的损失放在一起，"
        "且只在 rank 0 上写入；把运行文件夹指向那里即可。",
    },
    "guide_start": {
        "en": "Start on the **Diagnose** page: pick a sample run in the sidebar, or upload your own.",
        "zh": "从 **诊断** 页面开始：在侧边栏选择一个示例运行，或上传你自己的日志。",
    },
    "tag_train_loss": {"en": "training loss", "zh": "训练损失"},
    "tag_val_loss": {"en": "validation loss", "zh": "验证损失"},
    "tag_train_acc": {"en": "training accuracy", "zh": "训练准确率"},
    "tag_val_acc": {"en": "validation accuracy", "zh": "验证准确率"},
    "tag_lr": {"en": "learning rate", "zh": "学习率"},
    "tag_grad_total": {"en": "total gradient norm", "zh": "总梯度范数"},
    "tag_grad_layer": {"en": "gradient norm of one layer", "zh": "单层梯度范数"},
    "tag_weight_layer": {"en": "weight norm of one layer", "zh": "单层权重范数"},
    "tag_update_layer": {"en": "|Δw| / |w| of one layer per step", "zh": "单层每步 |Δw| / |w|"},
    "tag_dead_layer": {"en": "fraction of ReLU units that output zero on the batch", "zh": "批次上输出为零的 ReLU 单元比例"},
    "tag_act_hist": {"en": "histogram of a layer's activations", "zh": "单层激活值直方图"},
    "tag_grad_hist": {"en": "histogram of a layer's gradients", "zh": "单层梯度直方图"},
    # re-runs (issue 6): remedies applied to a run made by our trainer
    "page_jobs": {"en": "Jobs", "zh": "任务"},
    "page_compare": {"en": "Compare", "zh": "对比"},
    "apply_rerun": {"en": "Apply and re-run", "zh": "应用并重新运行"},
    "apply_rerun_help": {
        "en": "Trains a child run in the background: this run's config plus only this change. "
        "It goes into the runs folder `{root}`.",
        "zh": "在后台训练一个子运行：本运行的配置只加上这一处修改。子运行保存在运行目录 `{root}` 中。",
    },
    "rerun_noop": {
        "en": "This run's config already has this: a re-run would train the same thing.",
        "zh": "本运行的配置已经如此：重新运行只会训练同样的配置。",
    },
    "rerun_bad_change": {"en": "Cannot apply this change here: {msg}", "zh": "无法在此应用该修改：{msg}"},
    "cannot_rerun": {
        "en": "Apply-and-re-run is not available for this run, so its remedies stay advice: {reason}",
        "zh": "该运行无法“应用并重新运行”，解决办法仅供参考：{reason}",
    },
    "upload_no_rerun": {
        "en": "uploaded logs are read in memory and not kept. To re-run, put the run folder (with "
        "the config.json of Run Doctor's trainer) into the runs folder.",
        "zh": "上传的日志只在内存中读取，不会保留。若要重新运行，请把运行目录（含训练诊断训练器的 "
        "config.json）放入运行目录。",
    },
    "rerun_failed": {"en": "Could not start: {msg}", "zh": "无法启动：{msg}"},
    "already_rerun": {"en": "Compare: {name} · {state}", "zh": "对比：{name} · {state}"},
    "fix_for_me": {"en": "Fix this for me", "zh": "帮我修复"},
    "fix_for_me_help": {
        "en": "Tries this problem's remedies in order, one re-run each (at most {n}), and stops "
        "at the first one that resolves it.",
        "zh": "按顺序尝试该问题的解决办法，每个办法重新运行一次（最多 {n} 个），第一个解决问题的办法出现时停止。",
    },
    "repair_title": {"en": "Auto-repair", "zh": "自动修复"},
    "repair_budget": {"en": "Max remedies", "zh": "最多尝试办法数"},
    "repair_budget_help": {
        "en": "How many of the remedies to try at most, one re-run each.",
        "zh": "最多尝试多少个解决办法，每个办法重新运行一次。",
    },
    "repair_seeds": {"en": "Seeds each", "zh": "每个办法的种子数"},
    "repair_seeds_help": {
        "en": "Random seeds to train per remedy: more seeds separate a real fix from seed noise, "
        "at that many times the training.",
        "zh": "每个解决办法训练的随机种子数：种子越多越能区分真正的修复与随机波动，训练量也成倍增加。",
    },
    "job_error": {"en": "Error", "zh": "错误"},
    "job_label_rerun": {"en": "re-run {rest}", "zh": "重新运行 {rest}"},
    "job_label_repair": {"en": "auto-repair {rest}", "zh": "自动修复 {rest}"},
    "repair_queued": {"en": "Queued: starts when a job slot is free.", "zh": "已排队：有空闲任务位时开始。"},
    "repair_running": {"en": "Trying remedies: {step} of {total} trainings done.", "zh": "正在尝试解决办法：已完成 {step}/{total} 次训练。"},
    "repair_fixed": {"en": "Fixed by **{action}** → `{child}`", "zh": "已由 **{action}** 修复 → `{child}`"},
    "repair_not_fixed": {
        "en": "None of the remedies tried fixed it: see each verdict below.",
        "zh": "尝试过的解决办法都没有解决问题：请看下方各自的结论。",
    },
    "repair_nothing": {"en": "The run does not show this problem: nothing to repair.", "zh": "该运行没有这个问题：无需修复。"},
    "repair_failed": {"en": "The auto-repair stopped: {msg}", "zh": "自动修复已停止：{msg}"},
    "col_remedy": {"en": "remedy", "zh": "解决办法"},
    "col_change": {"en": "change", "zh": "修改"},
    "col_child": {"en": "re-run", "zh": "重新运行"},
    "col_verdict": {"en": "verdict", "zh": "结论"},
    "col_reason": {"en": "why", "zh": "原因"},
    "verdict_fixed": {"en": "fixed", "zh": "已修复"},
    "verdict_contained": {"en": "contained", "zh": "已遏制"},
    "verdict_not comparable": {"en": "no verdict", "zh": "无法判断"},
    "verdict_improved": {"en": "improved", "zh": "有改善"},
    "verdict_no change": {"en": "no change", "zh": "无变化"},
    "verdict_worse": {"en": "worse", "zh": "变差"},
    "verdict_skipped": {"en": "skipped", "zh": "跳过"},
    "verdict_failed": {"en": "failed", "zh": "失败"},
    # jobs page
    "jobs_title": {"en": "Background jobs", "zh": "后台任务"},
    "jobs_root": {
        "en": "Runs folder: `{root}`. Jobs run in their own processes: closing the browser or "
        "restarting the app does not stop them.",
        "zh": "运行目录：`{root}`。任务在各自的进程中运行：关闭浏览器或重启应用都不会中断它们。",
    },
    "max_parallel": {"en": "Jobs at once", "zh": "同时运行的任务数"},
    "max_parallel_help": {
        "en": "More than one helps only with spare CPU cores or GPUs; queued jobs start as slots free up.",
        "zh": "只有在有空闲 CPU 核心或 GPU 时，多于一个才有帮助；排队的任务会在有空位时开始。",
    },
    "no_jobs": {
        "en": "No jobs yet. Train a new run above, or click **Apply and re-run** on a remedy of a "
        "run made by Run Doctor's trainer (try the sample run `lr_oscillation`).",
        "zh": "还没有任务。在上方训练一个新运行，或在训练诊断训练器生成的运行的解决办法上点击 **应用并重新运行**"
        "（可以试试示例运行 `lr_oscillation`）。",
    },
    "job_counts": {"en": "{running} running · {queued} queued · {finished} finished",
                   "zh": "{running} 个运行中 · {queued} 个排队 · {finished} 个已结束"},
    "older_jobs": {"en": "{n} older jobs not shown.", "zh": "另有 {n} 个较早的任务未显示。"},
    "jobs_rejected": {
        "en": "{n} job file(s) ignored (damaged, or not written by this app): nothing in them was "
        "run or opened. They are kept in `.jobs/quarantine/`, each with the reason:",
        "zh": "已忽略 {n} 个任务文件（已损坏，或不是本应用写的）：其中的内容没有被运行或打开。"
        "它们保存在 `.jobs/quarantine/` 中，原因如下：",
    },
    "lineage_refused": {
        "en": "{n} run(s) name a parent outside the runs folder in their lineage.json: that "
        "lineage is ignored and the parent is not read.",
        "zh": "有 {n} 个运行在 lineage.json 中指向运行目录之外的父运行：该谱系已被忽略，父运行不会被读取。",
    },
    "sidebar_jobs": {"en": "Jobs: {running} running, {queued} queued", "zh": "任务：{running} 个运行中，{queued} 个排队"},
    "state_queued": {"en": "queued", "zh": "排队中"},
    "state_running": {"en": "running", "zh": "运行中"},
    "state_done": {"en": "done", "zh": "完成"},
    "state_early_stopped": {"en": "done (early stop)", "zh": "完成（提前停止）"},
    "state_diverged": {"en": "done, diverged", "zh": "完成，已发散"},
    "state_failed": {"en": "failed", "zh": "失败"},
    "state_cancelled": {"en": "cancelled", "zh": "已取消"},
    "state_stopped": {"en": "stopped", "zh": "已停止"},
    "state_starting": {"en": "starting", "zh": "启动中"},
    "cancel": {"en": "Cancel", "zh": "取消"},
    "progress": {"en": "epoch {epoch}/{epochs} · step {step}/{total}", "zh": "第 {epoch}/{epochs} 轮 · 第 {step}/{total} 步"},
    "log": {"en": "Log", "zh": "日志"},
    "live_findings": {"en": "Findings so far", "zh": "目前发现的问题"},
    "no_events_yet": {"en": "No curves yet: the run is starting.", "zh": "还没有曲线：运行正在启动。"},
    # compare page
    "compare_title": {"en": "Parent vs re-run", "zh": "父运行与重新运行对比"},
    "no_reruns": {
        "en": "No re-runs under `{root}` yet. Click **Apply and re-run** on a remedy of a sample "
        "run (e.g. `lr_oscillation`) on the Diagnose page.",
        "zh": "`{root}` 下还没有重新运行。在诊断页面的示例运行（例如 `lr_oscillation`）的解决办法上点击 **应用并重新运行**。",
    },
    "pick_rerun": {"en": "Re-run", "zh": "重新运行"},
    "rerun_of": {"en": "Re-run of **{parent}** with `{change}`", "zh": "**{parent}** 的重新运行，修改为 `{change}`"},
    "remedy_was": {"en": "Remedy: {action}", "zh": "解决办法：{action}"},
    "training": {"en": "Training the re-run: {state}", "zh": "正在训练重新运行：{state}"},
    "child_failed": {"en": "The re-run did not finish ({state}): {msg}", "zh": "重新运行未完成（{state}）：{msg}"},
    "parent_missing": {"en": "The parent `{path}` is no longer on disk.", "zh": "父运行 `{path}` 已不在磁盘上。"},
    "verdict": {"en": "Verdict", "zh": "结论"},
    "outcome_before": {"en": "Before: {metric}", "zh": "之前：{metric}"},
    "outcome_after": {"en": "After: {metric}", "zh": "之后：{metric}"},
    "outcome_margin": {"en": "Seed spread", "zh": "种子波动"},
    "outcome_margin_provisional": {"en": "Margin (1 seed a side: provisional)",
                                   "zh": "阈值（每边一个种子：暂定）"},
    "fan_out": {"en": "Try the first {n} remedies × {n} seeds", "zh": "同时尝试前 {n} 个办法 × {n} 个种子"},
    "fan_out_help": {
        "en": "Trains the first {n} remedies at {n} seeds each side by side (on Ray when the app "
        "runs with RUN_DOCTOR_EXECUTOR=ray), then judges them in the documents' order.",
        "zh": "并行训练前 {n} 个办法、每个 {n} 个种子（应用以 RUN_DOCTOR_EXECUTOR=ray 运行时在 Ray 上），"
        "再按文档顺序判断。"},
    "repair_ends_at": {"en": "Not fixed within the budget; the best it got: **{action}** ({verdict}) → `{child}`",
                       "zh": "预算内未修复；最好的结果：**{action}**（{verdict}）→ `{child}`"},
    "col_outcome": {"en": "outcome", "zh": "结果指标"},
    "col_before_after": {"en": "before → after", "zh": "之前 → 之后"},
    "col_margin": {"en": "± margin", "zh": "± 阈值"},
    "col_finding_after": {"en": "finding after", "zh": "之后的问题"},
    "col_children": {"en": "children", "zh": "子运行"},
    "provisional_note": {
        "en": "One seed a side: seed noise is not measured yet. Run more seeds to base the verdict on their spread.",
        "zh": "每边只有一个种子：尚未衡量种子带来的波动。多跑几个种子，让结论基于波动范围。",
    },
    "more_seeds": {"en": "Run 2 more seeds of parent and child", "zh": "父运行和子运行各再跑 2 个种子"},
    "more_seeds_help": {
        "en": "Re-trains the parent's and the re-run's configs with other seeds (only the seed "
        "changes); the verdict then weighs the difference against the seed spread.",
        "zh": "用其他种子重新训练父运行和重新运行的配置（只改种子）；之后结论会把差异与种子波动相比较。",
    },
    "seeds_pending": {
        "en": "{n} seed run(s) still training: the verdict takes them in when they finish.",
        "zh": "还有 {n} 个种子运行在训练：完成后结论会把它们计算在内。",
    },
    "seeds_table": {"en": "Per seed ({metric})", "zh": "各种子（{metric}）"},
    "col_side": {"en": "side", "zh": "一方"},
    "col_seed": {"en": "seed", "zh": "种子"},
    "col_value": {"en": "value", "zh": "数值"},
    "col_has_problem": {"en": "problem present", "zh": "问题仍在"},
    "side_parent": {"en": "parent", "zh": "父运行"},
    "side_child": {"en": "re-run", "zh": "重新运行"},
    "overlay": {"en": "Curves: parent vs re-run", "zh": "曲线：父运行与重新运行"},
    "epoch": {"en": "epoch", "zh": "轮次"},
    "config_diff": {"en": "Config diff", "zh": "配置差异"},
    "col_key": {"en": "key", "zh": "配置项"},
    "findings_before": {"en": "Before (parent)", "zh": "之前（父运行）"},
    "findings_after": {"en": "After (re-run)", "zh": "之后（重新运行）"},
    "mark_cleared": {"en": "gone after", "zh": "之后消失"},
    "mark_new": {"en": "new", "zh": "新出现"},
    # lineage
    "lineage": {"en": "Lineage", "zh": "谱系"},
    "lineage_from": {"en": "Comes from", "zh": "来自"},
    "lineage_children": {"en": "Re-runs of this run", "zh": "本运行的重新运行"},
    "open_run": {"en": "Diagnose", "zh": "诊断"},
    "replica": {"en": "seed {seed}", "zh": "种子 {seed}"},
    # aligned overlays, the jobs page's timing, names cut short (issue 14)
    "overlay_alone": {"en": "Curves so far", "zh": "目前的曲线"},
    "side_run": {"en": "this run", "zh": "本运行"},
    "aligned_by_epoch": {
        "en": "By epoch: these runs take different numbers of steps per epoch ({lo} vs {hi}), "
              "so the same step is not the same amount of data.",
        "zh": "按轮次对齐：这些运行每轮的步数不同（{lo} 与 {hi}），同一步数代表的数据量并不相同。"},
    "job_elapsed": {"en": "{t} elapsed", "zh": "已用 {t}"},
    "job_eta": {"en": "about {t} left", "zh": "约剩 {t}"},
    "new_run_training": {"en": "{name} is training: it shows in the list below.",
                         "zh": "{name} 正在训练，见下方列表。"},
    "new_run_same": {"en": "The same settings again: no second job was queued.",
                     "zh": "设置与刚才相同：没有再加入一个任务。"},
    "full_names": {"en": "Full names: {names}", "zh": "完整名称：{names}"},
    "overview_clear": {"en": "no problems", "zh": "没有问题"},
    "overview_unknown": {"en": "nothing assessed", "zh": "未能评估"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
}

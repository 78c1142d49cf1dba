"""The remedy catalogue as data: citations, snippets and the en/zh texts of every remedy.

Kept apart from `remedies.py` (the API) because it is long and only ever read. Every `Cite`
names a heading exactly as it appears in a document of `shared/seeds/`, and a `quote` copied
verbatim from that section, so a test can check each citation against the document itself.
Entries per problem are in the documents' order (see `remedies.py` and `shared/REMEDIES.md`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagnostics.documents import document

D000 = "000_deacf8dd9bed206d.txt"
D001 = "001_e7d42a91e0d049af.txt"
D002 = "002_0901218969c1e860.txt"
D003 = "003_5787b0ffab6c024d.txt"
D004 = "004_2d398573ec6fffcd.txt"


@dataclass(frozen=True)
class Cite:
    """One place in one document. `heading` and `quote` are verbatim substrings of it."""

    doc: str  # file name in shared/seeds
    section: str  # section label: its numbering ("二.2", "3.3") or, where unnumbered, its heading
    heading: str  # the section's heading text as written
    quote: str = ""  # the phrase in that section the remedy rests on
    gloss: str = ""  # English gloss, shown in the en source only

    def render(self, lang: str) -> str:
        text = f"{document(self.doc).name(lang)} §{self.section} {self.heading}"
        if self.quote:
            text += f"「{self.quote}」"
        if lang == "en" and self.gloss:
            text += f" ({self.gloss})"
        return text


@dataclass(frozen=True)
class Entry:
    """One remedy in both languages; `en`/`zh` are (action, why)."""

    id: str
    cites: tuple[Cite, ...]
    snippet: str
    change: Mapping[str, Any] | None
    en: tuple[str, str]
    zh: tuple[str, str]
    # The tasks (`tag_hints.TASKS`) the remedy can help; None: any. A run whose task is known and
    # not among them gets the remedy last, marked as not applying (cross-entropy is no fix
    # for an object detector's or a regression's loss).
    tasks: frozenset[str] | None = None


# ---- citations -------------------------------------------------------------------------
_000_HARD = "为什么深度神经网络算法难训练？"
C000_INIT = Cite(D000, _000_HARD, "1. 使用更好的初始化方法和激活函数", "可以缓解梯度消失和梯度爆炸问题",
                 "why deep networks are hard to train, item 1: better initialisation and activations")
C000_ACT = Cite(D000, _000_HARD, "1. 使用更好的初始化方法和激活函数", "Leaky ReLU、ELU",
                "why deep networks are hard to train, item 1: non-saturating activations")
C000_BN = Cite(D000, _000_HARD, "2. 批标准化", "加速收敛过程",
               "item 2: batch normalisation speeds up convergence")
C000_OPT = Cite(D000, _000_HARD, "4. 优化器的选择", "Adam、RMSprop",
                "item 4: choice of optimiser")
C000_TRANSFER = Cite(D000, _000_HARD, "5. 迁移学习", "预训练的模型参数", "item 5: transfer learning")
C000_MONITOR = Cite(D000, _000_HARD, "7. 监督训练过程", "及时发现问题并调整模型",
                    "item 7: monitor the training process")
C000_BOTTLENECK = Cite(D000, "整体流程？", "4. 搭建系统，确定性能瓶颈", "是否过拟合，欠拟合",
                       "overall process, item 4: find the bottleneck")
C000_INCREMENTAL = Cite(D000, "整体流程？", "5. 根据具体任务进行", "增量式的改动",
                        "item 5: make incremental changes")

C001_LOSS = Cite(D001, "一.1", "选择合适的loss function", "Cross Entropy",
                 "low train accuracy, 1: choose a suitable loss function")
C001_BATCH = Cite(D001, "一.2", "mini-batch", "调整batch size", "low train accuracy, 2: adjust the batch size")
C001_ACT = Cite(D001, "一.3", "New activation function", "梯度消失的问题",
                "low train accuracy, 3: the vanishing-gradient problem")
C001_ADAPTIVE = Cite(D001, "一.4", "Adaptive learning rate", "梯度总和越小，学习率越大",
                     "low train accuracy, 4: the smaller the gradients, the larger the step")
C001_OSCILLATE = Cite(D001, "一.4", "Adaptive learning rate", "一直在震荡，一直收敛不了",
                      "if the learning rate is too large it keeps oscillating and never converges")
C001_DECAY = Cite(D001, "一.4", "Adaptive learning rate", "逐渐衰减的learning rate",
                  "a gradually decaying learning rate")
C001_MOMENTUM = Cite(D001, "一.5", "Momentum", "给梯度下降一个惯性",
                     "low train accuracy, 5: give gradient descent inertia")
_001_TEST = "test accuracy不高的技巧(overfitting)"
C001_MORE_DATA = Cite(D001, "二", _001_TEST, "万能方法：有更多的training data",
                      "low test accuracy: the universal method, more training data")
C001_AUGMENT = Cite(D001, "二", _001_TEST, "可用数据增强方法创建数据集",
                    "low test accuracy: create data by augmentation")
C001_EARLY = Cite(D001, "二.1", "Early Stopping", "应该提前结束训练", "stop training early")
C001_WD = Cite(D001, "二.2", "Weight Decay", "w <- (0.99)w", "shrink the weights each step")
C001_DROPOUT = Cite(D001, "二.3", "Dropout", "testing accuracy会提升", "testing accuracy rises")
C001_STRUCTURE = Cite(D001, "二.4", "Network Structure")
C001_LOOP = Cite(D001, "三", "深度学习神经网络的整个流程", "否则训练精度不足到step3",
                 "the whole workflow: train data first, then test data")

C002_SCALING = Cite(D002, "3.1", "数据预处理", "特征缩放", "data preprocessing: feature scaling")
C002_CLEANING = Cite(D002, "3.1", "数据预处理", "数据清洗", "data preprocessing: data cleaning")
C002_AUGMENT = Cite(D002, "3.1", "数据预处理", "数据增强", "data preprocessing: data augmentation")
C002_LR = Cite(D002, "3.3", "模型训练与优化", "避免模型震荡", "training: set the learning rate to avoid oscillation")
C002_OVERFIT = Cite(D002, "8.2", "如何解决过拟合问题？", "增加训练数据", "how to fix overfitting: more training data")
C002_SEARCH = Cite(D002, "8.4", "如何进行超参数调优？", "贝叶斯优化", "how to tune hyper-parameters")

C003_OVERFIT = Cite(D003, "4", "（2）过拟合（Overfitting）和欠拟合（Underfitting）", "数据扩充",
                    "overfitting and underfitting: data expansion")
C003_XAVIER = Cite(D003, "4", "（3）Xavier初始化", "减轻后期梯度爆炸或消失的问题", "Xavier initialisation")
C003_BN = Cite(D003, "4", "（4）批标准化", "减少初始化不良的影响", "batch normalisation")
C003_CLIP = Cite(D003, "4", "（5）梯度裁剪", "防止梯度的消失或爆炸", "gradient clipping")
C003_TRANSFER = Cite(D003, "4", "（6）迁移学习", "已经训练好的模型参数", "transfer learning")
C003_SEARCH = Cite(D003, "5", "深度学习模型调参的重要性", "网格搜索法",
                   "why tuning matters: grid, random and Bayesian search")

_004_1 = "构建基本模型,理解核心概念"
C004_LR = Cite(D004, "1", _004_1, "调整学习率", "build a basic model; fix: adjust the learning rate")
C004_LEAKY = Cite(D004, "1", _004_1, "Leaky ReLU 解决梯度消失问题",
                  "build a basic model; fix: Leaky ReLU against vanishing gradients")
C004_BN = Cite(D004, "1", _004_1, "批量归一化", "build a basic model; fix: batch normalisation")
C004_SCHEDULE = Cite(D004, "2", "实验优化算法,理解梯度下降与优化器的差异", "学习率衰减或余弦退火",
                     "optimisers; fix: learning-rate decay or cosine annealing")
_004_3 = "处理过拟合与欠拟合"
C004_CAPACITY = Cite(D004, "3", _004_3, "增加模型容量", "over- and underfitting; fix: more model capacity")
C004_LONGER = Cite(D004, "3", _004_3, "更长时间的训练", "over- and underfitting; fix: train longer")
C004_AUGMENT = Cite(D004, "3", _004_3, "增加数据增强技术", "over- and underfitting; fix: data augmentation")
C004_TOO_BIG = Cite(D004, "3", _004_3, "太复杂的网络容易过拟合", "too complex a network overfits")
C004_SEARCH = Cite(D004, "5", "超参数调优,理解模型的灵敏度", "网格搜索或随机搜索",
                   "hyper-parameter tuning: grid or random search")
C004_TRANSFER = Cite(D004, "6", "迁移学习与小数据集上的挑战", "使用预训练模型对自己的数据集进行微调",
                     "transfer learning: fine-tune a pre-trained model")
C004_IMBALANCE = Cite(D004, "7", "数据不均衡与样本偏差", "带权重的损失函数或过采样/欠采样策略",
                      "class imbalance: weighted loss, over/under-sampling")
C004_FOCAL = Cite(D004, "7", "数据不均衡与样本偏差", "Focal Loss", "class imbalance: focal loss")
C004_RECORD = Cite(D004, "8", "总结与思考:实践中的差距与优化思路", "记录模型在训练集和验证集上的表现",
                   "record train and validation performance in every experiment")

# ---- snippets (PyTorch; `model`, `loader`, `loss`, ... are the reader's own objects) ------
S_LOWER_LR = """\
import torch

# was lr=0.1: a tenfold smaller step
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
# or, on an existing optimiser:
for group in optimizer.param_groups:
    group["lr"] *= 0.1
"""
S_CLIP = """\
import torch

loss.backward()
# rescale the whole gradient when its norm exceeds 1.0 (clip_grad_value_ clips each entry)
torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step()
optimizer.zero_grad()
"""
S_INIT = """\
import torch.nn as nn

for m in model.modules():
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")  # He; xavier_normal_ for tanh
        if m.bias is not None:
            nn.init.zeros_(m.bias)
"""
S_INIT_RELU = """\
import torch.nn as nn

model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(),  # ReLU instead of nn.Sigmoid()
                      nn.Linear(256, 10))
for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")  # He init, made for ReLU
        nn.init.zeros_(m.bias)
"""
S_BN = """\
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(),  # BatchNorm2d after a Conv2d
    nn.Linear(256, 256), nn.BatchNorm1d(256), nn.ReLU(),
    nn.Linear(256, 10),
)
"""
S_ADAM = """\
import torch

# Adam adapts each weight's step; start from its usual lr=1e-3, not the old SGD lr
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
# alternatives: torch.optim.RMSprop(..., lr=1e-3), torch.optim.Adagrad(..., lr=1e-2)
"""
S_MOMENTUM = """\
import torch

# momentum=0.9 keeps 90% of the previous step: inertia that rolls past small dips
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
"""
S_CROSS_ENTROPY = """\
import torch.nn as nn

criterion = nn.CrossEntropyLoss()  # instead of nn.MSELoss() on softmax outputs
logits = model(x)                  # raw scores: no softmax before the loss
loss = criterion(logits, y)        # y holds class indices, not one-hot vectors
"""
S_SMALLER_BATCH = """\
from torch.utils.data import DataLoader

# was batch_size=256: four times as many updates per epoch
loader = DataLoader(train_set, batch_size=64, shuffle=True)
"""
S_LARGER_BATCH = """\
from torch.utils.data import DataLoader

# was batch_size=64: each gradient averages over more examples, so it is less noisy
loader = DataLoader(train_set, batch_size=256, shuffle=True)
"""
S_RELU = """\
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(784, 256), nn.ReLU(),  # was nn.Sigmoid()
    nn.Linear(256, 256), nn.ReLU(),
    nn.Linear(256, 10),
)
"""
S_LEAKY = """\
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(784, 256), nn.LeakyReLU(0.01),  # was nn.ReLU(); nn.ELU() also works
    nn.Linear(256, 256), nn.LeakyReLU(0.01),
    nn.Linear(256, 10),
)
"""
S_SCHEDULE = """\
import torch

optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
# step decay instead: torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
for epoch in range(epochs):
    train_one_epoch(model, loader, optimizer)
    scheduler.step()  # once per epoch
"""
S_WIDER = """\
import torch.nn as nn

width = 512  # was 256: more units per layer (or add another hidden layer)
model = nn.Sequential(nn.Linear(784, width), nn.ReLU(),
                      nn.Linear(width, width), nn.ReLU(),
                      nn.Linear(width, 10))
"""
S_LONGER = """\
epochs = 40  # was 20: the training loss was still falling when the run stopped
for epoch in range(epochs):
    train_one_epoch(model, loader, optimizer)
    print(epoch, evaluate(model, train_loader), evaluate(model, val_loader))
"""
S_MORE_DATA = """\
from torch.utils.data import DataLoader, Subset

# train on every labelled example you have, not a subset of it
# was: loader = DataLoader(Subset(train_set, range(500)), batch_size=64, shuffle=True)
loader = DataLoader(train_set, batch_size=64, shuffle=True)
"""
S_AUGMENT = """\
import torch

def augment(x):  # x: a batch of images (N, C, H, W); training batches only
    if torch.rand(()) < 0.5:
        x = x.flip(-1)                                 # random horizontal flip
    dx, dy = torch.randint(-2, 3, (2,)).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))  # random small shift
"""
S_EARLY = """\
best, bad, patience = float("inf"), 0, 5
for epoch in range(epochs):
    train_one_epoch(model, loader, optimizer)
    if (val_loss := evaluate(model, val_loader)) < best:
        best, bad = val_loss, 0
        torch.save(model.state_dict(), "best.pt")  # keep the best weights
    elif (bad := bad + 1) >= patience:
        break  # no improvement for `patience` epochs: reload best.pt
"""
S_WEIGHT_DECAY = """\
import torch

# L2 penalty: every step shrinks each weight a little towards zero
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-3)
# with Adam prefer AdamW: torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
"""
S_DROPOUT = """\
import torch.nn as nn

model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(p=0.5),
                      nn.Linear(256, 10))
model.train()  # dropout active while training
model.eval()   # and off for validation/test; PyTorch rescales the weights for you
"""
S_SMALLER = """\
import torch.nn as nn

width = 128  # was 256: fewer units leave less room to memorise the training set
model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))
"""
S_TRANSFER = """\
import torch.nn as nn
from torchvision import models

model = models.resnet18(weights="IMAGENET1K_V1")  # start from pre-trained weights
for p in model.parameters():
    p.requires_grad = False  # freeze the pre-trained layers
model.fc = nn.Linear(model.fc.in_features, num_classes)  # train only the new head
"""
S_SEARCH = """\
import random

best = None
for trial in range(20):  # random search; lr sampled on a log scale
    cfg = {"lr": 10 ** random.uniform(-4, -1), "width": random.choice([128, 256, 512])}
    acc = train_and_validate(cfg)  # judge on the validation set, never the test set
    if best is None or acc > best[0]:
        best = (acc, cfg)
"""
S_IMBALANCE = """\
import torch
import torch.nn as nn

counts = torch.bincount(train_labels)                     # examples per class
weights = counts.sum() / (len(counts) * counts.float())   # rarer class, larger weight
criterion = nn.CrossEntropyLoss(weight=weights)
# or oversample: torch.utils.data.WeightedRandomSampler(weights[train_labels], len(train_labels))
"""
S_SCALING = """\
import torch

keep = ~torch.isnan(X_train).any(dim=1)  # cleaning: drop rows with missing values
X_train, y_train = X_train[keep], y_train[keep]
lo, hi = X_train.min(0).values, X_train.max(0).values  # from the training data only
def scale(X): return 2 * (X - lo) / (hi - lo).clamp_min(1e-12) - 1  # to [-1, 1]
X_train, X_val = scale(X_train), scale(X_val)
"""
S_MONITOR = """\
import torch
from torch.utils.tensorboard import SummaryWriter

writer = SummaryWriter("runs/exp1")
writer.add_scalar("train/loss", loss.item(), step)
writer.add_scalar("val/loss", val_loss, step)
writer.add_scalar("opt/lr", optimizer.param_groups[0]["lr"], step)
writer.add_scalar("grad_norm/total", torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf")), step)
"""
S_INCREMENTAL = """\
base = {"lr": 0.1, "batch_size": 64, "dropout": 0.0, "weight_decay": 0.0}
for change in [{"lr": 0.01}, {"dropout": 0.3}, {"weight_decay": 5e-4}]:
    result = train_and_validate({**base, **change})  # ONE change per run
    print(change, result)  # compare each with the unchanged baseline
"""

# ---- shared texts ------------------------------------------------------------------------
_ADAM_NOTE_EN = (" The re-run uses Adam at its usual lr of 0.001: a learning rate tuned for SGD does"
                 " not carry over to Adam, so the rate is set rather than scaled.")
_ADAM_NOTE_ZH = "重跑时用 Adam 及其常用学习率 0.001：为 SGD 调好的学习率不适用于 Adam，所以直接设定而不是按比例缩放。"


def _lower_lr(problem: str, cites: tuple[Cite, ...], why_en: str, why_zh: str) -> Entry:
    return Entry(f"{problem}.lower_lr", cites, S_LOWER_LR, {"lr": "×0.1"},
                 ("Lower the learning rate (try ×0.1).", why_en),
                 ("降低学习率（先试 ×0.1）。", why_zh))


def _batch_norm(problem: str, cites: tuple[Cite, ...], why_en: str, why_zh: str) -> Entry:
    return Entry(f"{problem}.batch_norm", cites, S_BN, {"batch_norm": True},
                 ("Add batch normalisation after each hidden layer.", why_en),
                 ("在每个隐藏层后加入批标准化（Batch Normalization）。", why_zh))


def _adaptive(problem: str, cites: tuple[Cite, ...], why_en: str, why_zh: str) -> Entry:
    return Entry(f"{problem}.adaptive_lr", cites, S_ADAM, {"optimizer": "adam", "lr": 0.001},
                 ("Switch to an adaptive optimiser (Adam; RMSprop or Adagrad also fit).",
                  why_en + _ADAM_NOTE_EN),
                 ("改用自适应学习率的优化器（Adam；RMSprop、Adagrad 亦可）。", why_zh + _ADAM_NOTE_ZH))


def _clip(problem: str, why_en: str, why_zh: str) -> Entry:
    return Entry(f"{problem}.grad_clip", (C003_CLIP,), S_CLIP, {"grad_clip": 1.0},
                 ("Clip the gradients (e.g. total norm ≤ 1.0).", why_en),
                 ("做梯度裁剪（例如总范数不超过 1.0）。", why_zh))


_CLIP_EN = (" The untitled article on training and tuning clips every gradient into [-clip_value, clip_value]; our trainer, like"
            " the snippet, rescales the total norm instead, the common variant with the same purpose.")
_CLIP_ZH = "无题文章（禅与计算机程序设计艺术）把每个梯度裁剪到 [-clip_value, clip_value] 之间；本项目的训练器和示例代码按总范数缩放，是目的相同的常用做法。"

_INIT_EN = ("“On applying deep networks in practice” recommends Xavier or He initialisation because it eases both vanishing and"
            " exploding gradients; the untitled article on training and tuning explains that it keeps each layer's weights at a scale that"
            " stops gradients from blowing up or dying out later. The re-run uses He, which suits ReLU.")
_INIT_ZH = ("《关于深度神经网络的实际应用方法论》建议使用 Xavier 初始化、He 初始化等更好的初始化方法，可以缓解梯度消失和梯度爆炸问题；"
            "无题文章（禅与计算机程序设计艺术）说明它让每层参数的规模合适，从而减轻后期梯度爆炸或消失的问题。重跑时使用适合 ReLU 的 He 初始化。")

# ---- the catalogue, per problem, in the documents' order -------------------------------
CATALOGUE: dict[str, tuple[Entry, ...]] = {
    "divergence": (
        _lower_lr(
            "divergence", (C004_LR,),
            "“Deep-learning practice: the mechanisms behind the theory” notes that in practice the size of the gradients and the learning rate"
            " decide whether training works and easily tip it into exploding gradients; its first"
            " fix is to adjust the learning rate. A loss that turns NaN/inf or runs away usually"
            " means the steps are too large, so this comes first.",
            "《深度学习实践：理解理论背后的机制》指出：实践中梯度的大小和学习率会影响训练效果，容易出现梯度爆炸；改进思路之一就是调整学习率。"
            "损失变成 NaN/inf 或一路飙升，通常说明步长太大，所以先降学习率。"),
        _clip("divergence",
              "Clipping caps each update, so one bad batch cannot throw the weights so far that the"
              " loss overflows; the untitled article on training and tuning presents it as a common technique against exploding gradients."
              + _CLIP_EN,
              "梯度裁剪限制了每一步更新的幅度，单个坏批次不会把权重推到让损失溢出的地步；无题文章（禅与计算机程序设计艺术）把它作为防止梯度爆炸的常用技巧。"
              + _CLIP_ZH),
        Entry("divergence.init", (C000_INIT, C003_XAVIER), S_INIT, {"init": "he"},
              ("Re-initialise the weights with He (or Xavier) initialisation.",
               "Weights that start too large make activations and gradients grow layer by layer"
               " from the first steps. " + _INIT_EN),
              ("用 He（或 Xavier）初始化重新初始化权重。",
               "初始权重过大，激活值和梯度会从一开始就逐层放大。" + _INIT_ZH)),
        _batch_norm(
            "divergence", (C000_BN, C003_BN),
            "Batch normalisation standardises each feature inside the network, which speeds up"
            " convergence (“On applying deep networks in practice”); the untitled article on training and tuning adds that it makes training depend less on the scale of the"
            " initial weights, reducing the harm of a bad initialisation.",
            "批标准化对网络中的每个特征做标准化，可以加速收敛（《关于深度神经网络的实际应用方法论》）；无题文章（禅与计算机程序设计艺术）补充说，它使网络参数不再依赖初始化值的大小，减少初始化不良的影响。"),
    ),
    "exploding_gradient": (
        _clip("exploding_gradient",
              "Gradient clipping trims the gradient into a fixed range every step, which the untitled article on training and tuning gives"
              " as the way to prevent gradients from exploding; the run keeps its learning rate"
              " but no single step can be huge." + _CLIP_EN,
              "梯度裁剪在每一步把梯度修剪到一个固定范围内，无题文章（禅与计算机程序设计艺术）用它来防止梯度爆炸；学习率不变，但不会再出现过大的单步更新。"
              + _CLIP_ZH),
        _lower_lr(
            "exploding_gradient", (C004_LR,),
            "“Deep-learning practice: the mechanisms behind the theory” observes that the size of the gradients and the learning rate together"
            " decide whether training works, and that exploding gradients are easy to hit in"
            " practice; adjusting the learning rate is one of its fixes. Smaller steps keep the"
            " weights from being thrown into regions with even larger gradients.",
            "《深度学习实践：理解理论背后的机制》指出：梯度的大小和学习率会影响训练效果，实践中容易出现梯度爆炸；改进思路之一是调整学习率。"
            "步长变小，权重就不会被推到梯度更大的区域。"),
        Entry("exploding_gradient.init", (C000_INIT, C003_XAVIER), S_INIT, {"init": "he"},
              ("Re-initialise the weights with He (or Xavier) initialisation.",
               "Backpropagation multiplies the gradient by each layer's weights, so weights that"
               " are too large make it grow exponentially with depth (“On applying deep networks in practice”). " + _INIT_EN),
              ("用 He（或 Xavier）初始化重新初始化权重。",
               "反向传播时梯度要不断乘上各层的权重，权重过大会让梯度随层数指数级增加（《关于深度神经网络的实际应用方法论》）。" + _INIT_ZH)),
        _batch_norm(
            "exploding_gradient", (C000_BN, C003_BN),
            "Batch normalisation re-standardises every layer's inputs, so their scale cannot keep"
            " growing with depth; “On applying deep networks in practice” lists it among the remedies for unstable gradients and the untitled article on training and tuning"
            " adds that it reduces the harm of a bad initialisation.",
            "批标准化在每一层重新标准化输入，数值规模不会随层数不断放大；《关于深度神经网络的实际应用方法论》把它列为解决训练难题的方法之一，"
            "无题文章（禅与计算机程序设计艺术）补充说它可以减少初始化不良的影响。"),
    ),
    "vanishing_gradient": (
        Entry("vanishing_gradient.init_activation", (C000_INIT, C001_ACT, C004_LEAKY), S_INIT_RELU,
              {"init": "he", "activation": "relu"},
              ("Use a non-saturating activation (ReLU) with He initialisation.",
               "A saturating activation such as sigmoid squeezes outputs into 0–1, so the gradient"
               " shrinks on its way back and the early layers barely change (\"Lessons from"
               " deep-learning practice\", §一.3). \"On a method for applying deep neural networks in"
               " practice\" gives the fix as one item: Xavier/He initialisation with a non-saturating"
               " activation (ReLU, Leaky ReLU, ELU); He is designed for ReLU, so the re-run changes"
               " both together."),
              ("改用不饱和的激活函数（ReLU），并配合 He 初始化。",
               "sigmoid 之类的饱和激活函数把输出限定在 0~1 之间，梯度反向传导时越来越小，网络前面的参数几乎不变（《深度学习实践经验总结》§一.3）。"
               "《关于深度神经网络的实际应用方法论》把二者作为同一条方法：Xavier/He 等初始化方法配合 ReLU、Leaky ReLU、ELU 等非饱和激活函数；"
               "He 初始化正是为 ReLU 设计的，所以重跑时两项一起改。")),
        _batch_norm(
            "vanishing_gradient", (C000_BN, C004_BN),
            "Batch normalisation keeps every layer's inputs standardised, so they stay where the"
            " activation still has a useful slope; “On applying deep networks in practice” and “Deep-learning practice: the mechanisms behind the theory” recommend it to speed up training.",
            "批标准化让每一层的输入保持标准化，停留在激活函数梯度不为零的区间；《关于深度神经网络的实际应用方法论》和《深度学习实践：理解理论背后的机制》都建议用它来加速训练。"),
        _adaptive(
            "vanishing_gradient", (C000_OPT, C001_ADAPTIVE),
            "“On applying deep networks in practice” recommends advanced optimisers such as Adam or RMSprop to speed up"
            " convergence; as “Lessons from deep-learning practice” explains for Adagrad, an adaptive rate grows where the"
            " gradients have been small, so layers with weak gradients still move.",
            "《关于深度神经网络的实际应用方法论》建议使用 Adam、RMSprop 等先进的优化器来加速收敛；《深度学习实践经验总结》以 Adagrad 为例说明：梯度总和越小，学习率越大，"
            "所以梯度很弱的层也能得到有效的更新。"),
    ),
    "dead_relu": (
        Entry("dead_relu.leaky_relu", (C004_LEAKY, C000_ACT), S_LEAKY, {"activation": "leaky_relu"},
              ("Replace ReLU with Leaky ReLU (or ELU).",
               "A ReLU that outputs zero for every input also passes back zero gradient, so it"
               " never recovers. Leaky ReLU keeps a small slope below zero (ELU a smooth one), so"
               " such units still learn; “Deep-learning practice: the mechanisms behind the theory” and “On applying deep networks in practice” both name these activations as the fix."),
              ("把 ReLU 换成 Leaky ReLU（或 ELU）。",
               "对所有输入都输出 0 的 ReLU 单元，反向传播的梯度也是 0，再也无法恢复。Leaky ReLU 在负半轴保留一个小斜率（ELU 是平滑的曲线），"
               "这些单元仍能得到梯度；《深度学习实践：理解理论背后的机制》和《关于深度神经网络的实际应用方法论》都把它们列为解决办法。")),
        Entry("dead_relu.init", (C000_INIT, C003_XAVIER), S_INIT, {"init": "he"},
              ("Re-initialise the weights with He (or Xavier) initialisation.",
               "Units often die from a bad start: weights or biases that push the pre-activation"
               " below zero for every input. " + _INIT_EN),
              ("用 He（或 Xavier）初始化重新初始化权重。",
               "神经元死亡常常源于不好的初始值：权重或偏置让预激活值对所有输入都小于 0。" + _INIT_ZH)),
        _lower_lr(
            "dead_relu", (C004_LR,),
            "One oversized update can push a unit's weights and bias so far negative that it"
            " never fires again; “Deep-learning practice: the mechanisms behind the theory” lists adjusting the learning rate among its fixes"
            " for unstable gradients.",
            "一次过大的更新就可能把某个单元的权重和偏置推到很负的位置，使它再也不被激活；《深度学习实践：理解理论背后的机制》的改进思路中包括调整学习率。"),
        _batch_norm(
            "dead_relu", (C000_BN, C003_BN),
            "Batch normalisation re-centres each unit's input on every batch, so a unit is not"
            " left below zero for all inputs; the untitled article on training and tuning adds that it reduces the harm of a bad"
            " initialisation.",
            "批标准化在每个批次重新对每个单元的输入做中心化，单元不会对所有输入都停留在 0 以下；无题文章（禅与计算机程序设计艺术）补充说它可以减少初始化不良的影响。"),
    ),
    "lr_oscillation": (
        _lower_lr(
            "lr_oscillation", (C001_OSCILLATE, C002_LR),
            "“Lessons from deep-learning practice”: if the learning rate is too large, the loss keeps oscillating and never"
            " converges; “Everything is a mapping” says to set the learning rate so that the model does not oscillate.",
            "《深度学习实践经验总结》：如果学习率太大，会一直在震荡，一直收敛不了；《一切皆是映射》也指出要合理设置学习率，避免模型震荡。"),
        Entry("lr_oscillation.lr_schedule", (C004_SCHEDULE,), S_SCHEDULE, {"lr_schedule": "cosine"},
              ("Decay the learning rate during training (cosine annealing or step decay).",
               "“Deep-learning practice: the mechanisms behind the theory” suggests a learning-rate scheduler such as decay or cosine annealing:"
               " the large early steps make fast progress and the shrinking later ones let the"
               " loss settle instead of bouncing around the minimum."),
              ("在训练中让学习率逐渐衰减（余弦退火或阶梯衰减）。",
               "《深度学习实践：理解理论背后的机制》建议尝试学习率调度器（如学习率衰减或余弦退火）：前期大步长快速下降，后期步长变小，"
               "损失就能稳定下来，而不是在最低点附近来回震荡。")),
        _adaptive(
            "lr_oscillation", (C001_OSCILLATE, C001_DECAY),
            "“Lessons from deep-learning practice” introduces adaptive learning rates exactly for this case: with Adagrad"
            " the rate decays as training goes on, because the accumulated gradients in its"
            " denominator keep growing.",
            "《深度学习实践经验总结》正是针对学习率太大、一直震荡的情况介绍自适应学习率：以 Adagrad 为例，训练越久，分母越大，学习率就越小，"
            "即逐渐衰减的 learning rate。"),
        Entry("lr_oscillation.larger_batch", (C001_BATCH,), S_LARGER_BATCH, {"batch_size": "×4"},
              ("Use a larger mini-batch (try ×4).",
               "“Lessons from deep-learning practice” lists the mini-batch size as a knob to adjust; a larger batch averages"
               " the gradient over more examples, so it is less noisy and the steps zig-zag less."),
              ("增大 mini-batch（先试 ×4）。",
               "《深度学习实践经验总结》把调整 batch size 列为技巧之一；batch 越大，梯度由越多样本平均而来，噪声越小，更新就不那么来回摆动。")),
    ),
    "underfitting": (
        Entry("underfitting.loss", (C001_LOSS,), S_CROSS_ENTROPY, {"loss": "cross_entropy"},
              ("Use cross-entropy instead of squared error for classification.",
               "“Lessons from deep-learning practice”: with square error the total loss has little height difference, so"
               " gradient descent struggles to find the best solution and training accuracy stays"
               " low; cross-entropy gives a loss surface with large differences that gradient"
               " descent can follow."),
              ("分类问题用交叉熵（Cross Entropy）代替平方误差（Square Error）。",
               "《深度学习实践经验总结》：Square Error 计算出来的 total loss 高低落差不大，梯度下降很难找到最佳解，训练精度很难提高；"
               "Cross Entropy 得到的 loss 高低落差大，方便梯度下降找到最佳解。"),
              tasks=frozenset({"classification"})),
        Entry("underfitting.batch_size", (C001_BATCH,), S_SMALLER_BATCH, {"batch_size": "×0.25"},
              ("Change the mini-batch size (try a smaller one, ×0.25).",
               "“Lessons from deep-learning practice” lists adjusting the batch size without a direction. For a run that"
               " has not fit its training data yet, a smaller batch gives more updates in the same"
               " number of epochs, so the re-run tries ×0.25."),
              ("调整 mini-batch 大小（先试更小的 batch，×0.25）。",
               "《深度学习实践经验总结》只说调整 batch size，没有给出方向。对还没拟合好训练数据的模型，更小的 batch 在同样的 epoch 数内更新次数更多，"
               "所以重跑时试 ×0.25。")),
        Entry("underfitting.activation", (C001_ACT,), S_RELU, {"activation": "relu"},
              ("Use ReLU instead of sigmoid.",
               "“Lessons from deep-learning practice”: sigmoid limits every output to 0–1, so the gradient reaching the"
               " early layers is tiny; the later layers converge while the early ones stay random."
               " ReLU passes positive values unchanged, which reduces this vanishing gradient."),
              ("把 sigmoid 激活函数换成 ReLU。",
               "《深度学习实践经验总结》：sigmoid 把每次的输出限定在 0~1 之间，反向传导到网络前面的梯度很小，后面的参数收敛了，前面的参数却还是随机的；"
               "ReLU 对大于 0 的值按原值传播，一定程度上减少了梯度消失的问题。")),
        _adaptive(
            "underfitting", (C001_ADAPTIVE,),
            "“Lessons from deep-learning practice”: a fixed learning rate is either too large (it oscillates and never"
            " converges) or too small (training is very slow). Adaptive methods (Adagrad, RMSprop,"
            " Adam) give each weight its own rate, larger where the gradients have been small.",
            "《深度学习实践经验总结》：固定的学习率太大会一直震荡、收敛不了，太小则训练很慢。自适应学习率（Adagrad、RMSprop、Adam 等）"
            "为每个参数调整学习率，梯度总和越小，学习率越大。"),
        Entry("underfitting.momentum", (C001_MOMENTUM,), S_MOMENTUM, {"momentum": 0.9},
              ("Add momentum to SGD (0.9).",
               "“Lessons from deep-learning practice” gives gradient descent inertia with momentum so that it carries on"
               " past local minima instead of getting stuck. Our trainer applies momentum to SGD"
               " and RMSprop; Adam already has a momentum term, so there it changes nothing."),
              ("给 SGD 加上 momentum（0.9）。",
               "《深度学习实践经验总结》引入 momentum，相当于给梯度下降一个惯性，让结果往前多走一些，不卡在 local minima。"
               "本项目的训练器对 SGD 和 RMSprop 使用 momentum；Adam 本身已有动量项，对它不起作用。")),
        Entry("underfitting.capacity", (C004_CAPACITY,), S_WIDER, {"width": "×2"},
              ("Give the model more capacity (twice the width, or more layers).",
               "“Deep-learning practice: the mechanisms behind the theory”: underfitting usually means the model is not complex enough; increase"
               " its capacity with more layers or a larger model. The re-run doubles the width,"
               " which adds capacity without deepening the gradient path."),
              ("增加模型容量（宽度加倍，或增加层数）。",
               "《深度学习实践：理解理论背后的机制》：欠拟合通常是因为模型复杂度不足，可以通过增加模型容量（例如更多层或更大模型）来提高性能。"
               "重跑时把宽度加倍，在增加容量的同时不加深梯度传播路径。")),
        Entry("underfitting.train_longer", (C004_LONGER,), S_LONGER, {"epochs": "×2"},
              ("Train for longer (twice the epochs).",
               "“Deep-learning practice: the mechanisms behind the theory”'s other fix for underfitting: train for longer so the model fits the"
               " data further; worth it when the training loss was still falling at the end."),
              ("训练更长时间（epoch 数加倍）。",
               "《深度学习实践：理解理论背后的机制》给出的另一个办法：通过更长时间的训练来进一步拟合数据；训练结束时训练损失仍在下降时尤其值得一试。")),
    ),
    "overfitting": (
        Entry("overfitting.more_data", (C001_MORE_DATA, C003_OVERFIT, C002_OVERFIT), S_MORE_DATA,
              {"train_size": 0},
              ("Train on more data (all of it).",
               "“Lessons from deep-learning practice” calls more training data the universal method against overfitting;"
               " the untitled article on training and tuning and “Everything is a mapping” put it first too. The re-run uses the whole training set."),
              ("使用更多的训练数据（全部数据）。",
               "《深度学习实践经验总结》称更多的 training data 是防止过拟合的万能方法；无题文章（禅与计算机程序设计艺术）和《一切皆是映射》也把增加数据放在首位。重跑时使用全部训练数据。")),
        Entry("overfitting.augment", (C001_AUGMENT, C002_AUGMENT, C004_AUGMENT), S_AUGMENT,
              {"augment": True},
              ("Augment the training data (flips, shifts, rotations).",
               "When no more data can be collected, create it: “Lessons from deep-learning practice” suggests simple spatial"
               " transforms such as rotations and flips; “Everything is a mapping” and “Deep-learning practice: the mechanisms behind the theory” add scaling and cropping to"
               " increase the variety of the data and improve generalisation."),
              ("做数据增强（翻转、平移、旋转等）。",
               "无法收集更多数据时，就用数据增强方法创建数据集：《深度学习实践经验总结》建议简单的旋转角度、翻转等空间图像处理技巧；"
               "《一切皆是映射》和《深度学习实践：理解理论背后的机制》还提到缩放、裁剪等，以增加数据的多样性，提高模型的泛化能力。")),
        Entry("overfitting.early_stopping", (C001_EARLY,), S_EARLY, {"early_stopping_patience": 5},
              ("Stop early when the validation loss stops improving (patience 5 epochs).",
               "“Lessons from deep-learning practice”: as training goes on the training error keeps falling but the"
               " validation error starts to rise; training should end early at that point, or the"
               " model overfits."),
              ("使用早停法（Early Stopping）：验证损失不再下降时停止训练（patience 5 个 epoch）。",
               "《深度学习实践经验总结》：随着训练 epoch 数增多，训练数据集的误差越来越小，但验证数据集的误差会增大，此时应该提前结束训练，"
               "否则就会出现 overfitting。")),
        Entry("overfitting.weight_decay", (C001_WD,), S_WEIGHT_DECAY, {"weight_decay": 0.005},
              ("Add weight decay (L2), e.g. 5e-3.",
               "“Lessons from deep-learning practice”: weight decay multiplies the weights by a factor just below 1 every"
               " step (its example uses 0.99), so weights of nodes the model does not use shrink"
               " towards zero while the ones it uses are kept up by their gradients. The re-run"
               " uses 5e-3, not the familiar 5e-4: that value comes from SGD on large datasets,"
               " while an overfitting run usually has little or noisy data, and Adam (our"
               " trainer's default) divides a coupled L2 penalty by each weight's gradient scale,"
               " which weakens it; “Lessons from deep-learning practice”'s own ×0.99 per step is stronger still."),
              ("加入 weight decay（L2 正则化），例如 5e-3。",
               "《深度学习实践经验总结》：weight decay 每一步都让权重乘上一个略小于 1 的系数（例子中是 0.99），没用到的节点的权重会越来越小、接近于零，"
               "用到的节点则不会。重跑时用 5e-3 而不是常见的 5e-4：后者来自大数据集上的 SGD，而过拟合的运行通常数据少或标签有噪声；"
               "Adam（本项目训练器的默认优化器）会按每个权重的梯度规模缩放耦合的 L2 惩罚，使它变弱；《深度学习实践经验总结》例子中每步 ×0.99 还要更强。")),
        Entry("overfitting.dropout", (C001_DROPOUT,), S_DROPOUT, {"dropout": 0.5},
              ("Add dropout after the hidden layers (p = 0.5).",
               "“Lessons from deep-learning practice”: each layer randomly drops p% of its nodes during training, which in"
               " effect changes the network's structure; training accuracy falls a little and test"
               " accuracy rises. Do not drop at test time. The document gives no p; the re-run"
               " uses 0.5, the classic value for hidden layers (Srivastava et al., 2014, found it"
               " close to optimal across tasks); lower values such as 0.2 are for input layers."),
              ("在隐藏层后加入 Dropout（p = 0.5）。",
               "《深度学习实践经验总结》：训练时每一层随机丢掉 p% 的节点，实际上改变了网络的结构；training accuracy 会降低，testing accuracy 会提升。"
               "注意测试时不要 dropout。文档没有给出 p；重跑时用隐藏层的经典取值 0.5（Srivastava 等人 2014 年发现它在各类任务上都接近最优）；"
               "0.2 这样较低的取值用于输入层。")),
        Entry("overfitting.smaller_network", (C001_STRUCTURE, C004_TOO_BIG), S_SMALLER, {"width": "×0.5"},
              ("Use a smaller network (half the width).",
               "“Lessons from deep-learning practice” lists the network structure as the last remedy; “Deep-learning practice: the mechanisms behind the theory” observes that too"
               " complex a network overfits easily. Fewer units leave less room to memorise the"
               " training set."),
              ("使用更小的网络（宽度减半）。",
               "《深度学习实践经验总结》把网络结构（Network Structure）列为最后一项；《深度学习实践：理解理论背后的机制》指出太复杂的网络容易过拟合。单元越少，越难死记训练集。")),
    ),
}

# ---- general tips: the documents' other advice, no one-click re-run -----------------------
TIPS: tuple[Entry, ...] = (
    Entry("tip.incremental_changes", (C000_BOTTLENECK, C000_INCREMENTAL, C001_LOOP), S_INCREMENTAL, None,
          ("Find the bottleneck first, then change one thing at a time.",
           "“On applying deep networks in practice”: build the system, find the bottleneck (overfitting? underfitting?), then"
           " make incremental changes. “Lessons from deep-learning practice” gives the order: fix training accuracy first, and only"
           " then test accuracy."),
          ("先确定性能瓶颈，再一次只改一处。",
           "《关于深度神经网络的实际应用方法论》：搭建系统，确定性能瓶颈（是否过拟合、欠拟合），再根据具体任务进行增量式的改动。"
           "《深度学习实践经验总结》给出顺序：先看训练数据上的结果，不好就回到优化；训练数据上好了，再看测试数据。")),
    Entry("tip.monitoring", (C000_MONITOR, C004_RECORD), S_MONITOR, None,
          ("Monitor the run: log training and validation metrics as you train.",
           "“On applying deep networks in practice”: monitor the metrics during training to spot problems early and adjust"
           " the model; “Deep-learning practice: the mechanisms behind the theory” records training and validation performance in every experiment."),
          ("监督训练过程：训练时记录训练集和验证集上的指标。",
           "《关于深度神经网络的实际应用方法论》：监控训练过程中的指标，及时发现问题并调整模型；《深度学习实践：理解理论背后的机制》建议在每次实验中记录模型在训练集和验证集上的表现。")),
    Entry("tip.feature_scaling", (C002_CLEANING, C002_SCALING), S_SCALING, None,
          ("Clean the data and scale the features to a common range.",
           "“Everything is a mapping”: handle missing values and outliers, and scale every feature to the same"
           " interval, e.g. [-1, 1] or [0, 1], before training."),
          ("清洗数据，并把特征缩放到相同区间。",
           "《一切皆是映射》：训练前处理缺失值、异常值等，并把不同特征的取值范围缩放到相同区间，例如 [-1, 1] 或 [0, 1]。")),
    Entry("tip.transfer_learning", (C000_TRANSFER, C003_TRANSFER, C004_TRANSFER), S_TRANSFER, None,
          ("Start from a pre-trained model and fine-tune it.",
           "“On applying deep networks in practice”, the untitled article on training and tuning and “Deep-learning practice: the mechanisms behind the theory”: a pre-trained model's parameters as the starting point"
           " speed up convergence and help on small data sets; freeze part of it and train the"
           " last layers. “Deep-learning practice: the mechanisms behind the theory” warns the features may not suit a very different task."),
          ("从预训练模型出发做微调（迁移学习）。",
           "《关于深度神经网络的实际应用方法论》无题文章（禅与计算机程序设计艺术）《深度学习实践：理解理论背后的机制》：把预训练模型的参数作为初始参数，可以加速收敛，在小数据集上也能有效训练；可以冻结部分层，只训练最后几层。"
           "《深度学习实践：理解理论背后的机制》也提醒：预训练模型的特征可能不适用于某些特殊任务。")),
    Entry("tip.hyperparameter_search", (C003_SEARCH, C004_SEARCH, C002_SEARCH), S_SEARCH, None,
          ("Search the hyper-parameters systematically (grid, random or Bayesian search).",
           "The untitled article on training and tuning, “Deep-learning practice: the mechanisms behind the theory” and “Everything is a mapping”: grid search tries every combination, random search samples"
           " them and is more efficient, Bayesian optimisation lets a model of past results guide"
           " the search; judge each setting on the validation set."),
          ("系统地搜索超参数（网格搜索、随机搜索或贝叶斯优化）。",
           "无题文章（禅与计算机程序设计艺术）《深度学习实践：理解理论背后的机制》《一切皆是映射》：网格搜索穷举所有组合，随机搜索随机采样、效率更高，贝叶斯优化用概率模型指导搜索；每组超参数都在验证集上评估。")),
    Entry("tip.class_imbalance", (C004_IMBALANCE, C004_FOCAL), S_IMBALANCE, None,
          ("For imbalanced classes, weight the loss or re-sample (or try focal loss).",
           "“Deep-learning practice: the mechanisms behind the theory”: models learn minority classes poorly; use a weighted loss or over/under-"
           "sampling, and if that is not enough, focal loss or generated minority samples."),
          ("类别不均衡时，使用带权重的损失函数或过采样/欠采样（也可试 Focal Loss）。",
           "《深度学习实践：理解理论背后的机制》：模型对少数类别的数据学习较差；可以使用带权重的损失函数或过采样/欠采样策略，效果不够时再尝试 Focal Loss 或用 GAN 生成少数类样本。")),
)

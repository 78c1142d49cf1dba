"""The five source documents the remedies come from (`shared/seeds/`), named for a reader.

A citation names a document by its title (and its author where the text states one), never
by the hashed file name it is stored under. Titles are copied from the documents themselves:
the front matter's `title:` or the first heading; 003 has no title of its own, so it is named
by what its introduction says it covers. Authors only where the text has a "作者：" line.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    file: str  # name in shared/seeds
    title: str  # as written in the document ("" when it has none)
    title_en: str  # an English gloss of the title, for English readers
    author: str = ""  # as written after "作者：", where the document states one
    untitled_zh: str = ""  # how to name a document without a title
    untitled_en: str = ""

    def name(self, lang: str) -> str:
        """How a citation names it: 《title》 (plus the English gloss in English), with the
        author where known."""
        if self.title:
            shown = f"《{self.title}》" if lang == "zh" else f"《{self.title}》 ({self.title_en})"
        else:
            shown = self.untitled_zh if lang == "zh" else self.untitled_en
        if not self.author:
            return shown
        return f"{self.author}：{shown}" if lang == "zh" else f"{self.author}, {shown}"


DOCUMENTS: tuple[Document, ...] = (
    Document("000_deacf8dd9bed206d.txt", "关于深度神经网络的实际应用方法论",
             "On a method for applying deep neural networks in practice"),
    Document("001_e7d42a91e0d049af.txt", "深度学习实践经验总结",
             "Lessons from deep-learning practice"),
    Document("002_0901218969c1e860.txt", "一切皆是映射：深度神经网络的调优与优化策略",
             "Everything is a mapping: tuning and optimisation strategies for deep networks",
             author="禅与计算机程序设计艺术"),
    Document("003_5787b0ffab6c024d.txt", "", "", author="禅与计算机程序设计艺术",
             untitled_zh="无题文章（开篇“1.简介”：训练、调参、防止过拟合或欠拟合）",
             untitled_en="untitled article (opening “1.简介”: training, tuning, avoiding over- "
                         "and underfitting)"),
    Document("004_2d398573ec6fffcd.txt", "深度学习实践:理解理论背后的机制,体会理论与实际应用中的差距",
             "Deep-learning practice: the mechanisms behind the theory, and where practice departs "
             "from it"),
)

_BY_FILE = {d.file: d for d in DOCUMENTS}


def document(file: str) -> Document:
    """The document stored under `file` (a name in shared/seeds)."""
    return _BY_FILE[file]

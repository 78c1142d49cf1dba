"""Guide page: the order of diagnosis, what to log for each check, and general advice."""
from __future__ import annotations

from itertools import groupby

import pandas as pd
import streamlit as st

from diagnostics.documents import DOCUMENTS
from diagnostics.remedies import (
    DIAGNOSIS_ORDER,
    STAGE,
    diagnosis_source,
    general_tips,
    rule_title,
    stage_name,
)
from trainers.callbacks import HUGGINGFACE_EXAMPLE, LIGHTNING_EXAMPLE
from trainers.hooks import OWN_LOOP_EXAMPLE
from ui import findings_view
from ui.i18n import current_lang, t

# canonical tag -> label key: the contract the rules read (see DESIGN.md, "Canonical tags").
TAGS_TO_LOG = (
    ("train/loss", "tag_train_loss"), ("val/loss", "tag_val_loss"),
    ("train/acc", "tag_train_acc"), ("val/acc", "tag_val_acc"), ("opt/lr", "tag_lr"),
    ("grad_norm/total", "tag_grad_total"), ("grad_norm/<layer>", "tag_grad_layer"),
    ("weight_norm/<layer>", "tag_weight_layer"), ("update_ratio/<layer>", "tag_update_layer"),
    ("dead_frac/<layer>", "tag_dead_layer"), ("act/<layer>", "tag_act_hist"),
    ("grad/<layer>", "tag_grad_hist"),
)


def main() -> None:
    lang = current_lang()
    st.title(f"📖 {t('guide_title', lang)}")
    st.info(t("guide_start", lang))

    st.subheader(t("guide_order", lang))
    st.markdown(t("guide_order_text", lang))
    st.markdown("\n\n".join(
        f"**{stage}. {stage_name(stage, lang)}**\n" + "\n".join(f"- {rule_title(r, lang)}" for r in rule_ids)
        for stage, rule_ids in groupby(DIAGNOSIS_ORDER, key=STAGE.__getitem__)
    ))
    st.caption(t("source_cite", lang, src=diagnosis_source(lang)))

    st.subheader(t("guide_tags", lang))
    st.markdown(t("guide_tags_text", lang))
    st.table(pd.DataFrame([(tag, t(key, lang)) for tag, key in TAGS_TO_LOG],
                          columns=[t("col_role", lang), t("guide_meaning", lang)]))

    st.subheader(t("guide_own_loop", lang))
    st.markdown(t("guide_own_loop_text", lang))
    st.code(OWN_LOOP_EXAMPLE, language="python")
    st.markdown(t("guide_callbacks_text", lang))
    st.code(LIGHTNING_EXAMPLE, language="python")
    st.code(HUGGINGFACE_EXAMPLE, language="python")

    st.subheader(t("guide_tips", lang))
    for i, tip in enumerate(general_tips(lang), start=1):
        findings_view.remedy(i, tip, lang)

    st.subheader(t("guide_sources", lang))
    st.markdown(t("guide_sources_text", lang))
    st.markdown("\n".join(f"{i}. {doc.name(lang)}" for i, doc in enumerate(DOCUMENTS, start=1)))


main()

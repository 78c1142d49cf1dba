"""The UI's language: the switch's state, and `t`, which words a label (`ui.labels`) in it.
Diagnosis texts come worded from the engine's catalogues; this is only the chrome around them.
A missing Chinese label falls back to English, never to a key."""
from __future__ import annotations

import streamlit as st

from ui import widget_state
from ui.labels import LABELS

LANGS = {"en": "English", "zh": "中文"}
LANG_KEY = "lang"


# Widgets whose option labels are translated (by format_func). Streamlit keeps such a widget's
# value as the *displayed* label, so after a language switch the old label matches no option
# and the choice would silently reset; `keep_choices` re-sets them as plain values instead.
TRANSLATED_KEYS = ("source",)
TRANSLATED_PREFIXES = (widget_state.MAPPING, widget_state.CHART)


def keep_choices() -> None:
    """on_change of the language switch: carry every translated widget's choice across."""
    for key in list(st.session_state):
        key = str(key)
        if key in TRANSLATED_KEYS or key.startswith(TRANSLATED_PREFIXES):
            st.session_state[key] = st.session_state[key]


def current_lang() -> str:
    lang = st.session_state.get(LANG_KEY, "en")
    return lang if lang in LANGS else "en"


def t(key: str, lang: str | None = None, **fmt: object) -> str:
    entry = LABELS[key]
    text = entry.get(lang or current_lang()) or entry["en"]
    return text.format(**fmt) if fmt else text

"""Run Doctor — entry point: `streamlit run app.py [-- --runs DIR]`. Routes to the pages in `ui/`."""
import streamlit as st

from ui import jobs_panel, plotly_preload, shell, widget_state

st.set_page_config(page_title="Run Doctor", page_icon="🩺", layout="wide")
lang = shell.language_switch()
page = shell.navigation(lang)
jobs_panel.sidebar_status(lang)  # pumps the job queue on every page while jobs are active
plotly_preload.preload()  # charts then appear with the summary, not seconds after it
widget_state.keep()  # chart settings and mapping fixes outlive pages and panels that draw none
page.run()

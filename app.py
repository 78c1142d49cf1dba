"""Run Doctor — entry point: `streamlit run app.py [-- --runs DIR]`. Routes to the pages in `ui/`."""
import streamlit as st

from ui import shell

st.set_page_config(page_title="Run Doctor", page_icon="🩺", layout="wide")
shell.navigation(shell.language_switch()).run()

"""Run Doctor — entry point: `streamlit run app.py`. Routes to the pages in `ui/`."""
import streamlit as st

st.set_page_config(page_title="Run Doctor", page_icon="🩺", layout="wide")
st.title("Run Doctor")
st.write("Diagnoses deep-learning training runs from their TensorBoard logs.")

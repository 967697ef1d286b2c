"""The molgen workbench (Streamlit). Run it with `make app` (http://localhost:8501).

UI code only: every page calls the molgen library; the run store is shared, each browser
session keeps its own state. The pages live in views/, not pages/: Streamlit reads a pages/
folder beside the entrypoint as a legacy multipage app until a session has run st.navigation, so
a bookmarked page opened first after a restart showed the bare file names as its menu.
"""

from __future__ import annotations

import streamlit as st

from workbench.common import keep_page_inputs

st.set_page_config(page_title="molgen workbench", page_icon="⚗️", layout="wide")
navigation = st.navigation([
    st.Page("views/home.py", title="Home", default=True),
    st.Page("views/generate.py", title="Generate"),
    st.Page("views/browse.py", title="Browse"),
    st.Page("views/score.py", title="Score"),
    st.Page("views/latent.py", title="Latent space"),
    st.Page("views/compare.py", title="Compare"),
    st.Page("views/augment.py", title="Augment"),
    st.Page("views/export.py", title="Export"),
])
# the page a browser session opened at (a reload, a link, a bookmark): only there does a page read a run from the
# address as its own (Generate fills its form from it)
st.session_state.setdefault("_opened_at", navigation.url_path or "home")
keep_page_inputs(navigation.url_path or "home")   # a form left for another page is as it was on return
navigation.run()

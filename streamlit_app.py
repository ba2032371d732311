"""gancore: the GAN laboratory. Routing only: page config, navigation, shared sidebar."""

import streamlit as st

import gancore

st.set_page_config(page_title="gancore · GAN laboratory", page_icon="🧪", layout="wide")

PAGES = {
    "Theory": [
        st.Page(
            "pages/theory_value.py",
            title="Value function & D*",
            icon=":material/functions:",
            url_path="theory",
            default=True,
        ),
        st.Page(
            "pages/theory_losses.py",
            title="G losses & Wasserstein",
            icon=":material/show_chart:",
            url_path="losses",
        ),
    ],
}

navigation = st.navigation(PAGES)

with st.sidebar:
    st.markdown("**gancore** · an interactive GAN laboratory")
    st.caption(
        "Every number on these pages is computed by the `gancore` library "
        f"(v{gancore.__version__}); nothing is typed in."
    )

navigation.run()

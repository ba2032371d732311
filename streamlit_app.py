"""gancore: the GAN laboratory. Routing only: page config, navigation, shared sidebar."""

import streamlit as st

import gancore
from pages._hosted import configure_torch, limits

st.set_page_config(page_title="gancore · GAN laboratory", page_icon="🧪", layout="wide")

PAGES = {
    "Theory": [
        st.Page(
            "pages/theory_value.py",
            title="Value function & D*",
            icon=":material/functions:",
            default=True,  # served at "/"
        ),
        st.Page(
            "pages/theory_losses.py",
            title="G losses & Wasserstein",
            icon=":material/show_chart:",
            url_path="losses",
        ),
    ],
    "Train": [
        st.Page("pages/lab_1d.py", title="1D lab", icon=":material/ssid_chart:", url_path="lab-1d"),
        st.Page(
            "pages/lab_2d.py", title="2D lab", icon=":material/scatter_plot:", url_path="lab-2d"
        ),
        st.Page(
            "pages/train_images.py", title="Image GANs", icon=":material/image:", url_path="images"
        ),
    ],
    "Play": [
        st.Page(
            "pages/generate.py",
            title="Generate",
            icon=":material/auto_awesome:",
            url_path="generate",
        ),
    ],
}

try:
    LIMITS = limits()
except ValueError as err:  # a malformed GANCORE_* setting: say which, serve nothing half-set
    st.error(f"This server's configuration is invalid: {err}.")
    st.stop()
configure_torch()
navigation = st.navigation(PAGES)

with st.sidebar:
    st.markdown("**gancore** · an interactive GAN laboratory")
    st.caption(
        "Every number on these pages is computed by the `gancore` library "
        f"(v{gancore.__version__}); nothing is typed in."
    )
    if LIMITS.hosted:
        st.caption(
            f"Hosted demo: runs stop at {LIMITS.max_steps:,} steps, images at "
            f"{LIMITS.max_image_size} px, uploads at {LIMITS.max_upload_mb:g} MB, and "
            f"{LIMITS.max_trainings or 'any number of'} trainings run at once. Clone the repo "
            "for the full lab."
        )

navigation.run()

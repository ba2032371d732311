"""gancore: the library behind the GAN laboratory (models, training, theory, plots).

It never imports streamlit: the pages in ``pages/`` do the UI.
"""

__version__ = "0.1.0"

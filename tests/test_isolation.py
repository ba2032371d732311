"""gancore is a library: importing any of it must not pull in streamlit."""

import pkgutil
import subprocess
import sys

import gancore


def test_importing_every_gancore_module_leaves_streamlit_unloaded():
    modules = [m.name for m in pkgutil.walk_packages(gancore.__path__, "gancore.")]
    assert "gancore.theory" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr

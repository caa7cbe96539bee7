"""Sphinx configuration of the skmg documentation.

Build with ``make html`` from this folder. The build runs offline: set
``SKMG_DOC_INTERSPHINX=1`` to link to other projects' documentation through
intersphinx, which downloads their inventories.
"""

import doctest
import os
import sys
from pathlib import Path

import skmg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

# -- Project -----------------------------------------------------------------

project = "skmg"
author = "The skmg developers"
copyright = "The skmg developers"
release = skmg.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "benchmark_results",
    "offline_references",
]
if os.environ.get("SKMG_DOC_INTERSPHINX"):
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
    }

templates_path = ["_templates"]
# reStructuredText only: Markdown is read through ``include`` (benchmark tables).
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "_templates"]
default_role = "literal"
pygments_style = "sphinx"

# -- API reference: autodoc, autosummary, numpydoc ---------------------------

autosummary_generate = True
autodoc_typehints = "none"
# Members are listed by autodoc (``:members:`` in the autosummary templates),
# not by numpydoc, as scikit-learn does.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Figures of the user guide -----------------------------------------------

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.autolayout": True}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"

# -- Example gallery ---------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every script of the gallery, not only those named plot_*.
    "filename_pattern": r"\.py$",
    "ignore_pattern": r"__init__\.py",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skmg",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skmg {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "benchmarks": []}
html_static_path = ["_static"]
html_css_files = ["skmg.css"]
html_show_sourcelink = False
html_copy_source = False

# -- Doctest of the pages (make doctest) ---------------------------------------

doctest_default_flags = (
    doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
)
doctest_global_setup = """
import numpy as np
np.set_printoptions(precision=4, suppress=True, legacy=False)
"""

"""Sphinx configuration of the sktsmixer documentation.

Build (warnings are errors, the gallery's examples run):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

``SKTSMIXER_DOCS_QUICK=1`` makes the examples train for one or two epochs
(their figures then show an untrained model; for checking the build only).
"""

import os
import pathlib
import re
import sys
import warnings

DOCS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import sktsmixer  # noqa: E402  (after the log level: TensorFlow's start-up lines stay out)

project = "sktsmixer"
author = "sktsmixer developers"
copyright = "2026, sktsmixer developers"
release = sktsmixer.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.napoleon",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "benchmark_tables",
    "module_table",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb", "auto_examples/*.py"]
root_doc = "index"

# API reference: one page per public object, written from the docstrings.
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's metadata-routing setters: its own documentation covers them.
    "exclude-members": "set_fit_request,set_predict_request,set_score_request",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Parameter types stay text ("array-like of shape (n, horizon)").
numpydoc_xref_param_type = False
# The Keras layers and model builders are documented in Google style
# ("Args:", "Input shape:"); napoleon reads those, numpydoc the rest.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = [("Call arguments", "params_style"), "Input shape", "Output shape"]


sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # Every script runs in the build, so the pages show real output and figures.
    "filename_pattern": r"\.py$",
    # plot_backtest.py waits for a gallery title and a quick mode.
    "ignore_pattern": r"(__init__|_helpers)\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "matplotlib_animations": False,
    "reset_modules_order": "both",
    "capture_repr": ("_repr_html_", "__repr__"),
    "doc_module": ("sktsmixer",),
    "backreferences_dir": "generated/backreferences",
    "show_memory": False,
    "plot_gallery": "True",
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sktsmixer {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False

# Keras and TensorFlow warn about their own internals while the examples run;
# they are not the documentation's concern and would fail -W.
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning, module="keras")


def _literal_attribute_shapes(app, what, name, obj, options, lines):
    """``of shape (n_features_in_,)``: docutils reads the trailing underscore as a link."""
    for i, line in enumerate(lines):
        lines[i] = re.sub(r"\((\w+_),\)", r"(``\1``,)", line)


def setup(app):
    app.connect("autodoc-process-docstring", _literal_attribute_shapes)

"""Sphinx configuration for the loyaltymetrics documentation."""

from __future__ import annotations

import loyaltymetrics

project = "loyaltymetrics"
author = "The loyaltymetrics developers"
copyright = "2026, The loyaltymetrics developers"
release = loyaltymetrics.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # Ships MathJax 3 into _static/mathjax and points mathjax_path at it, so the
    # math renders offline (scripts/check_offline_docs.py checks every page).
    "sphinx-mathjax-offline",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_inventories"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The build has no network access: link to these projects through small local
# inventories of the objects the docs reference (see _inventories/make_inventories.py).
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "_inventories/python.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/reference/", "_inventories/scipy.inv"),
    "pandas": ("https://pandas.pydata.org/docs/", "_inventories/pandas.inv"),
}

# The gallery runs every example in examples/ with the Agg backend and embeds
# its figures; the scripts use only the bundled data, so the build is offline.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "within_subsection_order": "FileNameSortKey",
    "show_signature": False,
    # The computation-times pages load jQuery and DataTables from CDNs: the docs
    # must not fetch anything (scripts/check_offline_docs.py), so they are not written.
    "write_computation_times": False,
    # "Examples in the gallery" on each function's API page.
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("loyaltymetrics",),
}

html_theme = "pydata_sphinx_theme"
html_title = "loyaltymetrics"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}

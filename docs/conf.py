"""Sphinx configuration of the skprob documentation.

Build with ``make -C docs html`` (warnings are errors); see docs/README.md.
"""

import re
import sys
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent
# Document the checkout being built, not an installed copy of skprob; the
# gallery's sort key lives in sphinxext/.
sys.path.insert(0, str(DOCS_DIR.parent))
sys.path.insert(0, str(DOCS_DIR / "sphinxext"))

import skprob  # noqa: E402

project = "skprob"
author = "The skprob developers"
copyright = "2026, The skprob developers"
version = release = skprob.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "README.md",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
]
templates_path = ["_templates"]
default_role = "literal"

# -- API reference -----------------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# numpydoc writes the Methods table of each class; the pages of the methods
# themselves come from the autodoc members above.
numpydoc_show_class_members = True
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# Validation, focused: a documented parameter the signature lacks (PR02) is
# most often a free paragraph inside a Parameters section, which numpydoc
# renders as fake entries without a Sphinx warning; PR10 catches a
# "name: type" without its space. (tests/test_docs.py checks every entry
# section without a build.) The protocol methods document their arguments in
# prose, hence no PR01.
numpydoc_validation_checks = {"PR02", "PR10"}

# Methods inherited from scikit-learn: its metadata-routing plumbing
# (set_fit_request, ...) is left to scikit-learn's documentation; the rest
# (get_params, score, ...) keep their docstrings, whose cross-references into
# scikit-learn's own pages become plain text here.
SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^>]*>)?`")


def skip_metadata_routing(app, what, name, obj, skip, options):
    if name == "get_metadata_routing" or re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def unlink_sklearn_references(app, what, name, obj, options, lines):
    if getattr(obj, "__module__", "") and obj.__module__.startswith("sklearn"):
        lines[:] = [SKLEARN_ROLE.sub(r"``\1``", line) for line in lines]


# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skprob {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_sidebars = {"index": []}
html_static_path = []
html_show_sourcelink = False

# -- Gallery -------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only the plot_*.py scripts are gallery examples; other scripts in
    # examples/ (quickstart.py) are command-line programs, neither shown nor run.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_)",  # matched against the file name alone
    "within_subsection_order": "gallery_order.ExampleOrder",
    "doc_module": ("skprob",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
}


def setup(app):
    app.connect("autodoc-skip-member", skip_metadata_routing)
    app.connect("autodoc-process-docstring", unlink_sklearn_references)

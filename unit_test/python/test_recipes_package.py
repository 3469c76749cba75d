"""fibnlr.recipes is a real Python package (issue 14): importable every way,
explicit __all__ holding a clean name for everything the compiled recipes
module has, and documented by pdoc without warnings."""
import importlib
import sys
import warnings

import pytest

import fibnlr
import fibnlr.compat
import fibnlr.recipes
from fibnlr._core import recipes as compiled


def test_recipes_is_a_package_not_the_compiled_module():
    assert fibnlr.recipes is not compiled
    assert fibnlr.recipes.__spec__ is not None
    assert fibnlr.recipes.__file__.replace("\\", "/").endswith("fibnlr/recipes/__init__.py")
    assert sys.modules["fibnlr.recipes"] is fibnlr.recipes
    assert importlib.import_module("fibnlr.recipes") is fibnlr.recipes
    from fibnlr.recipes import prepare, simplify  # the documented spellings
    assert prepare is compiled.fibnlr_prepare and simplify is compiled.simplify


def test_all_is_explicit_and_complete():
    names = fibnlr.recipes.__all__
    assert len(names) == len(set(names)), "duplicates in __all__"
    for name in names:
        assert hasattr(fibnlr.recipes, name), name
        assert not name.startswith("fibnlr"), f"{name}: upstream spelling in __all__"
    clean_of = fibnlr.compat.CLEAN_NAMES
    for name in dir(compiled):
        if name.startswith("_"):
            continue
        clean = clean_of.get(name, name)
        assert clean in names, f"compiled recipes.{name} has no clean name in fibnlr.recipes.__all__"
        assert getattr(fibnlr.recipes, clean) is getattr(compiled, name), name


def test_upstream_names_still_import_from_the_top_level():
    from fibnlr import fibnlr_get_npr, fibnlr_Parameters, fibnlr_prepare  # noqa: F401  (ported scripts)
    assert fibnlr_prepare is fibnlr.recipes.prepare
    assert fibnlr.fibnlr is fibnlr.recipes.run
    assert not set(fibnlr.compat.UPSTREAM_NAMES) & set(fibnlr.__all__)


def test_pdoc_documents_recipes_without_warnings(tmp_path):
    pdoc = pytest.importorskip("pdoc", reason="pdoc is not installed (pip install pdoc)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc("fibnlr.recipes", output_directory=tmp_path)
    messages = [str(w.message) for w in caught]
    assert not messages, messages
    html = (tmp_path / "fibnlr" / "recipes.html").read_text()
    for name in ("prepare", "simplify", "Parameters", "NPR"):
        assert f'id="{name}"' in html, name

"""fibnlr: Fast Input-Based Non-Linearity Pruning for CNNs.

Load a model with :func:`load_onnx`, compile it for an input shape, run it,
inspect and rewrite its graph, and write it back with :func:`save_onnx`.

Fine-tuning with PyTorch: :func:`finetune` (needs torch), accuracy on the
backend: :func:`evaluate`; :mod:`fibnlr.torch` converts graphs to and from
``torch.nn.Module``. ``import fibnlr`` never imports torch.

The FIBNLR recipe lives in :mod:`fibnlr.recipes` (clean names ``prepare``,
``compute``, ``compute_nnpr``, ``prune``, ``run``, ``Parameters``) and is
re-exported here under its upstream names (``fibnlr_prepare``,
``fibnlr_compute``, ``fibnlr_compute_NNPR``, ``fibnlr_prune``, ``fibnlr``,
``fibnlr_Parameters``, ...), so upstream scripts port by changing their imports.
"""
import sys as _sys


def _load_openblas():
    """The extension links libscipy_openblas.so with RPATH
    $ORIGIN/../scipy_openblas32/lib (pip puts both packages in one
    site-packages). Loading it by path first also covers split installs
    (a venv over system site-packages, user site): the loader then reuses it."""
    import ctypes
    import os
    try:
        import scipy_openblas32
        ctypes.CDLL(os.path.join(scipy_openblas32.get_lib_dir(), "libscipy_openblas.so"))
    except (ImportError, OSError):
        pass


_load_openblas()

from ._core import (DataProvider, Database, GraphView, Node, Operator, Tensor, TensorDatabase, dtype, get_kernels,
                    get_num_threads, make_operator, memory_limit, operator_types, recipes, set_kernels,
                    set_memory_limit, activation_types, set_num_threads, simd_path)
from .evaluation import evaluate
from .finetuning import finetune
from .merge_report import count_layers, format_simplify_report
from .onnx_io import load_onnx, save_onnx, to_onnx

# `import fibnlr.recipes` / `from fibnlr.recipes import ...` reach the compiled submodule.
_sys.modules[__name__ + ".recipes"] = recipes

_RECIPE_NAMES = [
    "fibnlr_Parameters", "Method", "NormalizationMethod", "GroupMethod", "AblationCriteria", "AblationMethod",
    "fibnlr_prepare", "fibnlr_compute", "fibnlr_compute_NNPR", "fibnlr_prune", "fibnlr",
    "fibnlr_find_groups", "fibnlr_find_node_by_group", "fibnlr_prepared_nodes",
    "NPR", "NNPR", "ActivityTracker", "Group",
    "fibnlr_add_npr", "fibnlr_set_npr", "fibnlr_has_npr", "fibnlr_get_npr", "fibnlr_try_get_npr",
    "fibnlr_add_nnpr", "fibnlr_set_nnpr", "fibnlr_has_nnpr", "fibnlr_get_nnpr", "fibnlr_try_get_nnpr",
    "fibnlr_add_activity_tracker", "fibnlr_set_activity_tracker", "fibnlr_has_activity_tracker",
    "fibnlr_get_activity_tracker", "fibnlr_try_get_activity_tracker",
    "fibnlr_add_group", "fibnlr_set_group", "fibnlr_has_group", "fibnlr_get_group", "fibnlr_try_get_group",
    "is_conv", "is_tensor", "is_child_of", "get_kernel_dims", "get_kernel_strides", "in_channels", "out_channels",
    "compute_kernel_dims", "compute_kernel_strides", "conv_from",
]
globals().update({_name: getattr(recipes, _name) for _name in _RECIPE_NAMES})

__version__ = "0.1.0"


def __getattr__(name):
    # fibnlr.torch after a plain `import fibnlr`; torch is imported only then.
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DataProvider",
    "Database",
    "GraphView",
    "Node",
    "Operator",
    "Tensor",
    "TensorDatabase",
    "count_layers",
    "dtype",
    "evaluate",
    "finetune",
    "format_simplify_report",
    "get_kernels",
    "get_num_threads",
    "load_onnx",
    "make_operator",
    "memory_limit",
    "operator_types",
    "activation_types",
    "recipes",
    "save_onnx",
    "set_kernels",
    "set_memory_limit",
    "set_num_threads",
    "simd_path",
    "to_onnx",
] + _RECIPE_NAMES

"""fibnlr: Fast Input-Based Non-Linearity Pruning for CNNs.

Load a model with :func:`load_onnx`, compile it for an input shape, run it,
inspect and rewrite its graph, and write it back with :func:`save_onnx`.

Fine-tuning with PyTorch: :func:`finetune` (needs torch), accuracy on the
backend: :func:`evaluate`; :mod:`fibnlr.torch` converts graphs to and from
``torch.nn.Module``. ``import fibnlr`` never imports torch.

The recipes live in :mod:`fibnlr.recipes`: the FIBNLR recipe (``prepare``,
``compute``, ``compute_nnpr``, ``prune``, ``run``, ``Parameters``) and depth
merging (``simplify``, ``merge_convolutions``, ...). The upstream names
(``fibnlr_prepare``, ``fibnlr_get_npr``, the main function ``fibnlr``, ...)
stay importable from here so upstream scripts port by changing their imports;
:mod:`fibnlr.compat` lists them. The package is typed (``py.typed``, stubs
for the compiled core).
"""


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

from ._core import (DataProvider, Database, DataType, GraphLock, GraphView, Node, Operator, Tensor, TensorDatabase,
                    activation_types, dtype, get_kernels, get_num_threads, make_operator, memory_limit,
                    operator_types, set_kernels, set_memory_limit, set_num_threads, simd_path)
from . import recipes
from .evaluation import evaluate
from .finetuning import finetune
from .merge_report import count_layers, format_simplify_report
from .onnx_io import load_onnx, save_onnx, to_onnx
# The upstream names, for ported scripts (`aidge_core.fibnlr_prepare(...)`);
# listed in fibnlr.compat, left out of __all__: new code uses fibnlr.recipes.
from .compat import (  # noqa: F401  ("X as X": re-exported for type checkers, outside __all__)
    AblationCriteria as AblationCriteria, AblationMethod as AblationMethod, ActivityTracker as ActivityTracker,
    Group as Group, GroupMethod as GroupMethod, Method as Method, NNPR as NNPR, NPR as NPR,
    NormalizationMethod as NormalizationMethod, compute_kernel_dims as compute_kernel_dims,
    compute_kernel_strides as compute_kernel_strides, conv_from as conv_from, fibnlr as fibnlr,
    fibnlr_add_activity_tracker as fibnlr_add_activity_tracker, fibnlr_add_group as fibnlr_add_group,
    fibnlr_add_nnpr as fibnlr_add_nnpr, fibnlr_add_npr as fibnlr_add_npr, fibnlr_compute as fibnlr_compute,
    fibnlr_compute_NNPR as fibnlr_compute_NNPR, fibnlr_find_groups as fibnlr_find_groups,
    fibnlr_find_node_by_group as fibnlr_find_node_by_group,
    fibnlr_get_activity_tracker as fibnlr_get_activity_tracker, fibnlr_get_group as fibnlr_get_group,
    fibnlr_get_nnpr as fibnlr_get_nnpr, fibnlr_get_npr as fibnlr_get_npr,
    fibnlr_has_activity_tracker as fibnlr_has_activity_tracker, fibnlr_has_group as fibnlr_has_group,
    fibnlr_has_nnpr as fibnlr_has_nnpr, fibnlr_has_npr as fibnlr_has_npr,
    fibnlr_Parameters as fibnlr_Parameters, fibnlr_prepare as fibnlr_prepare,
    fibnlr_prepared_nodes as fibnlr_prepared_nodes, fibnlr_prune as fibnlr_prune,
    fibnlr_set_activity_tracker as fibnlr_set_activity_tracker, fibnlr_set_group as fibnlr_set_group,
    fibnlr_set_nnpr as fibnlr_set_nnpr, fibnlr_set_npr as fibnlr_set_npr,
    fibnlr_try_get_activity_tracker as fibnlr_try_get_activity_tracker,
    fibnlr_try_get_group as fibnlr_try_get_group, fibnlr_try_get_nnpr as fibnlr_try_get_nnpr,
    fibnlr_try_get_npr as fibnlr_try_get_npr, get_kernel_dims as get_kernel_dims,
    get_kernel_strides as get_kernel_strides, in_channels as in_channels, is_child_of as is_child_of,
    is_conv as is_conv, is_tensor as is_tensor, out_channels as out_channels)

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # fibnlr.torch after a plain `import fibnlr`; torch is imported only then.
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DataProvider",
    "DataType",
    "Database",
    "GraphLock",
    "GraphView",
    "Node",
    "Operator",
    "Tensor",
    "TensorDatabase",
    "activation_types",
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
    "recipes",
    "save_onnx",
    "set_kernels",
    "set_memory_limit",
    "set_num_threads",
    "simd_path",
    "to_onnx",
]

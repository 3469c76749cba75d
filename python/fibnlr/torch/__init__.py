"""PyTorch in and out of fibnlr graphs, and fine-tuning (needs torch: pip install fibnlr[torch]).

- :func:`to_module` (graph -> trainable ``nn.Module``, one converter per
  operator type in :data:`CONVERTERS`), :func:`load_parameters` (module
  weights -> the same graph, in place), :func:`from_module` (``nn.Module`` ->
  graph through ``torch.onnx.export``);
- :func:`finetune` (also ``fibnlr.finetune``) and, on fibnlr's backend,
  :func:`evaluate` (also ``fibnlr.evaluate``, which does not need torch).
"""
try:
    import torch as _torch  # noqa: F401
except ImportError as _e:
    raise ImportError(f"fibnlr.torch needs PyTorch (import torch failed: {_e}); "
                      "install it with: pip install fibnlr[torch]") from _e

from ..evaluation import evaluate
from ..finetuning import finetune
from .export import from_module
from .graph_module import GraphModule, load_parameters, to_module
from .operators import CONVERTERS

__all__ = ["CONVERTERS", "GraphModule", "evaluate", "finetune", "from_module", "load_parameters", "to_module"]

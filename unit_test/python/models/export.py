"""Export the model zoo to ONNX with the legacy TorchScript exporter.

ONNX op types the zoo produces (scanned over all models, fold_bn False and
True give the same union; torch 2.13):

opset 13 (27 ops): Add AveragePool BatchNormalization Cast Clip Concat
    Constant Conv Div Erf Flatten Gather Gemm GlobalAveragePool HardSigmoid
    LeakyRelu MaxPool Mul ReduceMean Relu Reshape Shape Slice Softmax Split
    Transpose Unsqueeze
opset 17 (28 ops): the opset-13 set plus HardSwish (opset 13 has no
    HardSwish, so nn.Hardswish is lowered to x * HardSigmoid(x)).

Details an importer must cope with:
- GELU is always the exact Erf form (Div, Erf, Add, Mul); Gelu is opset 20.
- ReLU6 is Clip with min/max as Constant inputs.
- Split sizes and Unsqueeze axes are inputs (opset >= 13); ReduceMean axes
  are still an attribute (until opset 18).
- view(x.size(0), -1) gives Shape -> Gather -> Unsqueeze -> Concat ->
  Reshape; chunk() gives Shape/Gather/Add/Div/Mul-computed Slice bounds;
  channel shuffle casts shape values (Cast to int64) and uses a 5-D
  Transpose perm [0, 2, 1, 3, 4].  These subgraphs stay even with constant
  folding because the batch axis is dynamic.
- MaxPool with ceil_mode=1 (SqueezeNet); AveragePool count_include_pad=1.
- Gemm with transB=1 for every Linear; Softmax axis=1.
- Untrained BN (weight == running_var == 1, bias == running_mean == 0)
  makes the exporter de-duplicate initializers and emit Identity nodes;
  the zoo randomises BN so no Identity appears here.
"""

import io
import warnings

import numpy as np
import onnx
import torch
from torch import nn

from .densenet import densenet_block
from .mobilenet import mobilenet_v2, mobilenet_v3_small
from .resnet import resnet18, resnet50
from .shufflenet import shufflenet_v2
from .small import leaky_gelu_net, tiny_net
from .squeezenet import squeezenet1_1
from .vgg import vgg11_bn


def _eval(ctor, **kwargs):
    """Bind constructor arguments and return a factory of eval() models."""
    return lambda: ctor(**kwargs).eval()


# name -> (constructor returning an eval model, input shape); widths are
# reduced so the whole zoo exports and runs in seconds on 2 cores.
ZOO = {
    "resnet18_cifar": (_eval(resnet18, width=16, stem="cifar"),
                       (1, 3, 32, 32)),
    "resnet18_imagenet": (_eval(resnet18, width=8, stem="imagenet"),
                          (1, 3, 224, 224)),
    "resnet50": (_eval(resnet50, width=8, stem="imagenet"), (1, 3, 64, 64)),
    "vgg11_bn": (_eval(vgg11_bn, width=16, input_size=32), (1, 3, 32, 32)),
    "mobilenet_v2": (_eval(mobilenet_v2, width_mult=0.5), (1, 3, 64, 64)),
    "mobilenet_v3_small": (_eval(mobilenet_v3_small, width_mult=0.5),
                           (1, 3, 64, 64)),
    "squeezenet1_1": (_eval(squeezenet1_1, width=32), (1, 3, 64, 64)),
    "densenet_block": (_eval(densenet_block), (1, 3, 32, 32)),
    "shufflenet_v2": (_eval(shufflenet_v2), (1, 3, 64, 64)),
    "leaky_gelu_net": (_eval(leaky_gelu_net), (1, 3, 32, 32)),
    "tiny": (_eval(tiny_net), (1, 3, 16, 16)),
}


def randomize_batchnorm(model, generator):
    """Give every BN non-trivial statistics and affine parameters so that
    a missing or mis-folded BatchNormalization changes the output."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                m.running_var.copy_(
                    0.5 + torch.rand(n, generator=generator))
                m.weight.copy_(0.5 + torch.rand(n, generator=generator))
                m.bias.copy_(0.2 * torch.randn(n, generator=generator))


def build_zoo_model(name, seed=0):
    """Deterministically build ZOO[name] and an example input (batch 1)."""
    ctor, shape = ZOO[name]
    torch.manual_seed(seed)
    model = ctor()
    gen = torch.Generator().manual_seed(seed)
    randomize_batchnorm(model, gen)
    return model, torch.randn(shape, generator=gen)


def export_onnx(model, input_shape, opset=13, fold_bn=False,
                dynamic_batch=True):
    """Export with the legacy TorchScript exporter (dynamo=False).

    BatchNorm handling (verified with torch 2.13): with the model in eval()
    and training=TrainingMode.EVAL, do_constant_folding=True folds every BN
    that directly follows a Conv into that Conv, while
    do_constant_folding=False keeps all BatchNormalization nodes.  So
    fold_bn maps straight onto do_constant_folding.  BNs that do not follow
    a Conv (DenseNet pre-activation) are kept even when folding.
    """
    buf = io.BytesIO()
    dynamic_axes = ({"input": {0: "N"}, "output": {0: "N"}}
                    if dynamic_batch else None)
    with torch.no_grad(), warnings.catch_warnings():
        # The legacy exporter is used on purpose; silence its deprecation.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (torch.zeros(input_shape),), buf, dynamo=False,
            opset_version=opset, do_constant_folding=fold_bn,
            training=torch.onnx.TrainingMode.EVAL,
            input_names=["input"], output_names=["output"],
            dynamic_axes=dynamic_axes)
    return onnx.load_from_string(buf.getvalue())


def export_zoo_model(name, opset=13, fold_bn=False, seed=0):
    """Return (ONNX model, float32 example input) for ZOO[name]."""
    model, x = build_zoo_model(name, seed)
    proto = export_onnx(model, tuple(x.shape), opset, fold_bn)
    return proto, x.numpy().astype(np.float32)

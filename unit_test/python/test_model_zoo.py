"""Check that every zoo model exports to valid ONNX which onnxruntime runs
with the same result as torch, and that the expected op types appear (the
fibnlr importer tests rely on these ops being present)."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from models.export import ZOO, build_zoo_model, export_onnx

# Ops that must appear for a given model regardless of opset / folding.
EXPECTED_OPS = {
    "resnet18_cifar": {"Conv", "Add", "Relu", "GlobalAveragePool",
                       "Flatten", "Gemm"},
    "resnet18_imagenet": {"Conv", "MaxPool", "Add", "Flatten", "Gemm"},
    "resnet50": {"Conv", "MaxPool", "Add", "Shape", "Gather", "Unsqueeze",
                 "Concat", "Reshape"},
    "vgg11_bn": {"Conv", "MaxPool", "Shape", "Gather", "Unsqueeze",
                 "Concat", "Reshape", "Gemm"},
    "mobilenet_v2": {"Conv", "Clip", "Add", "GlobalAveragePool"},
    "mobilenet_v3_small": {"Conv", "HardSigmoid", "Mul", "Relu", "Add"},
    "squeezenet1_1": {"Conv", "Concat", "MaxPool", "GlobalAveragePool"},
    "densenet_block": {"Conv", "Concat", "AveragePool",
                       "BatchNormalization"},
    "shufflenet_v2": {"Transpose", "Reshape", "Slice", "Split", "Concat",
                      "Shape", "ReduceMean"},
    "leaky_gelu_net": {"LeakyRelu", "Erf", "AveragePool", "Gemm",
                       "Softmax"},
    "tiny": {"Conv", "Add", "Relu", "GlobalAveragePool", "Gemm"},
}

# BN is absent from SqueezeNet; DenseNet's pre-activation BNs follow a
# Concat instead of a Conv, so constant folding cannot absorb them.
NO_BN = {"squeezenet1_1"}
BN_SURVIVES_FOLDING = {"densenet_block"}


def _run_ort(proto, x):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    return sess.run(["output"], {"input": x})[0]


def _assert_close(got, ref):
    err = np.abs(got - ref).max()
    assert err <= 1e-4 * np.abs(ref).max() + 1e-6, err


def _expected(name, opset, fold_bn):
    ops = set(EXPECTED_OPS[name])
    if name == "mobilenet_v3_small" and opset >= 14:
        ops.add("HardSwish")  # opset 13 lowers it to HardSigmoid * x
    if name not in NO_BN and (not fold_bn or name in BN_SURVIVES_FOLDING):
        ops.add("BatchNormalization")
    return ops


@pytest.mark.parametrize("name", list(ZOO))
def test_build_is_deterministic(name):
    (m1, x1), (m2, x2) = build_zoo_model(name, 3), build_zoo_model(name, 3)
    assert torch.equal(x1, x2)
    for (k, a), b in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(a, b), k
    assert not m1.training


@pytest.mark.parametrize("fold_bn", [False, True])
@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model(name, opset, fold_bn):
    model, x = build_zoo_model(name, seed=0)
    proto = export_onnx(model, tuple(x.shape), opset, fold_bn)
    onnx.checker.check_model(proto)

    ops = {n.op_type for n in proto.graph.node}
    missing = _expected(name, opset, fold_bn) - ops
    assert not missing, f"missing ops {missing}; got {sorted(ops)}"
    if fold_bn and name not in BN_SURVIVES_FOLDING:
        assert "BatchNormalization" not in ops

    # Batch 2 checks the dynamic batch axis (incl. view()-based reshapes).
    xb = torch.cat([x, -x])
    with torch.no_grad():
        ref = model(xb).numpy()
    got = _run_ort(proto, xb.numpy())
    assert got.shape == ref.shape
    _assert_close(got, ref)

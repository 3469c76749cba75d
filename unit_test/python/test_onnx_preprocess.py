"""Tests for fibnlr.onnx_io.preprocess (the `normalize` pipeline as a whole).

Each pass has its own test file: test_onnx_checks.py, test_onnx_constants.py,
test_onnx_folding.py, test_onnx_graphs.py, test_onnx_patterns.py."""

import torch

from onnx_io_testlib import (
    ChannelShuffle, export_torch, normalize)


def test_input_model_is_not_modified():
    original = export_torch(ChannelShuffle(), torch.randn(2, 3, 4, 4))
    before = original.SerializeToString()
    normalize(original, {"x": [2, 3, 4, 4]})
    assert original.SerializeToString() == before

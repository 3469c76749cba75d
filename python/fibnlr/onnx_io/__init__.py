"""ONNX import and export: normalise, convert op by op, write back."""
from .exporter import save_onnx, to_onnx
from .importer import load_onnx, read_model
from .preprocess import NATIVE_OPSETS, normalize

__all__ = ["load_onnx", "save_onnx", "to_onnx", "read_model", "normalize", "NATIVE_OPSETS"]

"""Small plain-torch CNN model zoo used to exercise the fibnlr ONNX importer.

torchvision is unavailable, so the architectures are re-implemented here
with their real topology but configurable (small) widths.
"""

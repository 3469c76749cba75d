"""
Low-level kernels (counting) for benchmarks and checks
"""
from __future__ import annotations
import typing
__all__: list[str] = ['best_counting_kernel', 'count_signs', 'counting_kernels', 'stream_read']
def best_counting_kernel() -> str:
    """
    The name of the counting kernel FIBNLR uses on this CPU
    """
def count_signs(array: typing.Any, kernel: str = 'best') -> tuple[float, float, int, list[bool]]:
    """
    (neg mass, pos mass, non-finite count, alive per channel) of a float32 array, channel on axis 1
    """
def counting_kernels() -> list[tuple[str, bool]]:
    """
    (name, available on this CPU) for every counting kernel; the last available is the one used
    """
def stream_read(array: typing.Any) -> float:
    """
    A plain streaming read (sum) of the array: the bandwidth yardstick
    """

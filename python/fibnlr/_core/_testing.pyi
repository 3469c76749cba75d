"""
Test hooks (private)
"""
from __future__ import annotations
import typing
__all__: list[str] = ['allocation_count', 'fail_allocation']
def allocation_count() -> int:
    """
    The number of tensor and plan buffer allocations so far
    """
def fail_allocation(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    The n-th next tensor or plan buffer allocation raises MemoryError (once); 0 switches it off
    """

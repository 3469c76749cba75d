"""Shared by the fibnlr.torch tests."""
import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """torch on one thread while a module's tests run: with two OpenMP threads on
    a loaded 2-core machine a small forward takes seconds instead of milliseconds
    (measured: MobileNetV2 batch 4, 5 s against 0.03 s), as a spinning thread waits
    for one that is descheduled."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

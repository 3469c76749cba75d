"""Shared by the fibnlr.torch tests."""
import numpy as np
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


def labelled_images(n=128, seed=1):
    """Noise plus a per-image offset per channel, labelled by the channel with the
    largest offset: 3 classes that the zoo's tiny net (16x16 inputs) can learn."""
    rng = np.random.default_rng(seed)
    offsets = rng.standard_normal((n, 3, 1, 1))
    x = (rng.standard_normal((n, 3, 16, 16)) + 2 * offsets).astype(np.float32)
    return x, offsets[:, :, 0, 0].argmax(axis=1)

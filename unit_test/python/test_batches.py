"""fibnlr.batches: every accepted data form yields the same (x, y) batches, and
anything else gets a TypeError saying what is expected."""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from fibnlr.batches import Batches

RNG = np.random.default_rng(3)
IMAGES = RNG.standard_normal((10, 2, 3, 3)).astype(np.float32)
LABELS = RNG.integers(0, 4, 10)


def collect(data, batch_size=4, key=None, seed=None):
    batches = list(Batches(data, batch_size, key).epoch(seed))
    x = np.concatenate([b[0] for b in batches])
    y = None if batches[0][1] is None else np.concatenate([b[1] for b in batches])
    return [len(b[0]) for b in batches], x, y


def as_batches(n):
    return [(IMAGES[i:i + n], LABELS[i:i + n]) for i in range(0, 10, n)]


FORMS = {
    "numpy_pair": lambda: (IMAGES, LABELS),
    "torch_pair": lambda: (torch.from_numpy(IMAGES), torch.from_numpy(LABELS)),
    "list_of_pairs": lambda: as_batches(4),
    "generator": lambda: (b for b in as_batches(4)),
    "dataloader": lambda: DataLoader(TensorDataset(torch.from_numpy(IMAGES), torch.from_numpy(LABELS)), batch_size=4),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_labelled_forms_give_the_same_batches(form):
    sizes, x, y = collect(FORMS[form]())
    assert sizes == [4, 4, 2]
    np.testing.assert_array_equal(x, IMAGES)
    np.testing.assert_array_equal(y, LABELS)
    assert x.dtype == np.float32 and y.dtype == np.int64


def test_dict_forms_need_key():
    dict_batches = [{"image": x, "label": y} for x, y in as_batches(5)]
    sizes, x, y = collect(dict_batches, key=("image", "label"))
    assert sizes == [5, 5]
    np.testing.assert_array_equal(y, LABELS)
    _, x, y = collect(dict_batches, key="image")
    assert y is None
    np.testing.assert_array_equal(x, IMAGES)
    _, x, y = collect({"img": IMAGES, "lab": LABELS}, key=("img", "lab"))
    np.testing.assert_array_equal(y, LABELS)
    with pytest.raises(TypeError, match=r"batch 0 is a dict with keys \['image', 'label'\].*key="):
        collect(dict_batches)
    with pytest.raises(TypeError, match="mapping needs key="):
        collect({"img": IMAGES})
    with pytest.raises(TypeError, match="key must be"):
        collect(dict_batches, key=3)


def test_unlabelled_forms():
    for data in (IMAGES, [IMAGES[:6], IMAGES[6:]], DataLoader(TensorDataset(torch.from_numpy(IMAGES)), batch_size=6)):
        sizes, x, y = collect(data)
        assert y is None and len(x) == 10
        np.testing.assert_array_equal(x, IMAGES)


def test_shuffled_arrays_are_a_permutation_and_reproducible():
    _, x1, y1 = collect((IMAGES, LABELS), seed=1)
    _, x2, _ = collect((IMAGES, LABELS), seed=1)
    np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(x1, IMAGES)
    order = [int(np.flatnonzero((IMAGES == img).all(axis=(1, 2, 3)))[0]) for img in x1]
    assert sorted(order) == list(range(10))
    np.testing.assert_array_equal(y1, LABELS[order])


def test_length_and_one_shot():
    assert len(Batches((IMAGES, LABELS), 4)) == 3
    assert Batches(iter(as_batches(4)), 4).count() is None
    assert Batches(iter(as_batches(4)), 4).one_shot and not Batches(as_batches(4), 4).one_shot


@pytest.mark.parametrize("data,error,match", [
    (42, TypeError, "data must be an \\(images, labels\\) pair"),
    ("images.npy", TypeError, "data must be"),
    ([(IMAGES, LABELS, LABELS)], TypeError, "batch 0 is a tuple of 3 items; expected x, \\(x, y\\)"),
    ([[1, 2]], TypeError, "batch 0 images: expected a numpy array or torch tensor, got int"),
    ((IMAGES, LABELS[:7]), ValueError, "labels has shape \\[7\\]; expected \\[10\\]"),
    ((IMAGES, LABELS.astype(np.float32)), ValueError, "labels has dtype float32; expected integer"),
    ([(IMAGES[0], 3)], ValueError, "batch 0 labels is a scalar: the data yields single samples"),
    ([np.zeros(5, np.float32)], ValueError, "batch 0 images has shape \\[5\\]; expected a batch"),
    ([np.array(["a", "b"])[:, None]], ValueError, "dtype <U1; expected numbers"),
])
def test_bad_data(data, error, match):
    with pytest.raises(error, match=match):
        collect(data)

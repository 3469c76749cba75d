"""Data layer from Python: TensorDatabase (zero copy), DataProvider
(batches, partial last batch, drop_last, seeded shuffle), Python Database
subclasses read by loader threads, and every kind of iterable fibnlr_compute accepts."""

import numpy as np
import pytest
import torch

import fibnlr
from fibnlr import recipes as R
from fibnlr_testlib import direct_graph, masses, params

NO_STOP = dict(convergence_threshold=0.0, max_iteration=0)


class ListDatabase(fibnlr.Database):
    """A Python database over a numpy array: get_item returns [x, label]."""

    def __init__(self, x):
        fibnlr.Database.__init__(self)
        self.x = x
        self.calls = 0

    def get_item(self, index):
        self.calls += 1
        return [self.x[index], np.int64(index % 3)]

    def len(self):
        return len(self.x)

    def get_nb_modalities(self):
        return 2


def compiled_direct(n=4):
    g = direct_graph()
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[n, 3, 5, 5]])
    R.fibnlr_prepare(g)
    return g


def items(n=10, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 3, 5, 5), dtype=np.float32)


def test_tensor_database_is_zero_copy_and_batches_are_views():
    x = items()
    y = np.arange(10, dtype=np.int64)
    db = fibnlr.TensorDatabase(x, y)
    assert db.len() == 10 and len(db) == 10 and db.get_nb_modalities() == 2
    assert np.shares_memory(db.modality(0), x)
    item = db.get_item(3)
    np.testing.assert_array_equal(item[0], x[3])
    assert item[1][0] == 3 if item[1].ndim else item[1] == 3
    batches = list(fibnlr.DataProvider(db, 4))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert np.shares_memory(batches[0][0], x)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    with pytest.raises(ValueError, match="items"):
        fibnlr.TensorDatabase(x, np.zeros(3, np.float32))


def test_data_provider_drop_last_shuffle_seed_and_len():
    db = fibnlr.TensorDatabase(np.arange(20, dtype=np.float32).reshape(20, 1))
    p = fibnlr.DataProvider(db, 6, drop_last=True)
    assert len(p) == 3 and [b[0].shape[0] for b in p] == [6, 6, 6]
    a = fibnlr.DataProvider(db, 6, shuffle=True, seed=3)
    b = fibnlr.DataProvider(db, 6, shuffle=True, seed=3)
    ea = np.concatenate([x[0] for x in a]).ravel()
    eb = np.concatenate([x[0] for x in b]).ravel()
    np.testing.assert_array_equal(ea, eb)
    assert sorted(ea.tolist()) == list(range(20)) and ea.tolist() != list(range(20))
    assert np.concatenate([x[0] for x in a]).ravel().tolist() != ea.tolist()  # next epoch, new order
    with pytest.raises(ValueError):
        fibnlr.DataProvider(db, 0)


def test_python_database_through_provider_with_loader_threads():
    x = items(9)
    db = ListDatabase(x)
    p = fibnlr.DataProvider(db, 4, nb_threads=3)
    batches = list(p)
    assert [b[0].shape for b in batches] == [(4, 3, 5, 5), (4, 3, 5, 5), (1, 3, 5, 5)]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    assert np.concatenate([b[1] for b in batches]).ravel().tolist() == [i % 3 for i in range(9)]
    assert db.calls == 9


def test_python_database_errors_propagate():
    class Broken(ListDatabase):
        def get_item(self, index):
            if index == 2:
                raise KeyError("item 2 is missing")
            return super().get_item(index)

    with pytest.raises(KeyError, match="item 2"):
        list(fibnlr.DataProvider(Broken(items(5)), 4, nb_threads=2))

    class Ragged(ListDatabase):
        def get_item(self, index):
            return [self.x[index][:, : 5 - index % 2]]

    with pytest.raises(ValueError, match="shape"):
        list(fibnlr.DataProvider(Ragged(items(4)), 4))


@pytest.mark.parametrize("kind", ["arrays", "tuples", "generator", "torch_tensors", "torch_loader", "float64"])
def test_compute_accepts_any_iterable_of_batches(kind):
    g = compiled_direct()
    x = items(8, seed=4)
    labels = np.arange(8)
    if kind == "arrays":
        data = [x[:4], x[4:]]
    elif kind == "tuples":
        data = [(x[:4], labels[:4]), (x[4:], labels[4:])]
    elif kind == "generator":
        data = (x[i:i + 4] for i in (0, 4))
    elif kind == "torch_tensors":
        data = [torch.from_numpy(x[:4]), torch.from_numpy(x[4:])]
    elif kind == "torch_loader":
        ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(labels))
        data = torch.utils.data.DataLoader(ds, batch_size=4)
    else:
        data = [x[:4].astype(np.float64), x[4:].astype(np.float64)]
    conv = R.fibnlr_compute(g, data, params(**NO_STOP))
    assert len(conv) == 2
    assert R.fibnlr_get_npr(g.get_node("relu")).pos == pytest.approx(masses(x)[1], rel=1e-6)


def test_compute_from_provider_is_the_same_as_from_arrays():
    x = items(10, seed=8)
    g1, g2 = compiled_direct(), compiled_direct()
    R.fibnlr_compute(g1, fibnlr.DataProvider(fibnlr.TensorDatabase(x), 4), params(**NO_STOP))
    R.fibnlr_compute(g2, fibnlr.DataProvider(ListDatabase(x), 4, nb_threads=2), params(**NO_STOP))
    a, b = R.fibnlr_get_npr(g1.get_node("leaky")), R.fibnlr_get_npr(g2.get_node("leaky"))
    assert a == b
    assert a.pos == pytest.approx(masses(2 * x)[1], rel=1e-6)

"""The fine-tuning loss against a float64 numpy computation."""
import numpy as np
import pytest
import torch

from fibnlr.torch.distillation import distillation_loss, finetune_loss


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_distillation_and_mix_match_numpy():
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(5, 7)), rng.normal(size=(5, 7)) * 3
    y = rng.integers(0, 7, 5)
    temp = 2.5
    p, q = softmax(t / temp), softmax(s / temp)
    kd = float((p * (np.log(p) - np.log(q))).sum(axis=1).mean() * temp ** 2)
    ce = float(-np.log(softmax(s)[np.arange(5), y]).mean())
    st, tt, yt = torch.from_numpy(s), torch.from_numpy(t), torch.from_numpy(y)
    assert float(distillation_loss(st, tt, temp)) == pytest.approx(kd, rel=1e-9)
    assert float(finetune_loss(st, yt, None, temp, 0.3)) == pytest.approx(ce, rel=1e-9)
    assert float(finetune_loss(st, None, tt, temp, 0.3)) == pytest.approx(kd, rel=1e-9)
    assert float(finetune_loss(st, yt, tt, temp, 0.3)) == pytest.approx(0.3 * kd + 0.7 * ce, rel=1e-9)
    assert float(distillation_loss(tt, tt, temp)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="no labels and no teacher"):
        finetune_loss(st, None, None, temp, 0.3)

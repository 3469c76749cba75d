"""Measured damage of linearising non-linearities: divergence from the original on held-out images.

For the original logits z and the modified ones z' of each held-out image,
with p = softmax(z) and q = softmax(z'):

    divergence = mean over images of KL(p ‖ q) = Σ_k p_k (log p_k − log q_k)   (nats)
    agreement  = fraction of images whose top-1 class is unchanged

The graph's single output must be class scores [N, classes] (logits).
"""
from __future__ import annotations

import numpy as np

from .linearise import linearised


def _log_softmax(z):
    z = z.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _forward(graph, images, batch_size):
    g = graph.clone()
    g.compile(dims=[[min(batch_size, len(images)), *images.shape[1:]]])
    out = [g.forward(np.ascontiguousarray(images[i:i + batch_size]))[0] for i in range(0, len(images), batch_size)]
    return np.concatenate(out)


def divergence(reference_logits, logits):
    """(mean KL(softmax(reference) ‖ softmax(logits)), top-1 agreement)."""
    log_p, log_q = _log_softmax(reference_logits), _log_softmax(logits)
    kl = (np.exp(log_p) * (log_p - log_q)).sum(axis=1)
    agreement = (reference_logits.argmax(axis=1) == logits.argmax(axis=1)).mean()
    return float(max(kl.mean(), 0.0)), float(agreement)


class DamageModel:
    """Divergence of ``graph`` with a set of nodes linearised, on ``holdout``; cached by set."""

    def __init__(self, graph, holdout, batch_size):
        self.graph, self.holdout, self.batch_size = graph, holdout, batch_size
        self.reference = _forward(graph, holdout, batch_size)
        if self.reference.ndim != 2:
            raise ValueError(f"plan_depth reads the output of graph '{graph.name()}' as class scores "
                             f"[N, classes]; it has shape {list(self.reference.shape)}")
        self._cache = {frozenset(): (0.0, 1.0)}

    def logits(self, removed):
        return _forward(linearised(self.graph, sorted(removed)), self.holdout, self.batch_size)

    def damage(self, removed):
        """(divergence, agreement) with ``removed`` linearised."""
        key = frozenset(removed)
        if key not in self._cache:
            self._cache[key] = divergence(self.reference, self.logits(key))
        return self._cache[key]

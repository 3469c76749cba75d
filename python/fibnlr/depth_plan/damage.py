"""Measured damage of linearising non-linearities (the C++ ``planDivergence``).

For the original logits z and the modified ones z' of each held-out image,
with p = softmax(z) and q = softmax(z'):

    divergence = mean over images of KL(p ‖ q) = Σ_k p_k (log p_k − log q_k)   (nats)
    agreement  = fraction of images whose top-1 class is unchanged
"""
from __future__ import annotations

from .._core import recipes


def divergence(reference_logits, logits):
    """(mean KL(softmax(reference) ‖ softmax(logits)), top-1 agreement) of two [N, classes] arrays
    (read as float32, computed in double)."""
    kl, agreement = recipes._plan_divergence(reference_logits, logits)
    return float(kl), float(agreement)

"""The fine-tuning loss: cross-entropy on labels, knowledge distillation from a teacher, or a mix."""
from __future__ import annotations

import torch.nn.functional as F


def distillation_loss(student, teacher, temperature: float):
    """Hinton et al.'s soft-target loss: T² · KL(softmax(teacher / T) ‖ softmax(student / T)),
    averaged over the batch. The T² keeps its gradients on the scale of a cross-entropy."""
    t = temperature
    return F.kl_div(F.log_softmax(student / t, dim=1), F.log_softmax(teacher / t, dim=1),
                    reduction="batchmean", log_target=True) * (t * t)


def finetune_loss(logits, labels, teacher_logits, temperature: float, kd_weight: float):
    """Without a teacher: cross-entropy on labels. With one: the distillation loss,
    mixed as kd_weight · KD + (1 - kd_weight) · CE when the batch has labels."""
    if teacher_logits is None:
        if labels is None:
            raise ValueError("a batch has no labels and no teacher was given: nothing to train on")
        return F.cross_entropy(logits, labels)
    kd = distillation_loss(logits, teacher_logits, temperature)
    if labels is None or kd_weight == 1.0:
        return kd
    return kd_weight * kd + (1.0 - kd_weight) * F.cross_entropy(logits, labels)

"""fibnlr.finetune: the public entry point, importable without torch."""
from __future__ import annotations

from .batches import Batches
from .checks import fraction, positive_float, positive_int, single_input_output


def finetune(graph, data, epochs: int = 1, lr: float = 1e-4, teacher=None, temperature: float = 4.0,
             batch_size: int = 64, progress: bool = True, *, key=None, kd_weight: float = 0.5,
             seed: int = 0) -> list:
    """Fine-tunes ``graph``'s parameters with PyTorch (Adam, learning rate ``lr``)
    and returns the mean training loss of each epoch.

    Loss: cross-entropy on the labels when there is no ``teacher``; with a
    teacher graph (typically the unpruned model, same classes), knowledge
    distillation T²·KL(softmax(teacher/T) ‖ softmax(student/T)) with
    T = ``temperature``, so unlabelled calibration data suffices; batches that
    also have labels use kd_weight·KD + (1 − kd_weight)·CE. The graph output is
    read as logits [N, classes].

    ``data``: an (images, labels) pair or an array of images (split into
    ``batch_size`` batches, reshuffled each epoch by ``seed``), an iterable of
    x or (x, y) batches or a torch DataLoader (taken as they come; a one-shot
    iterator allows one epoch), or dict batches with ``key=``.

    BatchNorm keeps its running statistics (its scale and shift are trained);
    Dropout drops during training. The graph's weights are written back in place
    only after the last epoch: an error or Ctrl-C leaves them as they were.
    Launched by ``torchrun`` on several processes, it trains with
    DistributedDataParallel (gloo): rank r takes the r-th batch of every round of
    world-size batches (give every rank the same data), gradients are averaged,
    and every rank writes the same weights back. Needs torch (pip install fibnlr[torch]).
    """
    epochs = positive_int("epochs", epochs)
    lr = positive_float("lr", lr)
    temperature = positive_float("temperature", temperature)
    batch_size = positive_int("batch_size", batch_size)
    kd_weight = fraction("kd_weight", kd_weight)
    single_input_output(graph, "finetune")
    if teacher is not None:
        single_input_output(teacher, "finetune", "teacher")
    batches = Batches(data, batch_size, key)
    if batches.one_shot and epochs > 1:
        raise ValueError(f"epochs={epochs} needs data that can be read again (arrays, a list, a DataLoader); "
                         "an iterator is used up after one epoch")
    from .torch.training import train  # ImportError naming fibnlr[torch] when torch is missing
    return train(graph, batches, epochs=epochs, lr=lr, teacher=teacher, temperature=temperature,
                 kd_weight=kd_weight, seed=seed, progress=progress)

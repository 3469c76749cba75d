"""The fine-tuning loop behind fibnlr.finetune (arguments are checked there)."""
from __future__ import annotations

import itertools

import torch
from torch.nn.parallel import DistributedDataParallel

from ..progress import progress_bar
from . import distributed
from .distillation import finetune_loss
from .graph_module import load_parameters, to_module


def _scores(module, x, graph, role):
    """The module's output for the first batch, as class scores [N, classes]."""
    try:
        with torch.no_grad():
            out = module(x)
    except RuntimeError as e:
        raise ValueError(f"data of shape {list(x.shape)} does not fit the {role} graph '{graph.name()}': {e}") from None
    if out.dim() != 2 or out.shape[0] != x.shape[0]:
        raise ValueError(f"the {role} graph '{graph.name()}' outputs shape {list(out.shape)} for a batch of "
                         f"{x.shape[0]}; finetune expects class scores [{x.shape[0]}, classes]")
    return out


def _check_first_batch(batch, graph, student, teacher, teacher_module):
    """Shapes, labels and teacher agree with the graph: checked before any training step."""
    x, y = torch.from_numpy(batch[0]), batch[1]
    scores = _scores(student, x, graph, "student")
    if teacher_module is not None:
        t = _scores(teacher_module, x, teacher, "teacher")
        if t.shape != scores.shape:
            raise ValueError(f"the teacher '{teacher.name()}' outputs shape {list(t.shape)}, the student "
                             f"'{graph.name()}' {list(scores.shape)}; distillation needs the same classes")
    elif y is None:
        raise ValueError("the data has no labels and no teacher was given: pass (images, labels) or a teacher")


def _labels(y, classes):
    if y is None:
        return None
    if y.min() < 0 or y.max() >= classes:
        raise ValueError(f"labels must be class indices in [0, {classes}), got values from {y.min()} to {y.max()}")
    return torch.from_numpy(y)


def train(graph, batches, *, epochs, lr, teacher, temperature, kd_weight, seed, progress):
    """Trains a copy of the graph's parameters with Adam and writes them back at the end only."""
    student = to_module(graph)
    teacher_module = to_module(teacher) if teacher is not None else None
    first_pass = batches.epoch(seed)
    first = next(first_pass, None)
    if first is None:
        raise ValueError("finetune: the data holds no batch")
    _check_first_batch(first, graph, student, teacher, teacher_module)

    rank, world, created = distributed.setup()
    try:
        model = DistributedDataParallel(student) if world > 1 else student
        optimizer = torch.optim.Adam(student.parameters(), lr=lr)
        total = batches.count()
        losses = []
        for epoch in range(epochs):
            stream = itertools.chain([first], first_pass) if epoch == 0 else batches.epoch(seed + epoch)
            bar = progress_bar(distributed.shard(stream, rank, world), progress and rank == 0,
                               total=total // world if total else None, desc=f"finetune {epoch + 1}/{epochs}")
            model.train()
            loss_sum, steps = 0.0, 0
            for x, y in bar:
                x = torch.from_numpy(x)
                logits = model(x)
                with torch.no_grad():
                    t = teacher_module(x) if teacher_module is not None else None
                loss = finetune_loss(logits, _labels(y, logits.shape[1]), t, temperature, kd_weight)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss_sum, steps = loss_sum + loss.item(), steps + 1
                bar.set_postfix(loss=f"{loss_sum / steps:.4f}")
            mean = distributed.global_mean(loss_sum, steps, world)
            if mean is None:
                raise ValueError(f"finetune: epoch {epoch + 1} took no step (fewer batches than the {world} processes)")
            losses.append(mean)
        load_parameters(graph, student)
        return losses
    finally:
        if created:
            torch.distributed.destroy_process_group()

"""fibnlr.finetune: cross-entropy and distillation reduce the loss on a small
learnable task, the graph changes only at the end (never after an interruption),
and every bad argument or data is refused before a training step."""
import numpy as np
import pytest
import torch

import fibnlr
from fibnlr.torch import from_module
from fibnlr_testlib import random_batches, zoo_graph
from models.small import tiny_net
from torch_testlib import labelled_images, one_torch_thread  # noqa: F401 (autouse fixture)


def producers(g):
    return {n.name(): n.get_operator().value().copy() for n in g.get_nodes() if n.type() == "Producer"}


def assert_unchanged(g, snapshot):
    now = producers(g)
    assert now.keys() == snapshot.keys()
    for name, value in snapshot.items():
        np.testing.assert_array_equal(now[name], value, err_msg=name)


def kl(teacher_scores, student_scores):
    """Mean KL(softmax(teacher) || softmax(student)) over the batch, in numpy."""
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    lt, ls = log_softmax(teacher_scores.astype(np.float64)), log_softmax(student_scores.astype(np.float64))
    return float((np.exp(lt) * (lt - ls)).sum(axis=1).mean())


@pytest.fixture(scope="module")
def trained():
    """(teacher, x, y): tiny (4 classes) trained on the labelled images by finetune."""
    x, y = labelled_images()
    teacher = zoo_graph("tiny", 32)
    fibnlr.finetune(teacher, (x, y), epochs=5, lr=1e-2, batch_size=16, progress=False)
    return teacher, x, y


@pytest.fixture
def task(trained):
    """(teacher, student, x, y): the student is the teacher with every ReLU pruned to Identity."""
    teacher, x, y = trained
    student = teacher.clone()
    for relu in student.get_nodes_by_type("ReLU"):
        student.replace([relu], [fibnlr.Node("Identity", relu.name())])
    student.compile(dims=[[32, 3, 16, 16]])
    return teacher, student, x, y


def test_cross_entropy_on_labels_raises_accuracy():
    x, y = labelled_images()
    g = zoo_graph("tiny", 32)
    before = fibnlr.evaluate(g, (x, y), progress=False)["top1"]
    losses = fibnlr.finetune(g, (x, y), epochs=5, lr=1e-2, batch_size=16, progress=False)
    assert len(losses) == 5 and losses[-1] < 0.5 * losses[0]
    after = fibnlr.evaluate(g, (x, y), progress=False)["top1"]
    assert before < 0.5 and after > 0.9


def test_distillation_without_labels_moves_the_student_to_the_teacher(task):
    teacher, student, x, _ = task
    before = kl(teacher.forward(x)[0], student.forward(x)[0])
    conv_w = student.get_nodes_by_type("Conv")[0].get_parameter("W")
    w0 = conv_w.copy()
    losses = fibnlr.finetune(student, x, epochs=3, lr=1e-2, teacher=teacher, temperature=2.0, batch_size=16,
                             progress=False)
    assert len(losses) == 3 and losses[-1] < 0.7 * losses[0]
    after = kl(teacher.forward(x)[0], student.forward(x)[0])
    assert before > 0.1 and after < 0.3 * before
    assert np.abs(conv_w - w0).max() > 0  # written back in place


def test_labels_and_teacher_together(task):
    teacher, student, x, y = task
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                         batch_size=16, shuffle=True)
    losses = fibnlr.finetune(student, loader, epochs=2, lr=1e-2, teacher=teacher, kd_weight=0.7, progress=False)
    assert len(losses) == 2 and losses[1] < losses[0]


class Failing:
    """Re-iterable batches that raise `error` at batch `at` of pass `on_pass`."""

    def __init__(self, batches, error, at, on_pass=0):
        self.batches, self.error, self.at, self.on_pass, self.passes = batches, error, at, on_pass, 0

    def __iter__(self):
        current, self.passes = self.passes, self.passes + 1
        for i, b in enumerate(self.batches):
            if current == self.on_pass and i == self.at:
                raise self.error
            yield b


@pytest.mark.parametrize("error,on_pass", [(KeyboardInterrupt(), 0), (RuntimeError("disk gone"), 1)])
def test_interrupted_finetune_leaves_the_weights(task, error, on_pass):
    _, student, x, y = task
    snapshot = producers(student)
    data = Failing([(x[i:i + 16], y[i:i + 16]) for i in range(0, 96, 16)], error, at=3, on_pass=on_pass)
    with pytest.raises(type(error)):
        fibnlr.finetune(student, data, epochs=2, lr=1e-2, progress=False)
    assert data.passes == on_pass + 1
    assert_unchanged(student, snapshot)


class Counting:
    def __init__(self, batches):
        self.batches, self.taken = batches, 0

    def __iter__(self):
        for b in self.batches:
            self.taken += 1
            yield b


def three_class_teacher():
    torch.manual_seed(0)
    return from_module(tiny_net(num_classes=3).eval(), torch.zeros(1, 3, 16, 16))


@pytest.mark.parametrize("kwargs,match", [
    ({"epochs": 0}, "epochs must be >= 1, got 0"),
    ({"lr": 0.0}, "lr must be a finite number > 0, got 0.0"),
    ({"lr": float("nan")}, "lr must be a finite number > 0"),
    ({"temperature": -1.0}, "temperature must be a finite number > 0, got -1.0"),
    ({"batch_size": 0}, "batch_size must be >= 1, got 0"),
    ({"kd_weight": 1.5}, r"kd_weight must be in \[0, 1\], got 1.5"),
])
def test_arguments_out_of_range(task, kwargs, match):
    _, student, x, y = task
    with pytest.raises(ValueError, match=match):
        fibnlr.finetune(student, (x, y), **kwargs)


def test_bad_data_is_refused_before_any_step(task):
    teacher, student, x, y = task
    snapshot = producers(student)
    wrong = Counting([(np.zeros((4, 5, 16, 16), np.float32), y[:4])] * 3)
    with pytest.raises(ValueError, match=r"data of shape \[4, 5, 16, 16\] does not fit the student graph"):
        fibnlr.finetune(student, wrong, progress=False)
    assert wrong.taken == 1
    with pytest.raises(ValueError, match=r"teacher '.*' outputs shape \[16, 3\], the student '.*' \[16, 4\]"):
        fibnlr.finetune(student, x, teacher=three_class_teacher(), batch_size=16, progress=False)
    with pytest.raises(ValueError, match="no labels and no teacher"):
        fibnlr.finetune(student, x, progress=False)
    with pytest.raises(ValueError, match=r"class indices in \[0, 4\), got values from 0 to 7"):
        fibnlr.finetune(student, (x, np.arange(len(x)) % 8), progress=False)
    with pytest.raises(ValueError, match="epochs=2 needs data that can be read again"):
        fibnlr.finetune(student, iter([(x, y)]), epochs=2, progress=False)
    with pytest.raises(ValueError, match="no batch"):
        fibnlr.finetune(student, [], progress=False)
    with pytest.raises(TypeError, match="data must be"):
        fibnlr.finetune(student, None, progress=False)
    assert_unchanged(student, snapshot)


def test_graph_shape_is_refused(task):
    teacher, student, x, y = task
    conv = student.get_nodes_by_type("Conv")[0]
    two_outputs = student.clone()
    two_outputs.set_outputs([two_outputs.outputs()[0], (two_outputs.get_node(conv.name()), 0)])
    with pytest.raises(ValueError, match="one input and one output; '.*' has 1 inputs and 2 outputs"):
        fibnlr.finetune(two_outputs, (x, y))
    with pytest.raises(ValueError, match="needs a teacher with one input and one output"):
        fibnlr.finetune(student, x, teacher=two_outputs)
    features = student.clone()
    features.set_outputs([(features.get_node(conv.name()), 0)])
    with pytest.raises(ValueError, match=r"outputs shape \[96, 8, 16, 16\] for a batch of 96; finetune expects class"):
        fibnlr.finetune(features, (x, y), batch_size=96, progress=False)

"""Notebook 15: its algorithm boxes compute what ddlab computes (SRe2L's recover loss; RDED's scoring,
selection and stitching), the shipped teacher is used without training, and its exercises refuse
answers from the wrong setting."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import nbformat
import pytest
import torch

from ddlab.boxes import assert_same, full_float32
from ddlab.exercises import core
from ddlab.exercises.core import NotYet
from ddlab.methods import RDED, SRe2L
from ddlab.methods.rded import patch_losses, random_crops, select, stitch
from ddlab.methods.sre2l import SqueezeRecoverRelabel
from ddlab.sources import teachers

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "15_decoupled_distillation.ipynb"
TINY_TEACHER = dict(width=8, teacher_epochs=1, teacher_examples=512)


def box(name: str) -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    found = [c.source for c in nb.cells if c.cell_type == "code" and re.match(rf"# algorithm box: {name}\b", c.source)]
    assert len(found) == 1, f"{NOTEBOOK.name}: {len(found)} cells start with '# algorithm box: {name}'"
    return found[0]


def box_function(name: str, function: str):
    namespace: dict = {}
    exec(compile(box(name), f"<algorithm box {name}>", "exec"), namespace)
    return namespace[function]


@pytest.mark.parametrize("name", ["SRe2L", "RDED"])
def test_each_box_is_short(name):
    code = [
        line
        for line in box(name).splitlines()
        if line.strip() and not line.strip().startswith("#") and not line.startswith(("import ", "from "))
    ]
    assert len(code) <= 20, f"the {name} box has {len(code)} lines of code besides imports and comments"


@pytest.mark.parametrize("ipc, jitter", [(1, 4), (2, 4), (2, 0)])
def test_the_sre2l_box_equals_the_package(mnist, ipc, jitter):
    config = SRe2L(ipc=ipc, jitter=jitter, **TINY_TEACHER)
    loss_fn = box_function("SRe2L", "sre2l_recover_loss")
    with full_float32():
        for seed in (0, 1):
            method = SqueezeRecoverRelabel(config, mnist, torch.Generator().manual_seed(seed))
            state = method.generator.get_state()
            package_loss = method.outer_loss()
            (package_grad,) = torch.autograd.grad(package_loss, method.images)
            images = method.images.detach().clone().requires_grad_()
            box_loss = loss_fn(
                images,
                method.labels,
                method.teacher.net,
                torch.Generator().set_state(state),
                config.ipc,
                config.jitter,
                config.r_bn,
                config.first_bn_multiplier,
            )
            (box_grad,) = torch.autograd.grad(box_loss, images)
            assert_same(box_loss, package_loss, "the loss")
            assert_same(box_grad, package_grad, "the gradient")
            assert package_grad.abs().max() > 0


def test_the_sre2l_box_sees_the_bn_term(mnist):
    """Without its statistics term the box's loss differs: the comparison can tell them apart."""
    config = SRe2L(ipc=1, **TINY_TEACHER)
    method = SqueezeRecoverRelabel(config, mnist, torch.Generator().manual_seed(0))
    loss_fn = box_function("SRe2L", "sre2l_recover_loss")
    args = (method.images.detach(), method.labels, method.teacher.net)
    with_bn = loss_fn(*args, torch.Generator().manual_seed(0), 1, 4, 0.01, 10.0)
    without = loss_fn(*args, torch.Generator().manual_seed(0), 1, 4, 0.0, 10.0)
    assert not torch.allclose(with_bn, without)


@pytest.mark.parametrize("ipc, factor", [(1, 1), (2, 2), (3, 1)])
def test_the_rded_box_picks_the_packages_patches(mnist, ipc, factor):
    config = RDED(ipc=ipc, factor=factor, candidates=12, crops=3, **TINY_TEACHER)
    teacher = teachers.load_or_train(config.teacher(), mnist)
    rded_images = box_function("RDED", "rded_images")
    generator = torch.Generator().manual_seed(0)
    fill = mnist.normalize(torch.zeros(mnist.image_shape))
    for c in (0, 7):
        real = mnist.sample_per_class(c, config.candidates, generator)
        patches = random_crops(real, config.crops, 28 // factor, config.min_scale, generator)
        chosen, crop = select(patch_losses(teacher, patches, c, fill), ipc * factor**2)
        expected = stitch(patches[chosen, crop], factor)
        assert torch.equal(rded_images(patches, c, teacher.net, fill, ipc, factor), expected)


def test_the_shipped_teacher_is_verified_and_used_without_training(mnist, tmp_path, monkeypatch):
    spec = teachers.TeacherSpec()
    shipped = teachers.shipped_path(spec, mnist)
    assert shipped is not None
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == teachers.SHA256[shipped.name]
    assert {p.name for p in teachers.SHIPPED_DIR.glob("*.pt")} == set(teachers.SHA256)

    def no_training(*args, **kwargs):
        raise AssertionError("the shipped teacher must not be trained again")

    monkeypatch.setattr(teachers, "train", no_training)
    monkeypatch.setattr(teachers, "_loaded", {})
    teacher = teachers.load_or_train(spec, mnist, root=tmp_path)  # an empty data root: nothing cached
    assert teacher.test_accuracy > 0.95
    assert teachers.shipped_path(dataclasses.replace(spec, width=8), mnist) is None


def test_a_changed_shipped_teacher_is_refused_in_one_line(mnist, tmp_path, monkeypatch):
    spec = teachers.TeacherSpec()
    name = teachers.cache_path(spec, mnist).name
    for suffix in ("", ".sha256"):
        (tmp_path / (name + suffix)).write_bytes((teachers.SHIPPED_DIR / (name + suffix)).read_bytes())
    monkeypatch.setattr(teachers, "SHIPPED_DIR", tmp_path)
    monkeypatch.setattr(teachers, "_loaded", {})
    (tmp_path / (name + ".sha256")).write_text("0" * 64 + "\n")
    with pytest.raises(ValueError, match=r"^shipped teacher .* do not match their sha256"):
        teachers.load_or_train(spec, mnist, root=tmp_path / "root")


def test_the_notebooks_recipes_use_the_shipped_teacher_in_every_profile(monkeypatch):
    from ddlab import recipes

    for name in ("quick", "seminar", "default"):
        monkeypatch.setenv("DDLAB_PROFILE", name)
        for config in (recipes.sre2l_live(1), recipes.rded_live(1)):
            assert config.teacher() == teachers.TeacherSpec(), (name, config)


def test_exercise_15_2_refuses_labels_at_another_temperature(mnist, monkeypatch):
    from ddlab import evaluate
    from ddlab.experiments import fair
    from ddlab.protocol import Protocol
    from ddlab.synthetic import SyntheticSet

    monkeypatch.setattr(core, "_VERDICTS", {})
    monkeypatch.setattr(core, "_OUTCOMES", {})
    teacher = teachers.load_or_train(teachers.TeacherSpec(), mnist)
    placeholder = SyntheticSet(torch.zeros(10, 1, 28, 28), torch.arange(10), config={"dataset": "mnist"})
    random_real = fair.random_like(placeholder, mnist)
    tiny = Protocol(width=8, epochs=2)
    outcome = core.get("15.2").outcome
    for temperature, refused in ((20, False), (1, True)):
        relabelled = dataclasses.replace(random_real, soft_labels=teacher.soft_labels(random_real.images, temperature))
        answer = {
            "relabelled": relabelled,
            "class labels": evaluate(random_real, mnist, n_models=1, protocol=tiny),
            "teacher's labels": evaluate(relabelled, mnist, n_models=1, protocol=tiny),
        }
        if refused:
            with pytest.raises(NotYet, match="not the teacher's labels at T = 20"):
                outcome(answer)
        else:
            assert outcome(answer) in core.get("15.2").choices


def test_the_written_exercises_reference_is_the_packages_term_layer_by_layer(mnist):
    """15.w1's reference, summed over the teacher's layers with SRe2L's weights, is `bn_statistics_loss`."""
    from ddlab.exercises.written.nb15 import layer_bn_loss
    from ddlab.methods import bn_statistics_loss

    teacher = teachers.load_or_train(SRe2L(**TINY_TEACHER).teacher(), mnist)
    x = mnist.x_train[:10]
    _, statistics = teacher.net.forward_with_statistics(x)
    terms, h = [], x
    for layer in teacher.net.features:
        if isinstance(layer, torch.nn.BatchNorm2d):
            terms.append(layer_bn_loss(h, layer.running_mean, layer.running_var))
        h = layer(h)
    weighted = sum(term * (10.0 if i == 0 else 1.0) for i, term in enumerate(terms))
    torch.testing.assert_close(weighted, bn_statistics_loss(statistics, 10.0))

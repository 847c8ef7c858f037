"""Where a user's input meets the package, a mistake ends in one line in ddlab's words that names
the value and what is allowed, never in PyTorch's message from deep inside a layer."""

import dataclasses
import pickle
import zipfile

import pytest
import torch

from ddlab import SyntheticSet, evaluate
from ddlab.data import Dataset
from ddlab.protocol import Protocol

QUICK = Protocol(width=8, augmentation="none", epochs=1)


def _set(images, labels, method="dm", **config):
    return SyntheticSet(images, labels, None, {"method": method, "width": 8, **config})


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_set_of_another_image_shape_is_named(mnist):
    colour = _set(torch.zeros(10, 3, 32, 32), torch.arange(10))
    with pytest.raises(ValueError) as error:
        evaluate(colour, mnist, protocol=QUICK, n_models=1)
    assert _one_line(error) == (
        "this dm set has images of shape (3, 32, 32), but mnist has (1, 28, 28); use a set made on mnist"
    )


def test_a_set_of_more_classes_is_named(mnist):
    hundred = _set(torch.zeros(100, 1, 28, 28), torch.arange(100))
    with pytest.raises(ValueError) as error:
        evaluate(hundred, mnist, protocol=QUICK, n_models=1)
    assert _one_line(error) == "this dm set has 100 classes, but mnist has 10; use a set made on mnist"


def test_a_set_made_on_another_dataset_is_named(mnist):
    usps = _set(torch.zeros(10, 1, 28, 28), torch.arange(10), dataset="usps")
    with pytest.raises(ValueError) as error:
        evaluate(usps, mnist, protocol=QUICK, n_models=1)
    assert _one_line(error) == "this dm set was made on 'usps', not 'mnist'; evaluate it on usps"


def test_a_dd_set_on_a_dataset_of_another_shape_is_named(mnist):
    """DD sets go through another protocol (the replayed unroll); the same check guards it."""
    small = Dataset(
        "tiny",
        torch.zeros(20, 1, 8, 8),
        torch.arange(20) % 10,
        torch.zeros(10, 1, 8, 8),
        torch.arange(10),
        mnist.mean,
        mnist.std,
        mnist.classes,
    )
    dd = SyntheticSet(
        torch.zeros(10, 1, 28, 28),
        torch.arange(10),
        torch.full((2,), 0.02),
        {"method": "dd", "init": "fixed", "steps": 1, "epochs": 2},
    )
    with pytest.raises(ValueError, match=r"^this dd set has images of shape \(1, 28, 28\), but tiny has \(1, 8, 8\)"):
        evaluate(dd, small)


def _model_checkpoint(path):
    net = torch.nn.Linear(4, 2)
    torch.save({"model_state_dict": net.state_dict(), "epoch": 3}, path)


def _state_dict(path):
    torch.save(torch.nn.Linear(4, 2).state_dict(), path)


def _whole_model(path):
    torch.save(torch.nn.Linear(4, 2), path)


def _zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")


def _pickle(path):
    path.write_bytes(pickle.dumps(dataclasses.replace))


@pytest.mark.parametrize(
    "make,what",
    [
        (lambda p: p.write_bytes(b""), "it is an empty file"),
        (lambda p: p.write_text("images: 10\n"), "it is a text file"),
        (_zip, "it is a zip archive of 1 file, not a PyTorch file"),
        (_model_checkpoint, "it is a PyTorch model checkpoint (it has 'model_state_dict')"),
        (_state_dict, "it is a state_dict of 2 tensors (a model's weights)"),
        (_whole_model, "it is a PyTorch file holding Python objects that ddlab does not unpickle"),
        (_pickle, "it is a Python pickle, which ddlab does not unpickle"),
        (lambda p: torch.save(torch.zeros(3, 4), p), "it is a tensor of shape (3, 4)"),
    ],
)
def test_a_file_that_is_not_a_set_is_said_for_what_it_is(tmp_path, make, what):
    path = tmp_path / "given.pt"
    make(path)
    with pytest.raises(ValueError) as error:
        SyntheticSet.load(path)
    message = _one_line(error)
    assert message.startswith(f"{path} is not a") and what in message
    assert message.endswith("give a file saved by SyntheticSet.save or `python -m ddlab distill`")
    assert "weights_only" not in message

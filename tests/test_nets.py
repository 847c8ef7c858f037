import pytest
import torch
from torch.func import functional_call

from ddlab.nets import MLP, ConvNet, LeNet, count_params, init_params, make_net, sample_inits


@pytest.mark.parametrize("arch", ["lenet", "convnet", "mlp"])
def test_output_shape(arch):
    net = make_net(arch)
    assert net(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


def test_lenet_is_wang_et_al_lenet():
    net = LeNet()
    assert (net.conv1.in_channels, net.conv1.out_channels, net.conv1.kernel_size, net.conv1.padding) == (
        1,
        6,
        (5, 5),
        (2, 2),
    )
    assert (net.conv2.out_channels, net.fc1.in_features, net.fc1.out_features, net.fc2.out_features) == (
        16,
        400,
        120,
        84,
    )
    # 6*(25+1) + 16*(150+1) + 400*120+120 + 120*84+84 + 84*10+10
    assert count_params(dict(net.named_parameters())) == 61706


def test_convnet_has_no_running_statistics():
    net = ConvNet()
    assert not list(net.buffers())
    assert sum(isinstance(m, torch.nn.GroupNorm) for m in net.modules()) == 3


def test_init_is_reproducible_and_seed_dependent():
    net = make_net("lenet")
    a = init_params(net, "xavier", torch.Generator().manual_seed(1))
    b = init_params(net, "xavier", torch.Generator().manual_seed(1))
    c = init_params(net, "xavier", torch.Generator().manual_seed(2))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["conv1.weight"], c["conv1.weight"])
    assert a.keys() == dict(net.named_parameters()).keys()


@pytest.mark.parametrize("scheme,expected_std", [("xavier", (2 / (400 + 120)) ** 0.5), ("kaiming", (2 / 400) ** 0.5)])
def test_init_scale(scheme, expected_std):
    w = init_params(make_net("lenet"), scheme, torch.Generator().manual_seed(0))["fc1.weight"]
    assert abs(w.std().item() - expected_std) / expected_std < 0.05
    assert torch.all(init_params(make_net("lenet"), scheme, torch.Generator().manual_seed(0))["fc1.bias"] == 0)


def test_sample_inits_stacks_independent_draws():
    net = MLP()
    stacked = sample_inits(net, 3, "default", torch.Generator().manual_seed(0))
    assert stacked["net.1.weight"].shape == (3, 128, 784)
    assert not torch.equal(stacked["net.1.weight"][0], stacked["net.1.weight"][1])
    out = functional_call(net, {k: v[0] for k, v in stacked.items()}, (torch.zeros(2, 1, 28, 28),))
    assert out.shape == (2, 10)


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match="unknown architecture 'resnet'"):
        make_net("resnet")
    with pytest.raises(ValueError, match="unknown init scheme 'orthogonal'"):
        init_params(make_net("mlp"), "orthogonal", torch.Generator())
    with pytest.raises(ValueError, match="must be positive"):
        sample_inits(make_net("mlp"), 0, "xavier", torch.Generator())

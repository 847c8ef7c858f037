"""predict_many's two paths: the plain loop over networks (the CPU default) gives the vmapped logits."""

import torch

from ddlab.functional import accuracy_many, predict_many
from ddlab.nets import ConvNet, LeNet, sample_inits


def test_loop_and_vmap_give_the_same_logits_in_chunks():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(70, 1, 28, 28, generator=g)
    for net in (ConvNet(width=8), LeNet()):
        params = sample_inits(net, 3, "default", g)
        fast = predict_many(net, params, x, chunk=32, vectorize=True)
        slow = predict_many(net, params, x, chunk=32, vectorize=False)
        assert fast.shape == slow.shape == (3, 70, 10)
        torch.testing.assert_close(slow, fast, rtol=1e-4, atol=1e-5)
        one = torch.func.functional_call(net, {k: v[1] for k, v in params.items()}, (x,))
        torch.testing.assert_close(slow[1], one, rtol=1e-4, atol=1e-5)  # network 1 on all 70 images
        assert not torch.allclose(slow[0], slow[1])  # each network its own weights
    y = fast.argmax(-1)[2]  # network 2's own predictions
    assert accuracy_many(net, params, x, y)[2] == 1.0


def test_loop_path_splits_large_chunks_and_keeps_every_example():
    net = ConvNet(width=4)
    params = sample_inits(net, 2, "default", torch.Generator().manual_seed(1))
    x = torch.randn(300, 1, 28, 28, generator=torch.Generator().manual_seed(2))  # more than LOOP_CHUNK
    fast = predict_many(net, params, x, chunk=1000, vectorize=True)
    slow = predict_many(net, params, x, chunk=1000, vectorize=False)
    assert slow.shape == (2, 300, 10)
    torch.testing.assert_close(slow, fast, rtol=1e-4, atol=1e-5)

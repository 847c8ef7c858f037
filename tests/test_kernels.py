"""The closed-form infinite-width kernels against wide random networks, and KRR / Label Solve
against direct linear-algebra solves."""

import math

import pytest
import torch
from torch.func import grad, vmap

from ddlab import kernels

DEPTH, WIDTH = 2, 2048
# The finite-width estimates below fluctuate by O(1/sqrt(width)) around the infinite-width kernel;
# entries are compared relative to sqrt(K(x, x) K(x', x')), the scale of their row and column.
# Allowing 0.1 still catches a kernel of the wrong depth, which is off by more than 0.15 here.
TOLERANCE = 0.1


def inputs() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 20, generator=g, dtype=torch.float64)  # (6, D)
    x[1] = -0.5 * x[0] + 0.2 * x[1]  # a strongly (anti-)correlated pair
    return x


def draw_network(dims: list[int], g: torch.Generator) -> dict[str, torch.Tensor]:
    """Standard normal weights and biases: the NTK parameterisation scales them in `forward`."""
    params = {}
    for layer in range(len(dims) - 1):
        params[f"w{layer}"] = torch.randn(dims[layer + 1], dims[layer], generator=g, dtype=torch.float64)
        params[f"b{layer}"] = torch.randn(dims[layer + 1], generator=g, dtype=torch.float64)
    return params


def hidden(params: dict[str, torch.Tensor], x: torch.Tensor, layers: int) -> torch.Tensor:
    """Pre-activations after `layers` dense layers, ReLU between them (NTK parameterisation)."""
    h = x
    for layer in range(layers):
        w, b = params[f"w{layer}"], params[f"b{layer}"]
        h = torch.relu(h) if layer else h
        h = math.sqrt(kernels.WEIGHT_VAR / w.shape[1]) * h @ w.T + math.sqrt(kernels.BIAS_VAR) * b
    return h


def normalised_error(estimate: torch.Tensor, exact: torch.Tensor) -> float:
    scale = torch.sqrt(exact.diag()[:, None] * exact.diag()[None, :])
    return ((estimate - exact).abs() / scale).max().item()


def test_nngp_matches_wide_random_networks():
    """E[f(x) f(x')] over networks = sigma_w^2 E[relu(h^L(x)).relu(h^L(x'))] / width + sigma_b^2: the
    output layer averaged out exactly, the hidden layers by 16 networks of width 2048."""
    x, g = inputs(), torch.Generator().manual_seed(1)
    estimate = 0
    for _ in range(16):
        features = torch.relu(hidden(draw_network([20] + [WIDTH] * DEPTH, g), x, DEPTH))  # (6, WIDTH)
        estimate = estimate + (kernels.WEIGHT_VAR * features @ features.T / WIDTH + kernels.BIAS_VAR) / 16
    exact, _ = kernels.relu_kernels(x, x, DEPTH)
    assert normalised_error(estimate, exact) < TOLERANCE
    wrong_depth, _ = kernels.relu_kernels(x, x, DEPTH + 1)
    assert normalised_error(estimate, wrong_depth) > TOLERANCE  # the check can tell depths apart


def test_ntk_matches_parameter_gradients_of_wide_networks():
    """Theta(x, x') = <df(x)/dparams, df(x')/dparams>, from per-example gradients (torch.func),
    averaged over 4 networks of width 2048."""
    x, g = inputs(), torch.Generator().manual_seed(2)

    def output(params, one_x):
        return hidden(params, one_x, DEPTH + 1).squeeze(-1)

    estimate = 0
    for _ in range(4):
        gradients = vmap(grad(output), in_dims=(None, 0))(draw_network([20] + [WIDTH] * DEPTH + [1], g), x)
        jacobian = torch.cat([v.flatten(1) for v in gradients.values()], 1)  # (6, parameters)
        estimate = estimate + jacobian @ jacobian.T / 4
    _, exact = kernels.relu_kernels(x, x, DEPTH)
    assert normalised_error(estimate, exact) < TOLERANCE
    _, wrong_depth = kernels.relu_kernels(x, x, DEPTH - 1)
    assert normalised_error(estimate, wrong_depth) > TOLERANCE


def test_kernels_flatten_images_and_are_symmetric():
    images = torch.randn(5, 1, 4, 4, generator=torch.Generator().manual_seed(3))
    for name in kernels.KERNELS:
        k = kernels.kernel(name, images, images, depth=3)
        assert k.dtype == torch.float64 and k.shape == (5, 5)
        torch.testing.assert_close(k, k.T)
        torch.testing.assert_close(k, kernels.kernel(name, images.flatten(1), images.flatten(1), depth=3))


def support_problem(targets: int = 40, support: int = 8, classes: int = 3):
    g = torch.Generator().manual_seed(4)
    x_t, x_s = torch.randn(targets, 10, generator=g), torch.randn(support, 10, generator=g)
    k_ts, k_ss = kernels.kernel("ntk", x_t, x_s), kernels.kernel("ntk", x_s, x_s)
    y_t = torch.randn(targets, classes, generator=g, dtype=torch.float64)
    return k_ts, k_ss, y_t


def test_krr_prediction_matches_a_direct_solve_with_the_trace_scaled_ridge():
    k_ts, k_ss, y = support_problem()
    y_s, reg = y[:8], 0.1
    ridge = reg * k_ss.diag().mean()
    direct = k_ts @ torch.linalg.inv(k_ss + ridge * torch.eye(8, dtype=torch.float64)) @ y_s
    torch.testing.assert_close(kernels.krr_predict(k_ts, k_ss, y_s, reg), direct)


def test_label_solve_matches_least_squares_on_the_krr_map():
    k_ts, k_ss, y_t = support_problem()
    reg = 0.01
    krr_map = k_ts @ torch.linalg.inv(kernels.regularised(k_ss, reg))  # (T, S): y_s -> predictions
    direct = torch.linalg.lstsq(krr_map, y_t, driver="gelsd").solution
    solved = kernels.label_solve(k_ts, k_ss, y_t, reg)
    torch.testing.assert_close(solved, direct, rtol=1e-6, atol=1e-8)
    loss = ((kernels.krr_predict(k_ts, k_ss, solved, reg) - y_t) ** 2).sum()
    nudged = ((kernels.krr_predict(k_ts, k_ss, solved + 1e-3, reg) - y_t) ** 2).sum()
    assert loss < nudged  # a minimum, not just a solution


def test_accuracy_in_chunks_equals_one_pass():
    g = torch.Generator().manual_seed(5)
    support, targets = torch.randn(6, 1, 5, 5, generator=g), torch.randn(6, 3, generator=g)
    test, labels = torch.randn(50, 1, 5, 5, generator=g), torch.randint(0, 3, (50,), generator=g)
    predicted = kernels.krr_predict(
        kernels.kernel("nngp", test, support, 2), kernels.kernel("nngp", support, support, 2), targets.double(), 1e-6
    )
    expected = (predicted.argmax(1) == labels).double().mean().item()
    assert kernels.accuracy(support, targets, test, labels, "nngp", 2, 1e-6, chunk=7) == pytest.approx(expected)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: kernels.kernel("rbf", torch.zeros(2, 3), torch.zeros(2, 3)), "unknown kernel 'rbf'"),
        (lambda: kernels.relu_kernels(torch.zeros(2, 3), torch.zeros(2, 4)), "equally sized inputs"),
        (lambda: kernels.relu_kernels(torch.zeros(2, 3), torch.zeros(2, 3), depth=0), "depth must be a positive"),
        (lambda: kernels.krr_predict(torch.zeros(4, 3), torch.eye(2), torch.zeros(2, 1)), "shapes do not chain"),
        (lambda: kernels.regularised(torch.eye(2), -1.0), "reg must be >= 0"),
        (lambda: kernels.label_solve(torch.zeros(2, 3), torch.eye(3), torch.zeros(2, 1)), "at least as many target"),
        (
            lambda: kernels.accuracy(torch.zeros(2, 3), torch.zeros(2, 2), torch.zeros(4, 3), torch.zeros(4), chunk=0),
            "chunk must be",
        ),
    ],
)
def test_bad_input_raises_one_line_errors(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)

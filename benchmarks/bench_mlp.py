"""Speed of dlcourse's MLP training step against PyTorch's, on this machine, in one run, as ratios.

    python benchmarks/bench_mlp.py [--threads N] [--repeat R]

One training step = forward, cross-entropy, backward, SGD update, for a (batch, 64) -> 64 -> 10 ReLU network
(digits-sized) and a wider (batch, 784) -> 256 -> 10 one (MNIST-sized). Both libraries use the same dtype
(float32) and the same number of threads; the ratio is ours / torch (1.0 = as fast, 2.0 = twice as slow).
"""

from __future__ import annotations

import argparse
import os
import timeit

import numpy as np


def dlcourse_step(sizes, batch, dtype, rng):
    from dlcourse import nn
    from dlcourse.optim import SGD

    model = nn.MLP(sizes[0], sizes[1:-1], sizes[-1], "relu", rng=rng, dtype=dtype)
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    loss_fn, opt = nn.CrossEntropyLoss(), SGD(model, lr=0.01)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward(1.0))
        opt.step()

    return step


def torch_step(sizes, batch, rng):
    import torch

    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    x = torch.as_tensor(rng.standard_normal((batch, sizes[0])), dtype=torch.float32)
    y = torch.as_tensor(rng.integers(0, sizes[-1], batch))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def best_time(fn, repeat: int) -> float:
    fn()  # warm up
    number = max(1, int(0.05 / max(timeit.timeit(fn, number=1), 1e-6)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"{'case':34s} {'ours (ms)':>10s} {'torch (ms)':>11s} {'ratio':>7s}")
    for name, sizes, batch in [
        ("digits MLP 64-64-10, batch 128", (64, 64, 10), 128),
        ("MNIST MLP 784-256-10, batch 128", (784, 256, 10), 128),
    ]:
        ours = best_time(dlcourse_step(sizes, batch, np.float32, rng), args.repeat)
        ref = best_time(torch_step(sizes, batch, rng), args.repeat)
        print(f"{name:34s} {ours * 1e3:10.3f} {ref * 1e3:11.3f} {ours / ref:7.2f}")


if __name__ == "__main__":
    main()

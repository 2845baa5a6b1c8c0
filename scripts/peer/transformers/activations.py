"""get_activation: the activations a ModuleFormer config may name, as torch modules.

gelu_new is the tanh approximation of GELU; torch's fused kernel computes the same function as the
explicit formula and is never slower, so the peer is not handicapped by this stand-in.
"""
from torch import nn


def get_activation(name):
    activations = {
        "gelu_new": lambda: nn.GELU(approximate="tanh"),
        "gelu": nn.GELU,
        "relu": nn.ReLU,
        "silu": nn.SiLU,
    }
    if name not in activations:
        raise KeyError(f"activation {name!r} is not supported by the peer stand-in")
    return activations[name]()

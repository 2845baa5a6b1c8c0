"""A minimal stand-in for the few `transformers` names that IBM/ModuleFormer imports.

Debian bookworm packages PyTorch (python3-torch) but not `transformers`. The peer benchmark only builds the
reference model with random weights and runs its forward (with and without past_key_values), so each name
here does just what that path needs. Nothing of `transformers` itself is copied.
"""


def is_torch_available():
    return True


class PreTrainedTokenizer:
    """Named in a type annotation of the reference's ONNX config; never instantiated."""


class TensorType:
    """Named in a type annotation of the reference's ONNX config; never instantiated."""

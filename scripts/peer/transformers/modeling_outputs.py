"""Output records: attribute access by name, and tuple access (by index or slice) over the fields that are set."""
from dataclasses import dataclass, fields
from typing import Any, Optional


class _Output:
    def to_tuple(self):
        return tuple(getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None)

    def __getitem__(self, index):
        return self.to_tuple()[index]


@dataclass
class BaseModelOutputWithPast(_Output):
    last_hidden_state: Any = None
    past_key_values: Optional[Any] = None
    hidden_states: Optional[Any] = None
    attentions: Optional[Any] = None


@dataclass
class CausalLMOutputWithPast(_Output):
    loss: Optional[Any] = None
    logits: Any = None
    past_key_values: Optional[Any] = None
    hidden_states: Optional[Any] = None
    attentions: Optional[Any] = None


class SequenceClassifierOutputWithPast(CausalLMOutputWithPast):
    """Same fields as the causal-LM output; only the reference's classification head names it."""

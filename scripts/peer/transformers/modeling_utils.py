"""PreTrainedModel: an nn.Module that keeps its config and initialises weights with the subclass's _init_weights."""
from torch import nn


class PreTrainedModel(nn.Module):
    config_class = None
    base_model_prefix = ""

    def __init__(self, config, *inputs, **kwargs):
        super().__init__()
        self.config = config

    def post_init(self):
        self.apply(self._init_weights)

    def _init_weights(self, module):
        pass

    @property
    def dtype(self):
        return next(self.parameters()).dtype

    def get_head_mask(self, head_mask, num_hidden_layers):
        if head_mask is not None:
            raise NotImplementedError("head masks are not supported by the peer stand-in")
        return [None] * num_hidden_layers

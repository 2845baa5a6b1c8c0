"""PretrainedConfig: keyword arguments become attributes, with the defaults the reference's forward reads."""


class PretrainedConfig:
    def __init__(self, **kwargs):
        self.output_attentions = kwargs.pop("output_attentions", False)
        self.output_hidden_states = kwargs.pop("output_hidden_states", False)
        self.return_dict = kwargs.pop("return_dict", True)
        self.pad_token_id = kwargs.pop("pad_token_id", None)
        self.problem_type = kwargs.pop("problem_type", None)
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def use_return_dict(self):
        return self.return_dict

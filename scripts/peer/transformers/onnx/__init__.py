"""Base classes of the reference's ONNX export config, which the benchmark never uses."""


class OnnxConfigWithPast:
    def __init__(self, config, task="default", patching_specs=None, use_past=False):
        self._config = config
        self.use_past = use_past


class PatchingSpec:
    pass

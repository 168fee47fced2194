from experiment_manager.pipelines.pipeline import Pipeline
from experiment_manager.common.serializable import YAMLSerializable


@YAMLSerializable.register("PyToyPipeline")
class PyToyPipeline(Pipeline):
    """A Python pipeline: the editor helps with its config, Run explains how to run it."""

    params = {"epochs": {"type": "integer", "default": 2}}

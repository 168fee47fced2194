"""Reads a TensorBoard log directory with TensorBoard's own loader and prints what it sees as JSON.

    python read_tensorboard.py <logdir>

Output: {"runs": {run: {"scalars": {tag: [[wall_time, step, value], ...]},
                       "text": {tag: [[wall_time, step, text], ...]},
                       "hparams": {tag: <HParamsPluginData as JSON>}}}}
Scalars through plugin_event_multiplexer.EventMultiplexer (the loader `tensorboard --logdir` uses, with its CRC checks and
v1-to-v2 summary migration); the hparams summaries parsed by the HParams plugin's own metadata
module, so a malformed one raises here as it would in the dashboard.
Run by test/realtools/tensorboard.realtools.test.ts with the venv from setup-venv.sh.
"""
import json
import sys

from google.protobuf import json_format
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util


def main(logdir):
    # size_guidance 0 = keep every event (the default samples scalars down to 1,000).
    mux = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={"scalars": 0, "text": 0, "hparams": 0})
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    out = {}
    for run in sorted(mux.Runs()):
        acc = mux.GetAccumulator(run)
        tags = acc.Tags()
        scalars = {}
        text = {}
        hparams = {}
        # TensorBoard's data_compat migrates v1 simple_value scalars to tensors with the
        # "scalars" plugin; the scalars dashboard reads exactly these.
        for tag in tags.get("tensors", []):
            plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
            events = acc.Tensors(tag)
            if plugin == "scalars":
                scalars[tag] = [[e.wall_time, e.step, float(tensor_util.make_ndarray(e.tensor_proto).item())] for e in events]
            elif plugin == "text":
                text[tag] = [
                    [e.wall_time, e.step, tensor_util.make_ndarray(e.tensor_proto).item().decode("utf-8")] for e in events
                ]
            elif plugin == hparams_metadata.PLUGIN_NAME:
                content = acc.SummaryMetadata(tag).plugin_data.content
                data = plugin_data_pb2.HParamsPluginData.FromString(content)
                # Raises like the plugin does on a wrong kind or version.
                kind = data.WhichOneof("data")
                hparams_metadata._parse_plugin_data_as(content, kind)
                hparams[tag] = json_format.MessageToDict(data, preserving_proto_field_name=True)
        out[run] = {"scalars": scalars, "text": text, "hparams": hparams}
    json.dump({"runs": out}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])

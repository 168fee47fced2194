"""Reads an MLflow tracking store through MLflow's own client and prints what it sees as JSON.

    python read_mlflow.py <tracking_uri> <experiment_name>

`tracking_uri` is a `file:` URI of a file store (MLflow 3 reads those only with
MLFLOW_ALLOW_FILE_STORE=true, which the caller sets) or the http URL of an `mlflow server`.
Output: {"experiments": [names], "experiment": {...}, "runs": [{info, params, tags,
metrics: {key: [[timestamp, step, value], ...]}, artifacts: {path: size}}]}
Run by test/realtools/mlflow.realtools.test.ts with the venv from setup-venv.sh.
"""
import json
import math
import sys
import tempfile

from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient


def number(v):
    # JSON has no NaN/Infinity: spell them as strings, as our REST client does.
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def artifacts(client, run_id, path=None, out=None):
    out = {} if out is None else out
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            artifacts(client, run_id, f.path, out)
        else:
            out[f.path] = f.file_size
    return out


def main(uri, name):
    client = MlflowClient(tracking_uri=uri)
    experiments = client.search_experiments(view_type=ViewType.ALL)
    exp = client.get_experiment_by_name(name)
    runs = []
    for run in client.search_runs([exp.experiment_id], max_results=1000, order_by=["attributes.start_time ASC"]):
        info = run.info
        metrics = {}
        for key in run.data.metrics:
            history = client.get_metric_history(info.run_id, key)
            metrics[key] = [[m.timestamp, m.step, number(m.value)] for m in history]
        files = artifacts(client, info.run_id)
        contents = {}
        with tempfile.TemporaryDirectory() as tmp:
            for path in files:
                local = client.download_artifacts(info.run_id, path, tmp)
                with open(local, "rb") as fh:
                    contents[path] = fh.read().decode("utf-8", "replace")
        runs.append(
            {
                "run_id": info.run_id,
                "run_name": info.run_name,
                "status": info.status,
                "start_time": info.start_time,
                "end_time": info.end_time,
                "lifecycle_stage": info.lifecycle_stage,
                "params": dict(run.data.params),
                "tags": dict(run.data.tags),
                "metrics": metrics,
                "artifacts": contents,
            }
        )
    json.dump(
        {
            "experiments": sorted(e.name for e in experiments),
            "experiment": {"id": exp.experiment_id, "name": exp.name, "tags": dict(exp.tags), "lifecycle_stage": exp.lifecycle_stage},
            "runs": runs,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

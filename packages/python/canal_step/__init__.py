"""Canal's step helper for Python: the equivalent of AzureML's ``Run.get_context()``.

Dependency-free. Every Canal runtime puts this package on ``PYTHONPATH`` for script steps::

    from canal_step import log, input_path, output_path, param

    log("accuracy", 0.93)                 # a metric of this step, recorded with the run
    data = input_path("prepped")          # where the input artifact was materialised
    out = output_path("model")            # where to write the output artifact
    c = param("c")                        # a value input, decoded from JSON
    raw = input_dataset("raw")            # {"path", "name", "version"} of a registered dataset input
    frame = read_table("raw")             # a table input as a pandas DataFrame (pandas installed)
"""
import json
import os
import re

__all__ = [
    "log",
    "input_path",
    "input_paths",
    "input_dataset",
    "read_table",
    "output_path",
    "param",
    "run_id",
    "step",
    "attempt",
]


def _env_name(name):
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _require(variable, what):
    value = os.environ.get(variable)
    if value is None:
        raise KeyError(
            f"{what}: {variable} is not set; this step has no such input/output, or it is not running under Canal"
        )
    return value


def log(name, value):
    """Records a metric (a number, or a string for tags) for this step of the run."""
    if not isinstance(name, str) or not name:
        raise ValueError("canal_step.log: the metric name must be a non-empty string")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"canal_step.log: metric {name!r} must be a number or a string, not {type(value).__name__}")
    path = os.environ.get("CANAL_METRICS_FILE")
    if not path:
        print(f"canal_step.log (not under Canal): {name}={value}")
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps({"name": name, "value": value}) + "\n")


def input_path(name):
    """The local path of an artifact input."""
    return _require(f"CANAL_INPUT_{_env_name(name)}", f"input {name!r}")


def input_paths(name):
    """The local paths of a fan-in input (a list of artifacts), however long the list."""
    variable = f"CANAL_INPUT_{_env_name(name)}"
    listed = os.environ.get(f"{variable}_FILE")
    if listed is not None:
        # One path per line, relative to the list's folder (a long list is only in this file).
        folder = os.path.dirname(listed)
        with open(listed, encoding="utf-8") as lines:
            return [os.path.join(folder, line) for line in lines.read().splitlines() if line]
    value = _require(variable, f"input {name!r}")
    return json.loads(value) if value.startswith("[") else [value]


def input_dataset(name):
    """The registered dataset version an input was read from (AzureML ``Run.input_datasets``):
    ``{"path": ..., "name": ..., "version": ...}``, or None for an input not read from a dataset."""
    path = input_path(name)
    described = os.environ.get(f"CANAL_INPUT_{_env_name(name)}_DATASET")
    if described is None:
        return None
    origin = json.loads(described)
    return {"path": path, "name": origin["name"], "version": origin["version"]}


_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq")


def _read_one(pandas, path):
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        return pandas.read_parquet(path)
    if lower.endswith((".tsv", ".tab")):
        return pandas.read_csv(path, sep="\t")
    with open(path, "rb") as head:
        if head.read(4) == b"PAR1":
            return pandas.read_parquet(path)
    return pandas.read_csv(path)


def read_table(name):
    """A Table input as a pandas DataFrame: one file (CSV, TSV or Parquet), or a folder of parts
    (read in name order and concatenated). Needs pandas (and pyarrow for Parquet)."""
    try:
        import pandas
    except ImportError as error:
        raise ImportError(
            "canal_step.read_table needs pandas: add it to the step's requirements, or read input_path(name) yourself"
        ) from error
    path = input_path(name)
    if not os.path.isdir(path):
        return _read_one(pandas, path)
    parts = []
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for file in sorted(files):
            if not file.startswith((".", "_")) and file.lower().endswith(_TABLE_SUFFIXES):
                parts.append(os.path.join(folder, file))
    if not parts:
        raise FileNotFoundError(f"input {name!r}: {path} holds no .csv, .tsv or .parquet file")
    return pandas.concat([_read_one(pandas, part) for part in parts], ignore_index=True)


def output_path(name):
    """Where to write an output artifact (a directory that exists for Directory outputs)."""
    return _require(f"CANAL_OUTPUT_{_env_name(name)}", f"output {name!r}")


def param(name):
    """A value input (parameter, literal or fan-out item), decoded from JSON, however large."""
    variable = f"CANAL_PARAM_{_env_name(name)}"
    stored = os.environ.get(f"{variable}_FILE")
    if stored is not None:
        # A value over 32 KiB is only in this file: the environment could not hold it.
        with open(stored, encoding="utf-8") as text:
            return json.load(text)
    value = _require(variable, f"parameter {name!r}")
    try:
        return json.loads(value)
    except ValueError:
        return value


def run_id():
    return os.environ.get("CANAL_RUN_ID")


def step():
    return os.environ.get("CANAL_STEP")


def attempt():
    return int(os.environ.get("CANAL_ATTEMPT", "1"))

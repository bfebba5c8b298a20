"""Canal's step helper for Python: the equivalent of AzureML's ``Run.get_context()``.

Dependency-free. Every Canal runtime puts this package on ``PYTHONPATH`` for script steps::

    from canal_step import log, input_path, output_path, param

    log("accuracy", 0.93)                 # a metric of this step, recorded with the run
    data = input_path("prepped")          # where the input artifact was materialised
    out = output_path("model")            # where to write the output artifact
    c = param("c")                        # a value input, decoded from JSON
"""
import json
import os
import re

__all__ = ["log", "input_path", "input_paths", "output_path", "param", "run_id", "step", "attempt"]


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

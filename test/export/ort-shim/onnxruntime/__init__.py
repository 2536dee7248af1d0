"""A test shim named `onnxruntime`: the subset of Python ONNX Runtime's API that attn's snippets use, run by real
ONNX Runtime — the same C++ runtime, reached through onnxruntime-node in a Node child process — not by Python's
binding (which cannot be installed where the tests run). test/export/onnx-python-snippets.test.ts puts the folder
above this package on PYTHONPATH so that the snippets' `import onnxruntime as ort` finds it.

Implemented, as Python ONNX Runtime behaves:
  InferenceSession(path, providers=None | ["CPUExecutionProvider"])
  session.get_inputs(), session.get_outputs()   → objects with `.name`, in the graph's order
  session.run(output_names or None, feeds)      → a list of numpy arrays in the order of output_names (None: all
                                                  outputs in the graph's order); feeds maps every input name to a
                                                  float32 or int64 numpy array
Anything else raises (NotImplementedError, or TypeError/ValueError for a bad argument): an option the shim does
not carry out must not pass silently. The Node process (../server.mjs, `node` or $ATTN_ORT_SHIM_NODE) starts with
the first session and ends with this interpreter.
"""
import atexit
import base64
import json
import os
import subprocess

import numpy as np

__version__ = "shim (onnxruntime-node)"

_SERVER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "server.mjs")
_DTYPES = {"float32": np.dtype("<f4"), "int64": np.dtype("<i8")}
_node = None
_next_id = 0


def _request(message):
    """Sends one request to the Node process (started on first use) and returns its answer."""
    global _node, _next_id
    if _node is None:
        node = os.environ.get("ATTN_ORT_SHIM_NODE", "node")
        _node = subprocess.Popen([node, _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        atexit.register(_close)
    _next_id += 1
    _node.stdin.write(json.dumps({"id": _next_id, **message}) + "\n")
    _node.stdin.flush()
    line = _node.stdout.readline()
    if not line:
        raise RuntimeError(f"onnxruntime shim: the Node process ({_SERVER}) ended without answering")
    reply = json.loads(line)
    if reply.get("id") != _next_id:
        raise RuntimeError(f"onnxruntime shim: answer {reply.get('id')} to request {_next_id}")
    if "error" in reply:
        raise RuntimeError(f"[ONNXRuntimeError] {reply['error']}")
    return reply


def _close():
    if _node is not None:
        _node.stdin.close()
        _node.wait()


class NodeArg:
    """A graph input or output; the shim knows only its name (not Python ORT's shape and type)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"NodeArg(name={self.name!r})"


class InferenceSession:
    def __init__(self, path_or_bytes, sess_options=None, providers=None, provider_options=None, **kwargs):
        if not isinstance(path_or_bytes, (str, os.PathLike)):
            raise NotImplementedError("onnxruntime shim: InferenceSession takes a model path, not bytes")
        if sess_options is not None:
            raise NotImplementedError("onnxruntime shim: sess_options is not supported")
        if provider_options is not None:
            raise NotImplementedError("onnxruntime shim: provider_options is not supported")
        if kwargs:
            raise NotImplementedError(f"onnxruntime shim: unsupported arguments {', '.join(sorted(kwargs))}")
        if providers is not None:
            if not isinstance(providers, (list, tuple)):
                raise TypeError(f"onnxruntime shim: providers must be a list, not {type(providers).__name__}")
            others = [p for p in providers if p != "CPUExecutionProvider"]
            if others:
                raise NotImplementedError(
                    f"onnxruntime shim: only CPUExecutionProvider runs here, not {', '.join(map(repr, others))}"
                )
        path = os.fspath(path_or_bytes)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"onnxruntime shim: no model file {path}")
        reply = _request({"op": "open", "path": os.path.abspath(path)})
        self._session = reply["session"]
        self._inputs = reply["inputs"]
        self._outputs = reply["outputs"]

    def get_inputs(self):
        return [NodeArg(name) for name in self._inputs]

    def get_outputs(self):
        return [NodeArg(name) for name in self._outputs]

    def run(self, output_names, input_feed, run_options=None):
        if run_options is not None:
            raise NotImplementedError("onnxruntime shim: run_options is not supported")
        if output_names is None:
            output_names = list(self._outputs)
        unknown = [name for name in output_names if name not in self._outputs]
        if unknown:
            raise ValueError(f"onnxruntime shim: unknown output names {unknown} (outputs: {self._outputs})")
        if not isinstance(input_feed, dict):
            raise TypeError(f"onnxruntime shim: input_feed must be a dict, not {type(input_feed).__name__}")
        missing = [name for name in self._inputs if name not in input_feed]
        if missing:
            raise ValueError(f"onnxruntime shim: required inputs {missing} are missing from the feed")
        extra = [name for name in input_feed if name not in self._inputs]
        if extra:
            raise ValueError(f"onnxruntime shim: invalid input names {extra} (inputs: {self._inputs})")
        feeds = {name: _tensor(name, value) for name, value in input_feed.items()}
        reply = _request({"op": "run", "session": self._session, "feeds": feeds, "fetches": list(output_names)})
        return [_array(t) for t in reply["outputs"]]


def _tensor(name, value):
    """A feed as the Node process reads it: dtype, dims, base64 of the little-endian bytes."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"onnxruntime shim: input {name} must be a numpy array, not {type(value).__name__}")
    dtype = next((d for d, np_dtype in _DTYPES.items() if value.dtype == np_dtype), None)
    if dtype is None:
        raise TypeError(f"onnxruntime shim: input {name} has dtype {value.dtype}; the shim carries float32 and int64")
    data = np.ascontiguousarray(value, dtype=_DTYPES[dtype]).tobytes()
    return {"dtype": dtype, "dims": list(value.shape), "data": base64.b64encode(data).decode("ascii")}


def _array(t):
    data = base64.b64decode(t["data"])
    return np.frombuffer(data, dtype=_DTYPES[t["dtype"]]).reshape(t["dims"]).copy()

"""Tests that a submission's process cannot rebind: its answers' calls recorded there, judged in a fresh process.

otter runs an assignment's tests in the student's kernel, so a cell such as
``torch.allclose = lambda *a, **k: True`` passes them all. Here the same tests run twice:

1. ``record`` (in the student's kernel, after the notebook): every test of the assignment runs with
   the answers (the names the tests take: functions, classes) wrapped, so that each call the test
   makes to an answer is written down as data: its inputs, its output, the inputs after the call
   (an answer may change them in place) and the random-number state after it. A module an answer
   returns is written down as its layers, parameters and buffers.
2. ``judge`` (in a fresh process that never runs the student's code and reads the record as data
   only, ``torch.load(weights_only=True)``): the instructor's copy of the tests runs again, and each
   call to an answer is answered from the record, once the judge has checked that it asks with the
   same inputs. Every comparison, every expected value and every ``assert`` runs here, against a
   ``torch`` no submission has touched. A module is rebuilt from ``torch.nn``'s own classes; one of
   the student's own classes answers its forward calls from the record.

What the student's process can still forge is the record, and a forged record only claims
outputs: they must be the right outputs for the judge's inputs, which is what the question asks.
(A class of the student's own is described by that process: a forged description can claim a
layer the class does not have; its outputs are still checked.)

    python tools/replay.py --serve AUTOGRADER_ZIP    # reads record paths on stdin, writes one JSON line for each
"""

from __future__ import annotations

import inspect
import json
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import torch

_PLAIN = (bool, int, float, str, type(None))
_MODULE_STATE = frozenset(torch.nn.Module().__dict__)  # nn.Module's own bookkeeping, rebuilt by its __init__


def _is_torch_nn(cls: type) -> bool:
    """A class of ``torch.nn`` itself (``nn.Linear``), which the judge rebuilds and runs on its own."""
    return getattr(torch.nn, cls.__name__, None) is cls


def _case_calling(cases: dict[types.CodeType, str]) -> str:
    """The test case whose function (``cases``: code -> name) is on the stack: each case's calls are its own."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code not in cases:
        frame = frame.f_back
    return "" if frame is None else cases[frame.f_code]


def _cases(test_file: Any) -> dict[types.CodeType, str]:
    return {case.body.test_func.__code__: case.name for case in test_file.test_cases}


class _Recorder:
    """The kernel's side: wraps answers, writes down their calls (only the test's own calls, not nested ones)."""

    def __init__(self, cases: dict[types.CodeType, str]) -> None:
        self.cases = cases
        self.events: dict[str, list[dict]] = {}
        self.modules: list[dict] = []
        self._module_index: dict[int, int] = {}
        self._keep: list[Any] = []  # described modules stay alive, so that their ids stay theirs
        self._depth = 0

    def encode(self, value: Any) -> Any:
        """``value`` as data that ``torch.load(weights_only=True)`` reads: tagged tuples, tensors, plain values."""
        if isinstance(value, torch.Tensor):
            return ("tensor", value.detach().cpu().clone())
        if isinstance(value, _PLAIN):
            return ("value", value)
        if isinstance(value, (tuple, list)):
            return (type(value).__name__, [self.encode(v) for v in value])
        if isinstance(value, dict):
            return ("dict", [(self.encode(k), self.encode(v)) for k, v in value.items()])
        if isinstance(value, torch.dtype):
            return ("dtype", str(value))
        if isinstance(value, torch.nn.Module):
            return ("module", self.describe(value))
        if type(value).__module__ == "numpy" and hasattr(value, "shape"):
            import numpy

            return ("ndarray", torch.from_numpy(numpy.array(value)))
        if callable(value):
            return ("callable", f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__name__)}")
        return ("unrecordable", type(value).__name__)

    def describe(self, module: torch.nn.Module) -> int:
        """The index of ``module``'s description (its class, plain attributes, parameters, buffers, children)."""
        if id(module) in self._module_index:
            return self._module_index[id(module)]
        index = len(self.modules)
        self._module_index[id(module)] = index
        self._keep.append(module)
        self.modules.append({})  # reserved: a child may refer back to it
        cls = type(module)
        attrs = {k: v for k, v in vars(module).items() if k not in _MODULE_STATE and k != "forward"}
        self.modules[index] = {
            "torch_nn": cls.__name__ if _is_torch_nn(cls) else "",
            "name": cls.__name__,
            "attrs": {k: self.encode(v) for k, v in attrs.items() if isinstance(v, (*_PLAIN, tuple, list, torch.dtype))},
            "params": {n: None if p is None else (p.detach().cpu().clone(), p.requires_grad) for n, p in module._parameters.items()},
            "buffers": {n: None if b is None else b.detach().cpu().clone() for n, b in module._buffers.items()},
            "children": [(n, None if c is None else self.describe(c)) for n, c in module._modules.items()],
        }
        if not _is_torch_nn(cls):  # the judge cannot run the student's forward: record its calls
            module.forward = self.wrap(f"module {index}", module.forward, module)
        return index

    def wrap(self, callee: str, function: Any, module: torch.nn.Module | None = None) -> Any:
        """``function``, with each call made at the test's level written down under ``callee``."""

        def recorded(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return function(*args, **kwargs)
            event = {"callee": callee, "inputs": self.encode((args, kwargs)), "error": None, "output": None}
            if module is not None:
                event["training"] = module.training
            self._depth += 1
            try:
                output = function(*args, **kwargs)
            except Exception as error:
                event["error"] = f"{type(error).__name__}: {error}"[:500]
                raise
            finally:
                self._depth -= 1
                event["after"] = self.encode((args, kwargs))
                event["rng"] = torch.get_rng_state()
                self.events.setdefault(_case_calling(self.cases), []).append(event)
            event["output"] = self.encode(output)
            return output

        return recorded


def _parameters(test_file: Any) -> list[str]:
    """The names the test file's cases take from the notebook (otter passes each by name)."""
    return list(dict.fromkeys(p for case in test_file.test_cases for p in inspect.signature(case.body.test_func).parameters))


def record(env: dict[str, Any], tests: str | Path, out: str | Path) -> None:
    """In the student's kernel: run each test file of ``tests`` with the answers of ``env`` wrapped; save the calls to ``out``."""
    from otter.test_files import ExceptionTestFile

    files = {}
    for path in sorted(Path(tests).glob("*.py")):
        recorder = _Recorder({})
        try:
            test_file = ExceptionTestFile.from_file(str(path))
            recorder.cases = _cases(test_file)
            names = _parameters(test_file)
            values = {n: env.get(n) for n in names}
            wrapped = {n: recorder.wrap(f"answer {n}", v) if callable(v) else v for n, v in values.items()}
            encoded = {n: recorder.encode(v) for n, v in values.items() if not callable(v)}
            test_file.run(wrapped)
        except Exception as error:  # the judge reports the file as failed: nothing to hide here
            encoded = {"": ("unrecordable", f"{type(error).__name__}: {error}")}
        files[path.stem] = {"events": recorder.events, "modules": recorder.modules, "values": encoded}
    torch.save(files, out)


# ---- the judge's side -------------------------------------------------------------------------


class Mismatch(AssertionError):
    """The test asked an answer something other than what the record holds."""


def _same(a: Any, b: Any) -> bool:
    """Two encoded values equal, tensors included (dtype, shape, and every element, NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan()) if a.is_floating_point() else a == b).all())
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _tensors(value: Any, encoded: bool = False) -> list[torch.Tensor]:
    """The tensors of a value, or of its encoding, in the same order."""
    if encoded:
        tag, value = value
        if tag == "tensor":
            return [value]
        if tag == "dict":
            return [t for pair in value for item in pair for t in _tensors(item, True)]
        return [t for item in value for t in _tensors(item, True)] if tag in ("tuple", "list") else []
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for pair in value.items() for item in pair for t in _tensors(item)]
    return [t for item in value for t in _tensors(item)] if isinstance(value, (tuple, list)) else []


class _Judge:
    """Answers a test's calls from the record of one test file."""

    def __init__(self, recorded: dict, cases: dict[types.CodeType, str]) -> None:
        self.events = {case: list(events) for case, events in recorded["events"].items()}
        self.cases = cases
        self.descriptions = recorded["modules"]
        self.modules: dict[int, torch.nn.Module] = {}

    def encode(self, value: Any) -> Any:
        """As ``_Recorder.encode``, for the judge's own inputs (a rebuilt module is its index)."""
        if isinstance(value, torch.nn.Module) and hasattr(value, "_replay_index"):
            return ("module", value._replay_index)
        return _Recorder.encode(self, value)  # type: ignore[arg-type]

    def decode(self, encoded: Any) -> Any:
        tag, value = encoded
        if tag == "tensor":
            return value.clone()
        if tag == "value":
            return value
        if tag in ("tuple", "list"):
            items = [self.decode(v) for v in value]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict":
            return {self.decode(k): self.decode(v) for k, v in value}
        if tag == "dtype" and isinstance(getattr(torch, value.removeprefix("torch."), None), torch.dtype):
            return getattr(torch, value.removeprefix("torch."))
        if tag == "module":
            return self.module(value)
        if tag == "ndarray":
            return value.numpy()
        raise TypeError(f"the answer gave a {value}, which the grader cannot check outside the notebook's process: return tensors or numbers")

    def module(self, index: int) -> torch.nn.Module:
        """The module of description ``index``: torch.nn's own class, or a stand-in that answers forward from the record."""
        if index in self.modules:
            return self.modules[index]
        description = self.descriptions[index]
        cls = getattr(torch.nn, description["torch_nn"], None) if description["torch_nn"] else None
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module) and _is_torch_nn(cls)):
            cls = type(description["name"], (_Recorded,), {})
        module = cls.__new__(cls)
        torch.nn.Module.__init__(module)
        self.modules[index] = module
        object.__setattr__(module, "_replay_index", index)
        object.__setattr__(module, "_replay_judge", self)
        for name, value in description["attrs"].items():
            if name.startswith("__"):
                continue
            setattr(module, name, self.decode(value))
        for name, param in description["params"].items():
            module.register_parameter(name, None if param is None else torch.nn.Parameter(param[0], requires_grad=param[1]))
        for name, buffer in description["buffers"].items():
            module.register_buffer(name, buffer)
        for name, child in description["children"]:
            module.add_module(name, None if child is None else self.module(child))
        return module

    def answer(self, callee: str, args: tuple, kwargs: dict, training: bool | None = None) -> Any:
        """The recorded output of the next call, once it is checked to be this one."""
        events = self.events.get(_case_calling(self.cases))
        if not events:
            raise Mismatch(f"{callee} was called here, but not in the notebook's process (its test stopped earlier there)")
        event = events.pop(0)
        if event["callee"] != callee:
            raise Mismatch(f"the test called {callee}; the notebook's process called {event['callee']} at this point")
        inputs = self.encode((args, kwargs))
        if not _same(inputs, event["inputs"]) or event.get("training") != training:
            raise Mismatch(
                f"{callee} got other inputs in the notebook's process than the test gives it "
                "(did the notebook change torch's global state, e.g. its default dtype, or a function the tests use?)"
            )
        mine, changed = _tensors((args, kwargs)), _tensors(event["after"], encoded=True)
        for tensor, after in zip(mine, changed, strict=True):  # what the answer did to its inputs in place
            if not _same(tensor, after):
                with torch.no_grad():
                    tensor.copy_(after)
        torch.set_rng_state(event["rng"])
        if event["error"] is not None:
            raise RuntimeError(f"{callee.removeprefix('answer ')} raised {event['error']}")
        return self.decode(event["output"])

    def answer_for(self, name: str) -> Any:
        def answer(*args: Any, **kwargs: Any) -> Any:
            return self.answer(f"answer {name}", args, kwargs)

        return answer

    def describe(self, module: torch.nn.Module) -> int:
        raise Mismatch("a module the test built itself was given to an answer: the judge cannot compare it")


class _Recorded(torch.nn.Module):
    """A module of the student's own class, rebuilt by the judge: its forward calls are answered from the record."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._replay_judge.answer(f"module {self._replay_index}", args, kwargs, self.training)


def test_sources(autograder_zip: str | Path) -> dict[str, str]:
    """The test files of an autograder zip: name (``q1``) -> source."""
    with zipfile.ZipFile(autograder_zip) as zf:
        return {Path(n).stem: zf.read(n).decode() for n in zf.namelist() if n.startswith("tests/") and n.endswith(".py")}


def judge(record_path: str | Path, sources: dict[str, str]) -> dict[str, dict]:
    """Run the tests (``test_sources``) against the record, in this process: per test file, its score, points and report."""
    from otter.test_files import ExceptionTestFile

    record_data = torch.load(record_path, weights_only=True)
    results = {}
    for name, source in sorted(sources.items()):
        test_file = ExceptionTestFile.from_string(source, path=f"tests/{name}.py")
        recorded = record_data.get(name)
        if recorded is None:
            summary = "not run in the notebook's process"
            results[name] = {"score": 0.0, "possible": test_file.possible, "report": summary}
            continue
        referee = _Judge(recorded, _cases(test_file))
        env = {n: referee.answer_for(n) for n in _parameters(test_file)}
        try:
            env.update({n: referee.decode(v) for n, v in recorded["values"].items()})
        except TypeError as error:
            env = {n: _Unusable(str(error)) for n in env}
        test_file.run(env)
        results[name] = {"score": float(test_file.score), "possible": float(test_file.possible), "report": test_file.summary()}
    return results


class _Unusable:
    """What a test gets for an answer the record could not carry: any use fails with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __getattr__(self, name: str) -> Any:
        raise TypeError(self.reason)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(self.reason)


def serve(autograder_zip: str | Path) -> None:
    """Judge the records whose paths come on stdin, one a line, each answered with a JSON line on stdout.

    One process judges a whole folder of submissions (torch is imported once). A record that
    cannot be judged gets ``{"error": ...}``: it is the submission's, and the next one is judged.
    """
    sources = test_sources(autograder_zip)
    answers, sys.stdout = sys.stdout, sys.stderr  # whatever else prints cannot break the one-line answers
    for line in sys.stdin:
        try:
            outcome = judge(line.strip(), sources)
        except Exception as error:  # reported as this record's result, the grader flags the submission
            outcome = {"error": f"{type(error).__name__}: {error}"[:500]}
        print(json.dumps(outcome), file=answers, flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--serve"] or len(sys.argv) != 3:
        sys.exit(__doc__.splitlines()[-1].strip())
    serve(sys.argv[2])

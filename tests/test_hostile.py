"""Hostile submissions, one per technique: each must earn nothing it did not compute.

Every case asserts that the affected checks score 0 while the others keep their points, that the
feedback is schema-valid and says what happened, that no process of the submission survives,
that nothing outside the scratch directory changed, and that a correct submission graded right
after still earns full marks. Most cases replace only `train` (a leaf function worth 7 of 30
points), so a technique that leaked into the grader would show as a wrong total.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, reference_source
from grader.grading.engine import grade
from grader.feedback.model import schema_errors
from grader.course.manifest import load_course
from grader.sandbox.launchers import BwrapLauncher, PlainProcessLauncher, bwrap_problem
from grader.sandbox.warm_launcher import WarmTemplateLauncher

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
TRAIN_CHECKS = {"public/train_worked_example", "hidden/train_random", "hidden/train_stops_at_threshold"}
ALL = "all"
STRONG_REASON = bwrap_problem()
needs_bwrap = pytest.mark.skipif(STRONG_REASON is not None, reason=f"needs bubblewrap: {STRONG_REASON}")


@dataclass(frozen=True)
class Hostile:
    name: str
    code: str                       # appended to the reference solution (or the whole file when `alone`)
    affected: object = frozenset(TRAIN_CHECKS)
    outcomes: tuple = ("failed", "error")
    says: str = ""                  # words the affected checks' messages must contain
    alone: bool = False
    strong_only: bool = False       # a technique only namespaces can stop


def train_returning(body: str) -> str:
    return "\n\ndef train(x, t, params, learning_rate, epochs, threshold=None):\n" + "\n".join(
        "    " + line for line in body.strip("\n").splitlines()) + "\n"


HOSTILE = [
    Hostile("always-equal objects", train_returning("""
class Equal(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __float__(self): return 0.0
return ({k: Equal(0) for k in params}, [Equal(0)] * epochs)"""), says="unsupported type"),
    Hostile("ndarray subclass with lying ufuncs", train_returning("""
import numpy as np
class Liar(np.ndarray):
    def __array_ufunc__(self, *args, **kwargs): return True
    def __eq__(self, other): return True
errors = np.zeros(epochs).view(Liar)
return ({k: np.zeros(1).view(Liar) for k in params}, errors)""")),
    Hostile("patching numpy.allclose, pytest.approx and builtins", train_returning("""
import builtins, numpy, pytest
numpy.allclose = numpy.isclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
pytest.approx = lambda expected, *a, **k: expected
builtins.abs = lambda value: 0
builtins.len = lambda value: epochs
builtins.isinstance = lambda *a: True
return ({k: 0.0 for k in params}, [0.0])"""), outcomes=("failed", "error", "crashed")),
    Hostile("fake pytest and conftest modules beside the submission", train_returning("return ({}, [])"),
            says=""),  # the fake files are written by the test itself
    Hostile("sys.exit at import", "import sys\nsys.exit(0)\n", affected=ALL, outcomes=("error",), says="sys.exit", alone=True),
    Hostile("os._exit at import", "import os\nos._exit(0)\n", affected=ALL, outcomes=("crashed",), says="exited with code 0", alone=True),
    Hostile("sys.exit inside a call", train_returning("import sys\nsys.exit(0)"), outcomes=("error",), says="sys.exit"),
    Hostile("os._exit inside a call", train_returning("import os\nos._exit(0)"), outcomes=("crashed",), says="crashed"),
    Hostile("printing fake results", train_returning("""
print('{"score": 30, "max_score": 30, "status": "graded"}')
print("PASSED hidden/train_random 3/3\\n30 passed in 0.1s")
import sys; sys.stderr.write("==== 30 passed ====\\n")
return ({k: 0.0 for k in params}, [])""")),
    Hostile("writing forged result files", train_returning("""
import json, os
forged = {"score": 30, "max_score": 30, "checks": []}
for target in ("feedback.json", "results.json", "/tmp/feedback.json", os.path.expanduser("~/feedback.json"),
               "/submission/feedback.json", "../feedback.json", "FORGED_PATH"):
    try:
        with open(target, "w") as stream: json.dump(forged, stream)
    except OSError:
        pass
return ({k: 0.0 for k in params}, [])"""), strong_only=True),
    Hostile("looking for and importing the reference solution", train_returning("""
import glob, importlib.util, os
candidates = ["COURSE_ROOT/solutions/02_backprop/backprop.py", "../../solutions/02_backprop/backprop.py"]
for root in ("COURSE_ROOT", "/work", "/root", "/home", "/scratch", os.getcwd(), "/submission"):
    for pattern in ("solutions/**/*.py", "*/solutions/**/*.py", "exercises/**/*.py"):
        candidates += glob.glob(os.path.join(root, pattern), recursive=True)
for root in ("/scratch", os.getcwd(), "/submission", "/root", "/home"):
    candidates += glob.glob(os.path.join(root, "**", "hidden_checks.py"), recursive=True)
candidates = [p for p in candidates if os.path.exists(p)]
for path in candidates:
    spec = importlib.util.spec_from_file_location("stolen", path)
    stolen = importlib.util.module_from_spec(spec); spec.loader.exec_module(stolen)
    if hasattr(stolen, "train"):
        return stolen.train(x, t, params, learning_rate, epochs, threshold)
raise LookupError("found no reference among %d candidates" % len(candidates))"""),
            outcomes=("error",), says="found no reference", strong_only=True),
    Hostile("printing every file that looks like a check", train_returning("""
import glob
import os
paths = [p for root in ("COURSE_ROOT/exercises", "COURSE_ROOT/solutions", "COURSE_ROOT/tests", "/scratch", "/submission")
         for pattern in ("**/*checks*.py", "**/test_*.py") for p in glob.glob(os.path.join(root, pattern), recursive=True)]
for path in paths:
    try: print(open(path).read())
    except OSError: pass
raise LookupError("nothing to print")"""), outcomes=("error",), says="nothing to print", strong_only=True),
    Hostile("walking caller frames for expected values", train_returning("""
import sys, gc
found = {}
frame = sys._getframe()
while frame is not None:
    for name, value in frame.f_locals.items():
        if name in ("want", "want_params", "want_errors", "expected", "reference"):
            found[name] = value
    frame = frame.f_back
for obj in gc.get_objects():
    if isinstance(obj, dict) and "want_errors" in obj:
        found.update(obj)
if "want_params" in found:
    return found["want_params"], found["want_errors"]
raise LookupError("no expected values in %d frames' reach" % len(found))"""), outcomes=("error",), says="no expected values"),
    Hostile("an infinite loop", train_returning("while True:\n    pass"), outcomes=("timeout",), says="did not finish"),
    Hostile("ignoring SIGTERM", train_returning("""
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.01)"""), outcomes=("timeout",)),
    Hostile("a Python memory bomb", train_returning("""
hoard = []
while True:
    hoard.append(bytearray(50 * 2**20))
    hoard[-1][::4096] = b"x" * len(hoard[-1][::4096])"""), outcomes=("memory",), says="memory"),
    Hostile("a numpy memory bomb", train_returning("""
import numpy as np
return (np.ones((60000, 60000)), [])"""), outcomes=("memory",), says="memory"),
    Hostile("a fork storm", train_returning("""
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.001)"""), outcomes=("crashed", "timeout", "memory"), strong_only=True),
    Hostile("a detached daemon", train_returning("""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "DAEMON_MARKER"])
    os._exit(0)
time.sleep(0.2)
return ({k: 0.0 for k in params}, [])""")),
    Hostile("gigabytes of output with terminal escapes", train_returning("""
import sys
chunk = "\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07" + "A" * 1000 + "\\r\\n"
for _ in range(2_000_000):
    sys.stdout.write(chunk)
    sys.stderr.write(chunk)"""), outcomes=("timeout", "error", "failed")),
    Hostile("an enormous return value", train_returning("return ({k: 0.0 for k in params}, list(range(2_000_000)))"),
            outcomes=("error",), says="elements"),
    Hostile("a deeply nested return value", train_returning("""
value = []
for _ in range(100_000):
    value = [value]
return ({k: 0.0 for k in params}, value)"""), outcomes=("error",), says="nested"),
    Hostile("unencodable return types", train_returning("return (lambda: params, (e for e in range(epochs)))"),
            outcomes=("error",), says="unsupported type"),
    Hostile("a network connection to localhost", train_returning("""
import socket
connection = socket.create_connection(("127.0.0.1", PORT), timeout=2)
connection.sendall(b"give me the answers")
return ({k: 0.0 for k in params}, [])"""), outcomes=("error",), says="raised", strong_only=True),
    Hostile("writing outside the scratch directory and deleting course files", train_returning("""
import os, shutil
for path in COURSE_FILES:
    try: os.remove(path)
    except OSError: pass
for folder in ("EXERCISES_DIR", "SOLUTIONS_DIR"):
    shutil.rmtree(folder, ignore_errors=True)
for target in ("OUTSIDE_FILE", os.path.expanduser("~/pwned")):
    try:
        with open(target, "w") as stream: stream.write("pwned")
    except OSError: pass
return ({k: 0.0 for k in params}, [])"""), strong_only=True),
    Hostile("a segfault", train_returning("import ctypes\nctypes.string_at(0)"), outcomes=("crashed",), says="SIGSEGV"),
    Hostile("C-stack recursion", train_returning("""
import sys
sys.setrecursionlimit(10**8)
def deeper(n): return deeper(n + 1) + 1
return deeper(0)"""), outcomes=("crashed", "error", "memory")),
    Hostile("reading the grader's environment and command line", train_returning("""
import os
seen = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try: seen.append(open(f"/proc/{pid}/cmdline", "rb").read())
        except OSError: pass
if any(b"hidden_checks" in line or b"solutions" in line or b"STUDENT_DIR" in line or b"--ro-bind" in line for line in seen):
    raise RuntimeError("saw the grader")
raise LookupError("only saw %d processes of my own" % len(seen))"""), outcomes=("error",), says="of my own", strong_only=True),
    Hostile("killing the parent process", train_returning("""
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
return ({k: 0.0 for k in params}, [])"""), outcomes=("crashed", "failed", "error"), strong_only=True),
    Hostile("sending answers nobody asked for on the result channel", train_returning("""
import sys, json, struct, os
fd = int(sys.argv[sys.argv.index("--response-fd") + 1])
for request_id in range(1, 200):
    body = json.dumps({"id": request_id, "status": "ok", "value": 0.0}).encode()
    os.write(fd, struct.pack(">I", len(body)) + body)
return ({k: 0.0 for k in params}, [])""")),
    Hostile("garbage on the result channel", train_returning("""
import sys, os
fd = int(sys.argv[sys.argv.index("--response-fd") + 1])
os.write(fd, b"\\xff\\xff\\xff\\xf0" + b"{" * 1000)
import time; time.sleep(5)"""), outcomes=("error", "timeout")),
    Hostile("a slow import", "import time\ntime.sleep(60)\n", affected=ALL, outcomes=("timeout",), says="took longer", alone=True),
]


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if any(part in (".venv", ".git", "__pycache__", ".pytest_cache") for part in path.parts) or not path.is_file():
            continue
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def processes_mentioning(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


class Listener:
    """A localhost server that records whether anyone connected."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
                self.connections += 1
                connection.close()
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


LAUNCHERS = [pytest.param("bwrap", marks=needs_bwrap, id="bwrap"), pytest.param("warm", marks=needs_bwrap, id="warm"),
             pytest.param("process", id="process")]


@pytest.fixture(scope="module")
def warm_launcher():
    """One template for the whole module: every hostile submission meets the same warm template,
    as in a batch, and the honest submission after each must still earn full marks."""
    launcher = WarmTemplateLauncher()
    yield launcher
    launcher.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", LAUNCHERS)
@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_submission_earns_nothing_it_did_not_compute(hostile, mode, tmp_path, request):
    if hostile.strong_only and mode == "process":
        pytest.skip("only namespaces stop this technique; the weak mode says so in its feedback")
    launcher = {"bwrap": BwrapLauncher, "process": PlainProcessLauncher}.get(mode) or request.getfixturevalue("warm_launcher")
    launcher = launcher() if isinstance(launcher, type) else launcher
    marker = uuid.uuid4().hex
    outside = tmp_path / "outside" / f"pwned-{marker}"
    outside.parent.mkdir()
    course = tmp_path / "course_files"
    (course / "exercises").mkdir(parents=True)
    (course / "solutions").mkdir(parents=True)
    victim = course / "exercises" / "victim.txt"
    victim.write_text("keep me")
    listener = Listener()
    code = (hostile.code.replace("PORT", str(listener.port)).replace("DAEMON_MARKER", marker)
            .replace("FORGED_PATH", str(tmp_path / "forged.json")).replace("OUTSIDE_FILE", str(outside))
            .replace("COURSE_FILES", repr([str(victim), str(ROOT / "course.yaml")]))
            .replace("EXERCISES_DIR", str(course / "exercises")).replace("SOLUTIONS_DIR", str(ROOT / "solutions"))
            .replace("COURSE_ROOT", str(ROOT)).replace("STUDENT_DIR", str(tmp_path / "student")))
    source = code if hostile.alone else reference_source("02_backprop") + code
    folder = tmp_path / "student"
    folder.mkdir()
    submission = folder / f"hostile_{marker}.py"
    submission.write_text(source)
    (folder / "pytest.py").write_text(f"open({str(outside)!r}, 'w').write('fake pytest ran')\n")
    (folder / "conftest.py").write_text(f"open({str(outside)!r}, 'w').write('fake conftest ran')\n")
    (folder / "sitecustomize.py").write_text(f"open({str(outside)!r}, 'w').write('sitecustomize ran')\n")
    (folder / "numpy.py").write_text(f"open({str(outside)!r}, 'w').write('fake numpy ran')\n")
    before = fingerprint(ROOT)

    try:
        # cells="all": every statement runs, as it would for an attacker who makes it reachable from a
        # graded function; the sandbox, not the slicing, must stop it.
        feedback = grade(EXERCISE, submission, launcher=launcher, cells="all")
    finally:
        listener.close()
    document = feedback.to_dict()

    assert schema_errors(document) == []
    assert document["status"] != "grader_failed", document.get("grader_error")
    assert document["status"] != "timed_out", "the grading ran into its whole-submission time limit"
    affected = {c["id"] for c in document["checks"]} if hostile.affected == ALL else hostile.affected
    for check in document["checks"]:
        if check["id"] in affected:
            assert check["score"] == 0, check
            assert check["outcome"] in hostile.outcomes, check
            assert hostile.says.lower() in check["message"].lower(), check
        else:
            assert check["outcome"] == "passed", check
    assert document["score"] == sum(c["max_score"] for c in document["checks"] if c["id"] not in affected)
    output = document["output"]["stdout_tail"] + document["output"]["stderr_tail"]
    assert "\x1b" not in output and "\x07" not in output
    assert len(output) <= 2 * EXERCISE.limits.output_kib * 1024
    if mode != "process":
        assert "def test_" not in output, "a check file was visible to the submission"

    time.sleep(0.1)
    assert processes_mentioning(submission.name) == [], "a process of the submission survived"
    assert processes_mentioning(marker) == [], "a detached process of the submission survived"
    assert fingerprint(ROOT) == before, "the course repository changed"
    if mode != "process":
        assert not outside.exists(), outside.read_text()
        assert victim.read_text() == "keep me"
        assert not (tmp_path / "forged.json").exists()
        assert sorted(p.name for p in folder.iterdir()) == sorted(["pytest.py", "conftest.py", "sitecustomize.py", "numpy.py", submission.name])
        assert listener.connections == 0
    assert not outside.exists(), outside.read_text()

    honest = grade(EXERCISE, EXERCISE.reference_path, launcher=launcher)
    assert honest.score == honest.max_score == 30


# ---------------------------------------------------------------- the student's data never makes the grader fail (issue 9, item 3)
# Each runs the real `grade` command. What the student's values or source make trusted code raise (the checks,
# the wire decoder, the notebook reader) is graded as the student's error or as a broken submission, never as
# `grader_failed` ("not your fault", exit 3); a real bug in a check still is.

ERROR_CHECKS = {"public/error_worked_example", "hidden/error_random"}

FORGE_ANSWER = """
import json, os, struct, sys
request = sys._getframe(1).f_locals["request"]          # the child's own frame holds the request id
fd = int(sys.argv[sys.argv.index("--response-fd") + 1])
body = json.dumps({{"id": request["id"], "status": "ok", "value": {value}}}).encode()
os.write(fd, struct.pack(">I", len(body)) + body)
os._exit(0)
"""

HOSTILE_VALUES = {
    # what `error` returns -> words its checks' messages must contain
    "an int too large for a float": ("return 10**400", "cannot compute with (OverflowError"),
    "a negative int too large for a float": ("return [-(10**999)]", "cannot compute with (OverflowError"),
    "an int too long for JSON": ("return 10**5000", "integer with more than 1000 digits"),
    "NaN": ("return float('nan')", "error("),
    "infinity": ("import numpy as np\nreturn np.array([np.inf])", "error("),
    "a ragged nested list": ("return [[1], [[2]], 3]", "should be a number"),
    "a deeply nested list": ("v = 1.0\nfor _ in range(30):\n    v = [v]\nreturn v", "should be a number"),
    "a giant string": ("return 'x' * 900_000", "should be a number"),
    "a lone surrogate": ("return '\\ud800'", "valid text"),
    "a zero-size array of a huge dimension": ("return __import__('numpy').zeros((0, 4_000_000))", "should be a number"),
    "a forged array of shape [0, 2**62]": (FORGE_ANSWER.format(value={"ndarray": {"dtype": "float64", "shape": [0, 2**62], "data": ""}}),
                                           "cannot read: an array's shape is malformed"),
    "a forged unhashable dtype": (FORGE_ANSWER.format(value={"ndarray": {"dtype": ["float64"], "shape": [1], "data": "AAAAAAAA8D8="}}),
                                  "cannot read: an array's dtype"),
    "forged non-ASCII array data": (FORGE_ANSWER.format(value={"ndarray": {"dtype": "float64", "shape": [1], "data": "é" * 8}}),
                                    "cannot read: an array's data"),
}


def assert_graded_as_the_students(run, check_ids, says):
    document = run.document
    assert run.returncode == 0, (run.returncode, document.get("grader_error"))
    assert document["status"] == "graded" and "grader_error" not in document, document.get("grader_error")
    assert schema_errors(document) == []
    for check_id in check_ids:
        check = run.check(check_id)
        assert check["outcome"] in ("failed", "error") and check["score"] == 0, check
        assert says in check["message"], check
        assert "not in your code" not in check["message"], check


@pytest.mark.parametrize("body", HOSTILE_VALUES.values(), ids=HOSTILE_VALUES.keys())
def test_a_hostile_return_value_is_the_students_error_not_the_graders(grade_source, body):
    code, says = body
    source = reference_source("02_backprop") + "\n\ndef error(t, a2):\n" + "".join(
        f"    {line}\n" for line in code.strip("\n").splitlines())
    run = grade_source("02_backprop", source)
    assert_graded_as_the_students(run, ERROR_CHECKS, says)
    assert run.check("public/sigmoid_worked_example")["outcome"] == "passed"


def test_a_bug_in_a_check_after_the_student_answered_is_still_the_graders(course_copy):
    from conftest import run_grade

    checks = course_copy / "solutions/02_backprop/hidden_checks.py"
    text = checks.read_text()
    assert "want = float(reference.error(t, a2))" in text   # the line the bug goes into: this test must inject it
    checks.write_text(text.replace("want = float(reference.error(t, a2))",
                                   "want = float(reference.error(t, a2)) + undefined_helper", 1))
    run = run_grade(course_copy / "exercises/02_backprop", "--submission", course_copy / "solutions/02_backprop/backprop.py",
                    "--json", "-", cwd=course_copy)
    assert run.returncode == 3
    document = run.document
    assert document["status"] == "grader_failed" and "not your fault" in document["message"]
    assert "NameError" in document["grader_error"] and "hidden/error_random" in document["grader_error"]
    assert schema_errors(document) == []


DEEP_SOURCES = {
    "X=(1+1+...+1)": "X = (" + "+".join(["1"] * 100_000) + ")",
    "X=----...1": "X = " + "-" * 100_000 + "1",
    "100k nested brackets": "X = " + "[" * 100_000 + "]" * 100_000,
    # Within the token budget, so Python's parser meets them: its depth limits must be the student's too.
    "X=----...1 (40k)": "X = " + "-" * 40_000 + "1",
    "X=(1+1+...+1) (40k)": "X = (" + "+".join(["1"] * 40_000) + ")",
}


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
@pytest.mark.parametrize("line", DEEP_SOURCES.values(), ids=DEEP_SOURCES.keys())
def test_source_too_deep_for_python_is_a_broken_submission(grade_source, line, suffix):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    source = reference_source("02_backprop")
    if suffix == ".ipynb":
        content = nbformat.writes(new_notebook(cells=[new_code_cell(source), new_code_cell(line)]))
    else:
        content = source + "\n" + line + "\n"
    run = grade_source("02_backprop", content, name=f"backprop{suffix}")
    document = run.document
    assert run.returncode == 0, document.get("grader_error")
    assert document["status"] == "submission_broken" and document["score"] == 0, document["message"]
    assert schema_errors(document) == []
    # Refused by its size in tokens before the grader parses it, or by Python's parser for its depth.
    assert any(words in document["message"] for words in ("nested", "RecursionError", "tokens")), document["message"]
    assert "out of memory" not in document["message"]   # the parser's MemoryError is not a memory limit
    if suffix == ".ipynb":
        assert "cell 2" in document["message"]


def test_a_200_kb_file_of_nested_brackets_is_not_a_notebook(grade_source):
    run = grade_source("02_backprop", "[" * 100_000 + "]" * 100_000, name="backprop.ipynb")
    assert run.returncode == 0, run.document.get("grader_error")
    assert run.document["status"] == "submission_broken"
    assert "not a Jupyter notebook" in run.document["message"] and schema_errors(run.document) == []

"""run_autograder the way Gradescope runs it: as root, in a fresh /autograder layout (under a temporary root).

With bubblewrap, an honest and a hostile submission get exactly what they earn. Without it, nothing
of the submission runs and results.json says the grading could not run safely.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, reference_source, run_grade

pytestmark = pytest.mark.slow

STUB = (ROOT / "exercises/02_backprop/backprop.py").read_text()
SIGMOID = "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n"
HELPER = "import numpy as np\n\n\n" + SIGMOID
USES_HELPER = reference_source("02_backprop").replace(SIGMOID, "from activations import sigmoid\n", 1)
assert USES_HELPER != reference_source("02_backprop")

# Looks for the course everywhere a process might reach it (the parent's folder through /proc, every
# process's cwd and root, inherited descriptors, well-known folders) and, if it finds the reference,
# forwards every function to it. Writes a marker file first, to prove whether it ran at all.
HOSTILE = '''
import os, pathlib, stat
try:
    pathlib.Path({marker!r}).write_text("ran")
except OSError:
    pass
_places = ["/autograder/source", {root!r} + "/source", "/opt/grader/..", "/opt", "/"]
try:
    _places.append("/proc/%d/cwd" % os.getppid())
    for _pid in os.listdir("/proc"):
        if _pid.isdigit():
            _places += ["/proc/%s/cwd" % _pid, "/proc/%s/root/autograder/source" % _pid,
                        "/proc/%s/root" % _pid + {root!r} + "/source"]
    for _fd in os.listdir("/proc/self/fd"):
        try:
            _places.append(os.readlink("/proc/self/fd/" + _fd))
            if stat.S_ISREG(os.stat("/proc/self/fd/" + _fd).st_mode):   # an inherited open file
                _text = open("/proc/self/fd/" + _fd).read()
                if "def gradients" in _text:
                    print("FOUND fd", _fd)
                    exec(compile(_text, "reference", "exec"), globals())
        except (OSError, ValueError):
            pass
except OSError:
    pass
for _place in list(_places):
    for _up in ("", "/..", "/../..", "/../source", "/source"):
        _places.append(_place + _up)
for _place in _places:
    _file = os.path.join(_place, "solutions/02_backprop/backprop.py")
    try:
        _code = open(_file).read()
    except OSError:
        continue
    print("FOUND", _file)
    exec(compile(_code, "reference", "exec"), globals())
    break
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    run = run_grade("gradescope", "02_backprop", "--out", out)
    assert run.returncode == 0, run.stderr
    return out


def layout(tmp_path: Path, bundle: Path, files: dict[str, str]) -> Path:
    """Gradescope's folders: the zip extracted into source/, run_autograder copied beside it."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source/run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    return root


def tools(tmp_path: Path, with_bwrap: bool) -> str:
    """A PATH whose python3 is this virtualenv's: the system's folders, or only the shell tools and no bwrap."""
    folder = tmp_path / "bin"
    folder.mkdir()
    python = folder / "python3"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    if with_bwrap:
        assert shutil.which("bwrap"), "this test needs bubblewrap installed"
        return f"{folder}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for tool in ("mkdir", "rm"):
        (folder / tool).symlink_to(shutil.which(tool))
    return str(folder)


def run_autograder(root: Path, path: str, leak: Path | None = None,
                   debug: bool = False) -> tuple[subprocess.CompletedProcess, dict]:
    """Run it as Gradescope does; `leak` is a file the harness left open, inherited by run_autograder."""
    fds = (os.open(leak, os.O_RDONLY),) if leak else ()
    env = {"PATH": path, "AUTOGRADER_ROOT": str(root), "HOME": str(root), "LANG": "C.UTF-8",
           **({"GRADER_DEBUG": "1"} if debug else {})}
    try:
        completed = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True,
                                   timeout=300, pass_fds=fds, env=env)
    finally:
        for fd in fds:
            os.close(fd)
    results = json.loads((root / "results/results.json").read_text())
    assert_gradescope_format(results)
    return completed, results


def assert_gradescope_format(results: dict) -> None:
    assert isinstance(results["score"], (int, float)) and isinstance(results["output"], str)
    assert results.get("visibility", "visible") in ("visible", "hidden", "after_due_date", "after_published")
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test), test
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")


def test_the_bundle_holds_the_course_at_its_root_as_gradescope_extracts_it(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        assert {"setup.sh", "run_autograder", "course.yaml", "grader/bundles/autograder.py",
                "solutions/02_backprop/hidden_checks.py"} <= names
        assert not [name for name in names if name.startswith("source/")]
        assert (archive.getinfo("run_autograder").external_attr >> 16) & 0o111


def test_honest_and_hostile_submissions_get_what_they_earn_under_bubblewrap(tmp_path, bundle):
    assert os.geteuid() == 0, "Gradescope runs the autograder as root; so does this test"
    path = tools(tmp_path, with_bwrap=True)
    honest = layout(tmp_path / "honest", bundle, {"backprop.py": reference_source("02_backprop")})
    completed, results = run_autograder(honest, path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert results["score"] == 30 and len(results["tests"]) == 14
    assert all(test["status"] == "passed" for test in results["tests"])

    marker = tmp_path / "hostile-ran"
    hostile_root = tmp_path / "hostile" / "autograder"
    hostile = layout(tmp_path / "hostile", bundle,
                     {"backprop.py": STUB + HOSTILE.format(marker=str(marker), root=str(hostile_root))})
    completed, results = run_autograder(hostile, path, leak=hostile / "source/solutions/02_backprop/backprop.py")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert results["score"] == 0, [(t["number"], t["score"]) for t in results["tests"]]
    assert len(results["tests"]) == 14
    assert not marker.exists()   # it ran inside the sandbox, where the host's folders are not even writable
    modes = {path.stat().st_mode & 0o777 for path in (hostile / "source/solutions").rglob("*.py")}
    assert modes == {0o600}


def test_a_students_exit_code_is_never_the_graders_failure_under_bubblewrap(tmp_path, bundle):
    """os._exit(97) is the launcher's "could not join its cgroup": it once made run_autograder exit 3 and say
    "not your fault"; only a channel the student's code cannot write may say the grader failed."""
    path = tools(tmp_path, with_bwrap=True)
    forger = "import os\n" + reference_source("02_backprop").replace("def sigmoid(z):", "def sigmoid(z):\n    os._exit(97)", 1)
    root = layout(tmp_path / "forger", bundle, {"backprop.py": forger})
    completed, results = run_autograder(root, path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert 0 < results["score"] < 30 and "not your fault" not in json.dumps(results)
    crashed = [test for test in results["tests"] if test["status"] == "failed" and "code 97" in test.get("output", "")]
    assert crashed, results["tests"]


def test_without_bubblewrap_nothing_runs_and_results_say_so(tmp_path, bundle):
    marker = tmp_path / "ran"
    root = layout(tmp_path, bundle, {"backprop.py": f"open({str(marker)!r}, 'w').write('ran')\n"
                                     + reference_source("02_backprop")})
    completed, results = run_autograder(root, tools(tmp_path, with_bwrap=False))
    assert completed.returncode == 3
    assert not marker.exists()
    assert results["score"] == 0
    assert "could not start its sandbox" in results["output"] and "not your fault" in results["output"]
    assert "bubblewrap (bwrap) is not installed" in results["output"]
    assert [test["visibility"] for test in results["tests"]] == ["hidden"]
    assert "refusing to grade without strong isolation" in completed.stderr


def test_no_python_file_is_the_students_to_fix(tmp_path, bundle):
    root = layout(tmp_path, bundle, {"notes.txt": "my answers are in my head"})
    completed, results = run_autograder(root, tools(tmp_path, with_bwrap=True))
    assert completed.returncode == 0, completed.stderr
    assert results["score"] == 0
    assert "backprop.py" in results["output"] and "backprop.ipynb" in results["output"]
    assert ".py" in results["output"].replace("backprop.py", "") and ".ipynb" in results["output"].replace("backprop.ipynb", "")


def test_a_folder_with_a_helper_module_grades_as_grade_batch_grades_it(tmp_path, bundle):
    """backprop.py imports its sigmoid from activations.py: once ModuleNotFoundError on Gradescope, 30/30 in a batch."""
    files = {"backprop.py": USES_HELPER, "activations.py": HELPER, "notes.txt": "sigmoid is in activations.py"}
    root = layout(tmp_path / "gradescope", bundle, files)
    completed, results = run_autograder(root, tools(tmp_path, with_bwrap=True))
    assert completed.returncode == 0, completed.stderr[-3000:]

    submissions = tmp_path / "submissions"
    shutil.copytree(root / "submission", submissions / "alice")
    out = tmp_path / "out"
    batch = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", "02_backprop",
                            "--out", str(out), "--jobs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert batch.returncode == 0, batch.stderr[-3000:]
    batched = json.loads((out / "feedback" / "alice.json").read_text())
    assert results["score"] == batched["score"] == 30
    assert {test["number"]: test["status"] for test in results["tests"]} == {
        check["id"]: "passed" if check["outcome"] == "passed" else "failed" for check in batched["checks"]}
    assert "ModuleNotFoundError" not in json.dumps(results)


def test_a_grader_failure_reaches_the_instructor_and_not_the_student(tmp_path, bundle):
    """The course's points disagree with the checks' (an instructor's slip): results.json tells the student it is not
    their fault, a hidden test and stderr tell the instructor why."""
    root = layout(tmp_path, bundle, {"backprop.py": reference_source("02_backprop")})
    manifest = root / "source/course.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("entry: backprop.py\n    points: 30", "entry: backprop.py\n    points: 31"))
    assert manifest.read_text() != text
    completed, results = run_autograder(root, tools(tmp_path, with_bwrap=True))
    assert completed.returncode == 3
    assert "not your fault" in results["output"] and "course.yaml" not in results["output"]
    [note] = [test for test in results["tests"] if test["visibility"] == "hidden"]
    assert "worth 30 points but course.yaml" in note["output"] and note["max_score"] == 0
    assert "worth 30 points but course.yaml" in completed.stderr


def test_a_grader_crash_is_written_to_stderr_and_results_and_debug_shows_the_traceback(tmp_path, bundle):
    root = layout(tmp_path, bundle, {"backprop.py": reference_source("02_backprop")})
    (root / "source/course.yaml").write_text("title: [unclosed\n")
    path = tools(tmp_path, with_bwrap=True)
    quiet, results = run_autograder(root, path)
    assert quiet.returncode == 3
    assert "run_autograder: grading 02_backprop failed with" in quiet.stderr and "Traceback" not in quiet.stderr
    [note] = results["tests"]
    assert note["visibility"] == "hidden" and "course.yaml" in note["output"]
    assert "not your fault" in results["output"] and "course.yaml" not in results["output"]

    loud, _ = run_autograder(root, path, debug=True)
    assert loud.returncode == 3 and "Traceback (most recent call last)" in loud.stderr


def test_when_python_cannot_even_start_results_json_still_tells_both_sides(tmp_path, bundle):
    """run_autograder's shell writes results.json itself when the grader wrote none: the student reads that it is
    not their fault, the instructor's hidden test names the exit status."""
    root = layout(tmp_path, bundle, {"backprop.py": reference_source("02_backprop")})
    folder = tmp_path / "broken-bin"
    folder.mkdir()
    (folder / "python3").write_text("#!/bin/sh\necho 'python3: cannot start' >&2\nexit 7\n")
    (folder / "python3").chmod(0o755)
    for tool in ("mkdir", "rm"):
        (folder / tool).symlink_to(shutil.which(tool))
    completed, results = run_autograder(root, str(folder))
    assert completed.returncode == 7 and "python3: cannot start" in completed.stderr
    assert results["score"] == 0 and "not your fault" in results["output"] and "(exit 7)" in results["output"]
    [note] = results["tests"]
    assert note["visibility"] == "hidden" and "exited 7 without writing results.json" in note["output"]

"""`grade batch --cluster` on a real Dask cluster (a scheduler and two workers on 127.0.0.1, no mocks).

The same 42 submissions of 02_backprop are graded by a local batch and on the cluster with the same seed
key; grades, feedback documents and exports must agree. Then a worker is killed mid-batch, and then the
client itself, and nothing may be lost or doubled. The rules about addresses and the checks on what a
worker answers are unit tests at the end.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, reference_source
from dask_cluster import LocalCluster, make_certificates
from grader.batch.runner import Job
from grader.audit.cases import cases_of
from grader.cluster.address import TlsFiles, cluster_target
from grader.cluster.dispatch import NotItsFeedback, accept
from grader.cluster.payload import SentFile, UnsafeItem, WorkItem, materialize, submission_files
from grader.course.manifest import load_course
from grader.errors import UsageError
from grader.sandbox.launchers import bwrap_problem

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
QUICK_ATTACKS = ("hostile_exits_the_process", "hostile_lying_equality", "hostile_patches_numpy_and_prints_a_pass",
                 "hostile_segfault")
needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"bubblewrap unavailable: {bwrap_problem()}")


# Issue 22's attacks on the cluster: a feedback past the worker's answer limit once read as the grader's failure,
# and the launcher's own set-up exit code from the student's code as well.
HUGE_FEEDBACK = 'def sigmoid(z):\n    return {"a" * 1_000_000: 0.5, "b" * 1_000_000: 0.5}\n'
SETUP_CODE_FORGER = "import os\n" + reference_source("02_backprop").replace("def sigmoid(z):", "def sigmoid(z):\n    os._exit(97)", 1)


def write_submissions(folder: Path) -> Path:
    """43 students: 27 correct, 8 with a named mistake, 6 hostile, the stub, and one without a Python file."""
    folder.mkdir(parents=True)
    reference = reference_source("02_backprop")
    mistakes = [case.source() for case in cases_of(EXERCISE, "mistake")][:8]
    attacks = [case.source() for case in cases_of(EXERCISE, "hostile") if case.name in QUICK_ATTACKS]
    sources = [reference + f"\n# {index}\n" for index in range(27)] + mistakes + attacks
    for index, source in enumerate(sources):
        (folder / f"student{index:02d}.py").write_text(source)
    (folder / "huge_feedback.py").write_text(HUGE_FEEDBACK)
    (folder / "forger.py").write_text(SETUP_CODE_FORGER)
    shutil.copy(EXERCISE.stub_path, folder / "stub.py")
    (folder / "notes.txt").write_text("I could not do it")
    return folder


def batch(submissions: Path, out: Path, *extra: str, wait: bool = True) -> subprocess.Popen | subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grader", "batch", str(submissions), "--exercise", EXERCISE.id, "--out", str(out),
               *extra]
    if wait:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return dict(db.execute("SELECT student, COUNT(*) FROM attempts GROUP BY student"))


def wait_for_rows(out: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "gradebook.sqlite").is_file() and sum(rows(out).values()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"the batch ended or stalled before {count} rows: {process.poll()}")


def feedback_documents(out: Path) -> dict[str, dict]:
    """Every feedback document without its timings (the one thing two gradings of a file may not share)."""
    documents = {}
    for path in sorted((out / "feedback").glob("*.json")):
        document = json.loads(path.read_text())
        del document["timing"]
        for check in document["checks"]:
            del check["duration_s"]
        documents[path.stem] = document
    return documents


def exports(out: Path) -> dict[str, object]:
    gradescope = {}
    for path in sorted((out / "gradescope").glob("*/results.json")):
        document = json.loads(path.read_text())
        document.pop("execution_time", None)
        gradescope[path.parent.name] = document
    report = re.sub(r'<section id="graded-on">.*?</section>', "", (out / "report.html").read_text(), flags=re.S)
    return {"csv": (out / "grades.csv").read_text(), "students": (out / "students.csv").read_text(),
            "gradescope": gradescope, "report": report}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = LocalCluster(tmp_path_factory.mktemp("dask")).start(workers=2)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The 42 submissions graded by a local batch: what every cluster run must reproduce."""
    folder = tmp_path_factory.mktemp("local")
    submissions = write_submissions(folder / "submissions")
    out = folder / "out"
    result = batch(submissions, out, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return submissions, out


def cluster_out(local, tmp_path: Path) -> Path:
    """A fresh OUT holding the local run's seed key, so hidden inputs are the same."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(local[1] / "seed.key", out / "seed.key")
    return out


def started_batch(cluster, local, tmp_path: Path, rows_first: int) -> tuple[Path, subprocess.Popen]:
    """A cluster batch of the local run's submissions, running, once it has recorded `rows_first` rows."""
    out = cluster_out(local, tmp_path)
    process = batch(local[0], out, "--cluster", cluster.address, wait=False)
    try:
        wait_for_rows(out, rows_first, process)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return out, process


@pytest.mark.slow
@needs_bwrap
def test_the_cluster_grades_exactly_as_a_local_batch(cluster, local, tmp_path):
    submissions, local_out = local
    out = cluster_out(local, tmp_path)
    result = batch(submissions, out, "--cluster", cluster.address)
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert f"grading on {cluster.address}: 2 workers, 2 threads" in said
    assert "43 students: 42 graded" in said and "1 without a gradable file" in said and "(0 retried)" in said
    assert feedback_documents(out) == feedback_documents(local_out)
    assert len(feedback_documents(out)) == 42
    assert exports(out) == exports(local_out)
    grades = {row["student"]: row for row in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    assert grades["student00"]["total"] == "30" and grades["stub"]["total"] == "0"
    assert grades["notes"]["status"] == "no_submission"
    assert grades["huge_feedback"]["status"] == grades["forger"]["status"] == "graded"
    assert 0 < float(grades["forger"]["total"]) < 30 and float(grades["huge_feedback"]["total"]) == 0
    report = (out / "report.html").read_text()
    assert f"42 on the Dask cluster at {cluster.address}" in report
    assert "on this machine" in (local_out / "report.html").read_text()
    document = json.loads((out / "feedback" / "student00.json").read_text())
    assert document["submission"]["path"] == str(submissions / "student00.py")   # the instructor's path, not the worker's
    assert document["isolation"]["strong"] is True


@pytest.mark.slow
@needs_bwrap
def test_the_service_grades_on_the_cluster_exactly_as_a_local_batch(cluster, local, tmp_path):
    """`grade serve --cluster`: submissions handed in over HTTP are graded on the workers, with the feedback a local
    batch gives the same bytes under the same seed key (hostile ones included)."""
    from service_process import ServeProcess, call, import_roster

    submissions, local_out = local
    data = tmp_path / "data"
    chosen = ["student00", "student27", "student28", "student35", "student37", "forger", "huge_feedback"]
    tokens = import_roster(data, chosen, tmp_path / "tokens.csv")
    shutil.copy(local_out / "seed.key", data / "seed.key")   # the hidden inputs' seeds are keyed with it
    server = ServeProcess(data, "--jobs", "2", "--cluster", cluster.address).start()
    try:
        ids = {}
        for student in chosen:
            status, answer = call(f"{server.url}/api/submissions?exercise=02_backprop&name=backprop.py", tokens[student],
                                  "POST", (submissions / f"{student}.py").read_bytes())
            assert status == 201, answer
            ids[student] = answer["id"]
        expected = feedback_documents(local_out)
        deadline = time.monotonic() + 300
        for student, submission in ids.items():
            while True:
                status, answer = call(f"{server.url}/api/submissions/{submission}", tokens[student])
                if answer.get("submission", {}).get("status") in ("graded", "failed") or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert answer["submission"]["status"] == "graded", (student, answer)
            got, want = answer["feedback"], expected[student]
            assert got["seed"] == want["seed"] and got["score"] == want["score"], student
            assert [(c["id"], c["outcome"], c["score"], c["message"]) for c in got["checks"]] == \
                   [(c["id"], c["outcome"], c["score"], c["message"]) for c in want["checks"]], student
            assert got["isolation"]["strong"] is True
        assert expected["student00"]["score"] == 30 and 0 < expected["forger"]["score"] < 30
        assert "grading on the Dask cluster at" in server.log.read_text()
    finally:
        server.stop()


@pytest.mark.slow
@needs_bwrap
def test_a_worker_killed_mid_batch_loses_nothing_and_its_tasks_count_as_retried(cluster, local, tmp_path):
    submissions, local_out = local
    out, process = started_batch(cluster, local, tmp_path, rows_first=6)
    try:
        cluster.kill_worker(0)
        _, stderr = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
        cluster.workers[0] = cluster.add_worker()
    assert process.returncode == 0, stderr
    retried = int(re.search(r"\((\d+) retried\)", " ".join(stderr.split())).group(1))
    assert retried >= 1
    assert set(rows(out).values()) == {1} and len(rows(out)) == 43   # every student once, no one twice or never
    assert feedback_documents(out) == feedback_documents(local_out)
    assert exports(out)["csv"] == exports(local_out)["csv"]


@pytest.mark.slow
@needs_bwrap
def test_a_killed_client_resumes_where_it_stopped(cluster, local, tmp_path):
    submissions, local_out = local
    out, process = started_batch(cluster, local, tmp_path, rows_first=10)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    before = rows(out)
    assert 10 <= sum(before.values()) < 43 and set(before.values()) == {1}
    result = batch(submissions, out, "--cluster", cluster.address)
    assert result.returncode == 0, result.stderr
    graded_before = sum(1 for student in before if student != "notes")
    assert f"{42 - graded_before} graded, {graded_before} unchanged since the last run" in " ".join(result.stderr.split())
    assert set(rows(out).values()) == {1} and len(rows(out)) == 43
    assert feedback_documents(out) == feedback_documents(local_out)
    assert exports(out) == exports(local_out)


@pytest.mark.slow
@needs_bwrap
def test_a_tls_cluster_grades_for_the_holder_of_a_certificate_its_ca_signed(local, tmp_path):
    """The README's openssl commands, a TLS scheduler and worker, and the instructor's certificate."""
    pems = make_certificates(tmp_path / "certs")
    cluster = LocalCluster(tmp_path / "dask", scheme="tls", security=(
        "--tls-ca-file", str(pems["ca.pem"]), "--tls-cert", str(pems["cluster.pem"]),
        "--tls-key", str(pems["cluster-key.pem"])))
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in ("student00.py", "student30.py", "stub.py"):
        shutil.copy(local[0] / name, submissions / name)
    try:
        cluster.start(workers=1)
        assert cluster.address.startswith("tls://127.0.0.1:")
        out = cluster_out(local, tmp_path)
        refused = batch(submissions, out, "--cluster", cluster.address)
        assert refused.returncode != 0 and "needs --tls-ca-file" in refused.stderr
        result = batch(submissions, out, "--cluster", cluster.address, "--tls-ca-file", str(pems["ca.pem"]),
                       "--tls-cert", str(pems["instructor.pem"]), "--tls-key", str(pems["instructor-key.pem"]))
    finally:
        cluster.stop()
    assert result.returncode == 0, result.stderr
    assert "3 students: 3 graded" in " ".join(result.stderr.split())
    graded, local_documents = feedback_documents(out), feedback_documents(local[1])
    assert graded["student00"]["submission"]["path"] == str(submissions / "student00.py")
    for student, document in graded.items():   # the same files, copied to another folder
        document["submission"]["path"] = local_documents[student]["submission"]["path"]
    assert graded == {student: local_documents[student] for student in ("student00", "student30", "stub")}


# ---------------------------------------------------------------- addresses and TLS

def tls_files(tmp_path: Path) -> TlsFiles:
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("-")
    return TlsFiles(tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "localhost:8786", "tcp://[::1]:8786"])
def test_plain_tcp_is_allowed_to_this_machine(address):
    assert cluster_target(address, None, private_network=False).address.startswith("tcp://")


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "scheduler.example.edu:8786", "tcp://0.0.0.0:8786"])
def test_plain_tcp_to_another_machine_is_refused_unless_the_network_is_said_to_be_private(address):
    with pytest.raises(UsageError, match="refusing plain tcp:// to another machine.*--private-network"):
        cluster_target(address, None, private_network=False)
    assert cluster_target(address, None, private_network=True).tls is None


def test_tls_needs_certificates_and_certificates_need_tls(tmp_path):
    with pytest.raises(UsageError, match="needs --tls-ca-file"):
        cluster_target("tls://10.0.0.5:8786", None, private_network=True)
    with pytest.raises(UsageError, match="address the scheduler as tls://10.0.0.5:8786"):
        cluster_target("tcp://10.0.0.5:8786", tls_files(tmp_path), private_network=False)
    target = cluster_target("tls://10.0.0.5:8786", tls_files(tmp_path), private_network=False)
    assert target.address == "tls://10.0.0.5:8786" and target.tls is not None
    with pytest.raises(UsageError, match="no such TLS file"):
        cluster_target("tls://10.0.0.5:8786", TlsFiles(tmp_path / "x", tmp_path / "y", tmp_path / "z"), False)


def test_grade_serve_checks_its_cluster_options_as_grade_batch_does_and_names_its_own(tmp_path):
    """grade serve's --tls-* are its HTTPS; its cluster's are --cluster-tls-*, and every message says so."""
    from grader.commands.serve import serve_parser, _cluster_target

    def target(*argv):
        return _cluster_target(serve_parser().parse_args(list(argv)))

    assert target() is None
    with pytest.raises(UsageError, match="--cluster-tls-\\* and --private-network go with --cluster"):
        target("--cluster-tls-cert", str(tmp_path / "c.pem"))
    with pytest.raises(UsageError, match="needs --cluster-tls-ca-file, --cluster-tls-cert and --cluster-tls-key"):
        target("--cluster", "tls://10.0.0.5:8786")
    with pytest.raises(UsageError, match="refusing plain tcp:// to another machine.*--cluster-tls-ca-file"):
        target("--cluster", "tcp://10.0.0.5:8786")
    assert target("--cluster", "tcp://127.0.0.1:8786").address == "tcp://127.0.0.1:8786"


@pytest.mark.parametrize("address", ["ws://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://127.0.0.1:8786/x"])
def test_other_schemes_and_malformed_addresses_are_refused(address):
    with pytest.raises(UsageError, match="--cluster"):
        cluster_target(address, None, private_network=True)


def test_the_command_refuses_plain_tcp_to_another_machine_before_connecting(tmp_path):
    (tmp_path / "subs").mkdir()
    result = batch(tmp_path / "subs", tmp_path / "out", "--cluster", "tcp://192.0.2.1:8786")
    assert result.returncode != 0 and "refusing plain tcp:// to another machine" in result.stderr
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()


# ---------------------------------------------------------------- what travels, and what comes back

def test_a_folder_travels_as_its_regular_files_and_an_oversized_file_as_its_size(tmp_path):
    folder = tmp_path / "ann"
    (folder / "helpers").mkdir(parents=True)
    (folder / "backprop.py").write_text("x = 1\n")
    (folder / "helpers" / "maths.py").write_text("y = 2\n")
    (folder / "link.py").symlink_to("/etc/passwd")
    (folder / "big.py").write_bytes(b"#" * 5000)
    sent = submission_files(folder, budget=100)
    assert [(item.path, item.size, item.data) for item in sent] == [
        ("backprop.py", 6, b"x = 1\n"), ("big.py", 5000, None), ("helpers/maths.py", 6, None)]
    (tmp_path / "worker").mkdir()
    copy = materialize(WorkItem("c", "02_backprop", "ann", sent, 1, True), tmp_path / "worker")
    assert (copy / "big.py").stat().st_size == 5000 and (copy / "backprop.py").read_text() == "x = 1\n"
    assert not (copy / "link.py").exists()


@pytest.mark.parametrize("name, path", [("..", ""), ("a/b", ""), ("ann", "../escape.py"), ("ann", "/etc/x")])
def test_a_work_item_cannot_name_a_path_outside_its_folder(tmp_path, name, path):
    files = (SentFile(path, 1, b"x"),) if path else (SentFile("", 1, b"x"), SentFile("b.py", 1, b"y"))
    with pytest.raises(UnsafeItem):
        materialize(WorkItem("c", "02_backprop", name, files, 1, True), tmp_path)


def test_a_workers_answer_is_accepted_only_as_the_feedback_of_the_job_sent(local):
    submissions, out = local
    data = (out / "feedback" / "student00.json").read_bytes()
    document = json.loads(data)
    job = Job("student00", "/elsewhere/student00.py", document["submission"]["sha256"], document["seed"])
    assert accept(data, job, EXERCISE).submission.path == "/elsewhere/student00.py"
    with pytest.raises(NotItsFeedback, match="another exercise or seed"):
        accept(data, Job(job.student, job.path, job.sha256, job.seed + 1), EXERCISE)
    # A file changed since the batch was planned: graded as the bytes sent, which the feedback's sha256 names.
    changed = accept(data, Job(job.student, job.path, "0" * 64, job.seed), EXERCISE)
    assert changed.submission.sha256 == document["submission"]["sha256"]
    document["score"] = 1000
    for answer in (json.dumps(document).encode(), b"not json", {"score": 30}):
        with pytest.raises(NotItsFeedback):
            accept(answer, job, EXERCISE)

"""A real Dask cluster on 127.0.0.1 for tests and benchmarks: `dask scheduler` and `dask worker` processes.

Workers run without a nanny, so the process a test kills is the one grading, and with one thread each,
as the README tells instructors to start them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

STARTUP_S = 60


def _dask(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("dask")), *args]


@dataclass
class LocalCluster:
    folder: Path
    security: tuple[str, ...] = ()          # --tls-* options for scheduler and workers
    scheme: str = "tcp"
    scheduler: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    address: str = ""

    def start(self, workers: int) -> "LocalCluster":
        self.folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = self.folder / "scheduler.json"
        scheduler_file.unlink(missing_ok=True)
        self.scheduler = self._spawn("scheduler", _dask("scheduler", "--host", "127.0.0.1", "--port", "0",
                                                        "--no-dashboard", "--scheduler-file", str(scheduler_file),
                                                        "--protocol", self.scheme, *self.security))
        deadline = time.monotonic() + STARTUP_S
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            self._alive(self.scheduler)
            time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(workers):
            self.add_worker()
        return self

    def add_worker(self) -> subprocess.Popen:
        index = len(self.workers)
        worker = self._spawn(f"worker{index}", _dask("worker", self.address, "--nthreads", "1", "--no-nanny",
                                                     "--no-dashboard", "--host", "127.0.0.1", *self.security))
        log = self.folder / f"worker{index}.log"
        deadline = time.monotonic() + STARTUP_S
        while "Registered to" not in log.read_text(errors="replace"):
            self._alive(worker)
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker {index} did not register:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        self.workers.append(worker)
        return worker

    def kill_worker(self, index: int) -> None:
        os.kill(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait(timeout=30)

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        try:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
        finally:
            log.close()

    def _alive(self, process: subprocess.Popen) -> None:
        if process.poll() is not None:
            logs = "\n".join(path.read_text(errors="replace")[-1500:] for path in self.folder.glob("*.log"))
            raise RuntimeError(f"a Dask process exited with {process.returncode}:\n{logs}")

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


LEAF_EXTENSIONS = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA, a certificate for the cluster and one for the instructor: the README's openssl commands."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj", "/CN=grader-ca",
            "-keyout", "ca-key.pem", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    (folder / "leaf.ext").write_text(LEAF_EXTENSIONS)
    for who in ("cluster", "instructor"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={who}", "-keyout", f"{who}-key.pem",
                "-out", f"{who}.csr")
        openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-days", "365", "-extfile", "leaf.ext", "-out", f"{who}.pem")
    return {name: folder / name for name in ("ca.pem", "cluster.pem", "cluster-key.pem", "instructor.pem",
                                             "instructor-key.pem")}

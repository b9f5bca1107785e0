"""`grade serve --tls-cert --tls-key`: HTTPS end to end, the session cookie marked Secure, and `grade submit`
handing in over it (the student's machine trusting the course's CA through SSL_CERT_FILE)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from dask_cluster import make_certificates
from service_process import ServeProcess, import_roster

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a test certificate")
def test_grade_serve_over_tls_and_grade_submit_through_it(tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    data = tmp_path / "data"
    tokens = import_roster(data, ["ana"], tmp_path / "tokens.csv")
    server = ServeProcess(data, "--jobs", "1", "--tls-cert", str(certificates["cluster.pem"]),
                          "--tls-key", str(certificates["cluster-key.pem"]), ca=certificates["ca.pem"]).start()
    try:
        with urllib.request.urlopen(server.url + "/", context=server.context) as page:
            cookie = page.headers["set-cookie"]
            assert "secure" in cookie.lower() and "httponly" in cookie.lower() and re.search(r'name="csrf"', page.read().decode())
        env = {**os.environ, "GRADE_TOKEN": tokens["ana"], "GRADE_SERVER": server.url,
               "SSL_CERT_FILE": str(certificates["ca.pem"]), "COLUMNS": "150"}
        done = subprocess.run([sys.executable, "-m", "grader", "submit", "exercises/02_backprop", "--submission",
                               str(ROOT / "solutions/02_backprop/backprop.py")], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "Total: 30/30" in done.stdout and "(hidden)" in done.stdout
        plain = subprocess.run([sys.executable, "-m", "grader", "submit", "exercises/02_backprop", "--submission",
                                str(ROOT / "solutions/02_backprop/backprop.py")], cwd=ROOT, capture_output=True, text=True,
                               env={**env, "SSL_CERT_FILE": "/nonexistent"}, timeout=120)
        assert plain.returncode == 2 and "cannot reach the grading service" in plain.stderr
    finally:
        server.stop()

"""Which scheduler addresses `grade batch --cluster` may use, and how it authenticates to them.

A Dask scheduler runs whatever its clients send and its clients unpickle what it answers, so whoever
can reach it, or sit between it and us, can run code on the workers and on the instructor's machine.
Plain `tcp://` is therefore allowed only to this machine (loopback) or when the instructor says the
network is private; anything else needs `tls://` with certificates (mutual TLS, Dask's `Security`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from grader.errors import UsageError

SCHEMES = ("tcp", "tls")


@dataclass(frozen=True)
class TlsFiles:
    """The instructor's client certificate and key, and the CA that signed the scheduler's and workers'."""

    ca: Path
    cert: Path
    key: Path

    def security(self):
        from distributed.security import Security

        return Security(tls_ca_file=str(self.ca), tls_client_cert=str(self.cert), tls_client_key=str(self.key),
                        require_encryption=True)


@dataclass(frozen=True)
class ClusterTarget:
    address: str
    tls: TlsFiles | None = None

    def security(self):
        return self.tls.security() if self.tls else None


def is_loopback(host: str) -> bool:
    """Literal loopback addresses and `localhost` only; other names are not resolved (they could name anything)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cluster_target(address: str, tls: TlsFiles | None, private_network: bool, tls_option: str = "--tls-") -> ClusterTarget:
    """The scheduler to use, or a UsageError saying why this address is refused and what to pass instead (the TLS
    options spelt as the command spells them, `tls_option`)."""
    tls_options = f"{tls_option}ca-file, {tls_option}cert and {tls_option}key"
    text = address if "://" in address else f"tcp://{address}"
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES:
        raise UsageError(f"--cluster {address}: use tcp://HOST:PORT or tls://HOST:PORT (not {parts.scheme}://)")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None or parts.path not in ("", "/"):
        raise UsageError(f"--cluster {address}: give the scheduler as tcp://HOST:PORT or tls://HOST:PORT, "
                         f"e.g. tls://scheduler.example.edu:8786")
    if tls is not None:
        missing = [str(path) for path in (tls.ca, tls.cert, tls.key) if not path.is_file()]
        if missing:
            raise UsageError(f"no such TLS file: {', '.join(missing)}")
        if parts.scheme != "tls":
            raise UsageError(f"--cluster {address}: with TLS certificates, address the scheduler as tls://{host}:{port}")
    elif parts.scheme == "tls":
        raise UsageError(f"--cluster {address}: a tls:// scheduler needs {tls_options} (docs/cluster.md)")
    elif not is_loopback(host) and not private_network:
        raise UsageError(
            f"--cluster {address}: refusing plain tcp:// to another machine. A Dask cluster runs whatever its "
            f"clients send, so anyone who can reach {host}:{port} or listen on the way can run code on the workers "
            f"and on this machine. Use tls:// with {tls_options}, or, if only you can "
            f"reach this network, say so with --private-network")
    return ClusterTarget(f"{parts.scheme}://{host if ':' not in host else f'[{host}]'}:{port}", tls)

"""`grade batch --cluster`: its options, and the connection to the scheduler they describe."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from grader.cluster.address import ClusterTarget, TlsFiles, cluster_target
from grader.errors import UsageError
from grader.extras import require

CONNECT_TIMEOUT_S = 30


def add_options(parser: argparse.ArgumentParser, tls_option: str = "--tls-") -> None:
    """--cluster and its TLS options, spelt `tls_option`... (`grade serve`'s own --tls-* are its HTTPS)."""
    group = parser.add_argument_group("grading on a Dask cluster (docs/cluster.md)")
    group.add_argument("--cluster", metavar="ADDRESS",
                       help="grade on this Dask scheduler's workers (tls://HOST:8786; tcp:// only to this machine or "
                            "with --private-network) instead of local processes")
    group.add_argument(f"{tls_option}ca-file", type=Path, metavar="PEM", help="the CA that signed the cluster's certificates")
    group.add_argument(f"{tls_option}cert", type=Path, metavar="PEM", help="this machine's client certificate for the cluster")
    group.add_argument(f"{tls_option}key", type=Path, metavar="PEM", help="the client certificate's private key")
    group.add_argument("--private-network", action="store_true",
                       help="allow plain tcp:// to another machine: only people you trust can reach this network")


def target_of(options: argparse.Namespace, command: str = "grade batch", tls_option: str = "--tls-") -> ClusterTarget | None:
    """The cluster the options `add_options` added name (None: grade locally), or a UsageError."""
    dest = tls_option.strip("-").replace("-", "_")
    return named_target(command, options.cluster, (getattr(options, f"{dest}_ca_file"), getattr(options, f"{dest}_cert"),
                                                   getattr(options, f"{dest}_key")), options.private_network, tls_option)


def named_target(command: str, address: str | None, tls_files: tuple[Path | None, Path | None, Path | None],
                 private_network: bool, tls_option: str = "--tls-") -> ClusterTarget | None:
    """The cluster a command's options name (None: no --cluster), checked alike for every command; `tls_option`
    is how the command spells its TLS options (`grade serve`'s own --tls-* are its HTTPS)."""
    if not address:
        if any(tls_files) or private_network:
            raise UsageError(f"{tls_option}* and --private-network go with --cluster ADDRESS")
        return None
    require("cluster", f"{command} --cluster")
    if any(tls_files) and not all(tls_files):
        raise UsageError(f"TLS needs all three of {tls_option}ca-file, {tls_option}cert and {tls_option}key")
    ca, cert, key = tls_files
    tls = TlsFiles(ca, cert, key) if ca and cert and key else None
    return cluster_target(address, tls, private_network, tls_option)


def client_of(target: ClusterTarget):
    """A `distributed.Client` of the scheduler, or a UsageError saying why it cannot be reached."""
    from distributed import Client

    try:
        return Client(target.address, security=target.security(), timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {target.address} ({type(exc).__name__}: {exc})") from None


@contextmanager
def connected(target: ClusterTarget) -> Iterator:
    """A `distributed.Client` of the scheduler, closed afterwards (tasks still running are then dropped)."""
    client = client_of(target)
    try:
        yield client
    finally:
        client.close()


def workers_note(client) -> str:
    """One line about the workers; a warning when a worker runs several threads (it grades one at a time)."""
    threads = client.nthreads()
    note = f"{len(threads)} workers, {sum(threads.values())} threads"
    if any(count > 1 for count in threads.values()):
        note += ("; a worker process grades one submission at a time, so start workers with --nthreads 1 "
                 "(and --nworkers N for N cores)")
    if not threads:
        note += "; tasks wait until workers join"
    return note

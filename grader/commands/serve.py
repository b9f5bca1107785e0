"""`grade serve`: the grading service (docs/service.md), and `grade serve roster ...`, its students and tokens."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from grader.commands.common import add_course_option, find_course
from grader.errors import UsageError
from grader.exitcodes import ExitCode

DATA_DIR_NAME = ".grade-serve"


def _storage_options(parser: argparse.ArgumentParser) -> None:
    add_course_option(parser)
    parser.add_argument("--data", metavar="DIR", type=Path,
                        help=f"where submissions, feedback, keys and the SQLite database live "
                             f"(default: {DATA_DIR_NAME}/ in the course folder)")
    parser.add_argument("--db", metavar="URL",
                        help="postgresql://USER@HOST/DATABASE for PostgreSQL (default: the SQLite file in the data folder)")


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade serve", description="Grade on submit: students hand in with `grade submit` or the web page and "
                                        "see their hidden checks' results within seconds.",
        epilog="Students and their tokens: grade serve roster import ROSTER.csv --out TOKENS.csv (grade serve roster "
               "--help). The instructor's page: grade serve instructor --out TOKEN.txt, then /instructor.")
    _storage_options(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once (default: all cores)")
    parser.add_argument("--queue-limit", type=int, default=5, help="submissions one student may have waiting (default: 5)")
    parser.add_argument("--tls-cert", metavar="PEM", type=Path, help="serve HTTPS with this certificate (and --tls-key)")
    parser.add_argument("--tls-key", metavar="PEM", type=Path, help="the certificate's private key")
    parser.add_argument("--allow-weak-isolation", action="store_true",
                        help="grade in plain child processes when bubblewrap is unavailable (not recommended)")
    from grader.cluster.connect import add_options

    add_options(parser, tls_option="--cluster-tls-")
    return parser


def roster_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grade serve roster", description="The service's students and their tokens.")
    parser.add_argument("action", nargs="?", choices=["import"], help="import a roster")
    parser.add_argument("roster", nargs="?", type=Path, metavar="ROSTER.csv", help="a CSV of id,name[,email]")
    _storage_options(parser)
    parser.add_argument("--out", type=Path, metavar="TOKENS.csv",
                        help="where the new tokens go (id,name,email,token; readable by you only); required when "
                             "tokens are made")
    parser.add_argument("--rotate", action="append", default=[], metavar="ID", help="give this student a new token")
    parser.add_argument("--revoke", action="append", default=[], metavar="ID", help="stop this student's token")
    return parser


def _storage(options):
    from grader.extras import require

    require("service", "grade serve")
    from grader.service.database import database_url

    course = find_course(options.course)
    data_dir = (options.data or course.root / DATA_DIR_NAME).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    return course, data_dir, database_url(options.db, data_dir)


def instructor_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade serve instructor", description="Make (or replace) the instructor's token for the service's "
                                                   "instructor page (/instructor); the old token and its sessions stop.")
    _storage_options(parser)
    parser.add_argument("--out", type=Path, metavar="FILE", required=True,
                        help="where the new token goes (readable by you only); it is shown nowhere else")
    return parser


def run(argv: list[str]) -> ExitCode:
    if argv and argv[0] == "roster":
        return _roster(argv[1:])
    if argv and argv[0] == "instructor":
        return _instructor(argv[1:])
    options = serve_parser().parse_args(argv)
    course, data_dir, url = _storage(options)
    if bool(options.tls_cert) != bool(options.tls_key):
        raise UsageError("give both --tls-cert and --tls-key, or neither")
    from grader.sandbox.launchers import BwrapLauncher, choose_launcher

    cluster = _cluster_target(options)
    # With --cluster the workers sandbox (and refuse to grade when they cannot); this machine grades nothing.
    strong = (not options.allow_weak_isolation if cluster else
              isinstance(choose_launcher(require_strong=True, allow_weak=options.allow_weak_isolation), BwrapLauncher))
    from grader.service.config import ServiceConfig

    config = ServiceConfig(course=course, data_dir=data_dir, db_url=url, jobs=max(1, options.jobs), strong=strong,
                           queue_limit=max(1, options.queue_limit), https_only=bool(options.tls_cert))
    _serve(config, options, cluster)
    return ExitCode.OK


def _cluster_target(options):
    """The Dask cluster `--cluster` names (None: grade in local processes), checked as `grade batch --cluster`'s."""
    from grader.cluster.connect import target_of

    return target_of(options, "grade serve", tls_option="--cluster-tls-")


def _cluster_grader(target, config):
    """The service's grader on the cluster's workers: connected once, for the service's whole life."""
    from grader.cluster.connect import client_of, workers_note
    from grader.cluster.service_grader import ClusterGrader

    client = client_of(target)
    print(f"grade serve: grading on the Dask cluster at {target.address} ({workers_note(client)})", file=sys.stderr, flush=True)
    return ClusterGrader(client, config.course, config.strong)


def _serve(config, options, cluster=None) -> None:
    import uvicorn

    from grader.service.app import build_app
    from grader.service.protocol import protocol_with_header_timeout
    from grader.service.service import open_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    service = open_service(config, _cluster_grader(cluster, config) if cluster else None)
    scheme = "https" if options.tls_cert else "http"
    print(f"grade serve: {config.course.title} on {scheme}://{options.host}:{options.port} "
          f"({config.jobs} grading slot{'s' if config.jobs != 1 else ''}; data in {config.data_dir}; "
          f"{'PostgreSQL' if config.db_url.startswith('postgresql') else 'SQLite'})", file=sys.stderr, flush=True)
    if not options.tls_cert and options.host not in ("127.0.0.1", "localhost", "::1"):
        print("grade serve: without --tls-cert, tokens and sessions cross the network in clear text; serve behind a "
              "reverse proxy that terminates TLS, or pass --tls-cert and --tls-key (docs/service.md)", file=sys.stderr)
    app = build_app(service, similarity=_similarity_runner())
    if cluster:   # a regrade preview grades on the cluster too
        from grader.service.instructor import shared_grader

        app.state.preview_grader = shared_grader
    uvicorn.run(app, host=options.host, port=options.port, http=protocol_with_header_timeout(config.header_timeout_s),
                timeout_keep_alive=5, limit_concurrency=200, server_header=False, date_header=False,
                ssl_certfile=str(options.tls_cert) if options.tls_cert else None,
                ssl_keyfile=str(options.tls_key) if options.tls_key else None, log_level="info")


def _similarity_runner():
    """What the instructor's page compares with: `grade similarity`'s own code (None without the extra)."""
    import io

    from grader.extras import MissingExtra, require

    try:
        require("similarity", "similarity on the instructor's page")
    except MissingExtra:
        return None

    from rich.console import Console

    from grader.commands.similarity import similarity_sections
    from grader.similarity import DEFAULT_THRESHOLD

    return lambda out, exercise: similarity_sections(out, exercise, DEFAULT_THRESHOLD, Console(file=io.StringIO()))[0]


def _instructor(argv: list[str]) -> ExitCode:
    options = instructor_parser().parse_args(argv)
    if options.out.exists():
        raise UsageError(f"--out {options.out} exists; choose a new file (tokens are never overwritten)")
    _, data_dir, _ = _storage(options)
    from grader.atomic import write_text_atomically
    from grader.service.instructor_auth import issue

    token = issue(data_dir)
    write_text_atomically(token + "\n", options.out)   # 0600
    print(f"the instructor's token is in {options.out}; sign in at /instructor (any earlier instructor token and "
          f"its sessions no longer work)", file=sys.stderr)
    return ExitCode.OK


def _roster(argv: list[str]) -> ExitCode:
    options = roster_parser().parse_args(argv)
    if options.action == "import" and options.roster is None:
        raise UsageError("grade serve roster import ROSTER.csv: name the roster file")
    if options.action is None and not (options.rotate or options.revoke):
        raise UsageError("nothing to do: grade serve roster import ROSTER.csv --out TOKENS.csv, --rotate ID or --revoke ID")
    if (options.action == "import" or options.rotate) and options.out is None:
        raise UsageError("--out TOKENS.csv: where to write the new tokens (they are shown nowhere else)")
    if options.out is not None and options.out.exists():
        raise UsageError(f"--out {options.out} exists; choose a new file (tokens are never overwritten)")
    _, _, url = _storage(options)
    from grader.service import accounts, roster
    from grader.service.database import open_database

    lines = roster.read_roster(options.roster) if options.action == "import" else []
    engine = open_database(url)
    try:
        imported = roster.import_roster(engine, lines)
        for student_id in options.rotate:
            imported.tokens.append((roster.RosterLine(student_id, "", ""), accounts.rotate(engine, student_id)))
        for student_id in options.revoke:
            accounts.revoke(engine, student_id)
    finally:
        engine.dispose()
    if imported.tokens:
        roster.write_tokens(options.out, imported.tokens)
    print(f"{len(imported.tokens)} new token{'s' if len(imported.tokens) != 1 else ''}"
          f"{f' written to {options.out}' if imported.tokens else ''}; {len(imported.kept)} students already had one "
          f"(--rotate ID gives a new one); {len(options.revoke)} revoked", file=sys.stderr)
    return ExitCode.OK

"""What the sandbox's processes are and can do on the host, in every strong mode, and what one
submission in a warm template can do to the students graded after it (nothing).

Real bubblewrap, real templates, real gradings of 02_backprop. Nothing here writes a host-wide
setting: host-wide files are only asked whether they are writable; real writes go to harmless,
namespaced settings (the UTS hostname) and to folders that must be read-only.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, reference_source
from grader.course.model import Limits
from grader.grading.engine import grade
from grader.feedback.model import schema_errors
from grader.course.manifest import load_course
from grader.sandbox import policy, seccomp
from grader.sandbox.guard import process_tree
from grader.sandbox.launchers import BwrapLauncher, bwrap_problem
from grader.sandbox.policy import SANDBOX_UID
from grader.sandbox.warm_launcher import WarmTemplateLauncher
from grader.sandbox.session import SandboxSession

needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")
EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
HOST_WIDE = ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/randomize_va_space", "/proc/sys/vm/drop_caches",
             "/proc/sys/kernel/panic", "/proc/sys/fs/file-max", "/proc/sysrq-trigger")
DEVICES = {*policy.DEVICES, "pts", "shm", "ptmx", "stdin", "stdout", "stderr", "fd", "core"}   # nodes, and their folders and links

PROBE = textwrap.dedent('''
    import ctypes, errno, os

    libc = ctypes.CDLL(None, use_errno=True)

    def _errno(result):
        return 0 if result >= 0 else ctypes.get_errno()

    def status():
        fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
        return {key: fields[key].strip() for key in
                ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")}

    def writable(paths):
        return {path: os.access(path, os.W_OK) for path in paths}

    def write_hostname():
        """A real write to a namespaced, harmless setting: refused because /proc/sys is read-only."""
        try:
            with open("/proc/sys/kernel/hostname", "w") as stream:
                stream.write("changed")
            return 0
        except OSError as exc:
            return exc.errno

    def devices():
        return sorted(os.listdir("/dev"))

    def sys_entries():
        return sorted(os.listdir("/sys")) if os.path.isdir("/sys") else None

    def write_into(folders):
        result = {}
        for folder in folders:
            try:
                with open(os.path.join(folder, "planted.txt"), "w") as stream:
                    stream.write("x")
                result[folder] = 0
            except OSError as exc:
                result[folder] = exc.errno
        return result

    def syscalls():
        """Each refused call must fail with EPERM (ENOSYS for clone3) and change nothing."""
        libc.syscall.restype = ctypes.c_long
        calls = {
            "ptrace_attach_init": lambda: libc.ptrace(16, 1, 0, 0),
            "process_vm_readv": lambda: libc.syscall(310, 1, 0, 0, 0, 0, 0),
            "keyctl": lambda: libc.syscall(250, 0, 0, 0, 0, 0),
            "add_key": lambda: libc.syscall(248, b"user", b"k", b"v", 1, -2),
            "bpf": lambda: libc.syscall(321, 0, 0, 0),
            "perf_event_open": lambda: libc.syscall(298, 0, 0, -1, -1, 0),
            "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
            "umount": lambda: libc.umount2(b"/tmp", 2),
            "unshare_user": lambda: libc.unshare(0x10000000),
            "unshare_mount": lambda: libc.unshare(0x00020000),
            "setns": lambda: libc.setns(0, 0),
            "userfaultfd": lambda: libc.syscall(323, 0),
            "personality_no_aslr": lambda: libc.personality(0x0040000),
            "init_module": lambda: libc.syscall(175, 0, 0, b""),
            "finit_module": lambda: libc.syscall(313, 0, b"", 0),
            "kexec_load": lambda: libc.syscall(246, 0, 0, 0, 0),
            "open_by_handle_at": lambda: libc.syscall(304, 0, 0, 0),
            "clone3": lambda: libc.syscall(435, 0, 0),
        }
        result = {name: _errno(call()) for name, call in calls.items()}
        child = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)   # clone(CLONE_NEWUSER | SIGCHLD)
        if child == 0:
            os._exit(0)
        result["clone_newuser"] = 0 if child > 0 else ctypes.get_errno()
        return result

    def read(path):
        return open(path).read()

    def fork_still_works():
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        return os.WEXITSTATUS(os.waitpid(pid, 0)[1])
''')


@pytest.fixture(params=["bwrap", "bwrap-warm"])
def launcher(request):
    made = BwrapLauncher() if request.param == "bwrap" else WarmTemplateLauncher()
    yield made
    if isinstance(made, WarmTemplateLauncher):
        made.close()
        assert made.cold_because is None, "the warm template fell back to cold sandboxes"


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    return path


def host_uids(pids: list[int]) -> set[int]:
    uids = set()
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("Uid:"):
                    uids.update(int(field) for field in line.split()[1:])
        except OSError:
            continue
    return uids


@needs_bwrap
def test_student_code_runs_unprivileged_without_capabilities(launcher, probe):
    with SandboxSession(probe, Limits(), launcher) as session:
        status = session.call("status").value
        process = session._child.process
        sandbox_pids = process_tree(process.pid)
        if isinstance(launcher, WarmTemplateLauncher):
            sandbox_pids += process_tree(launcher._template.process.pid)
        uids = host_uids(sandbox_pids)
    assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2"
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[key], 16) == 0, (key, status)
    assert uids, "found no process of the sandbox on the host"
    assert 0 not in uids
    if os.geteuid() == 0:
        assert uids == {SANDBOX_UID}


@needs_bwrap
def test_kernel_settings_and_devices_are_out_of_reach(launcher, probe):
    with SandboxSession(probe, Limits(), launcher) as session:
        writable = session.call("writable", (list(HOST_WIDE),)).value
        hostname_errno = session.call("write_hostname").value
        devices = set(session.call("devices").value)
        sys_entries = session.call("sys_entries").value
    assert not any(writable.values()), writable
    assert hostname_errno == 30   # EROFS
    assert devices <= DEVICES, devices - DEVICES
    assert sys_entries is None or sys_entries == []


@pytest.mark.skipif(not seccomp.supported(), reason="the seccomp filter is written for x86_64")
@needs_bwrap
def test_the_seccomp_filter_refuses_what_grading_never_needs(launcher, probe):
    with SandboxSession(probe, Limits(), launcher) as session:
        refused = session.call("syscalls").value
        forked = session.call("fork_still_works").value
    expected = {name: 1 for name in refused}   # EPERM
    expected["clone3"] = 38                    # ENOSYS: the C library falls back to clone
    assert refused == expected
    assert forked == 7


@needs_bwrap
def test_only_private_tmpfs_is_writable(launcher, probe):
    with SandboxSession(probe, Limits(), launcher) as session:
        written = session.call("write_into", (["/", "/etc", "/opt/grader/grader", "/dev", "/root", "/home", "/var",
                                               "/tmp", "/scratch", "/dev/shm"],)).value
    for folder in ("/", "/etc", "/opt/grader/grader", "/dev"):
        assert written[folder] == 30, (folder, written)   # EROFS
    assert all(written[folder] != 0 for folder in ("/root", "/home", "/var")), written
    assert written["/tmp"] == written["/scratch"] == written["/dev/shm"] == 0


@needs_bwrap
def test_a_read_only_folder_under_tmp_stays_visible_in_a_warm_child(tmp_path, monkeypatch, probe):
    """A course checked out under /tmp has its virtual environment there: a child's fresh /tmp keeps it."""
    folder = tmp_path / "venv-like"
    folder.mkdir()
    (folder / "marker.txt").write_text("still here")
    binds = BwrapLauncher.host_binds
    monkeypatch.setattr(BwrapLauncher, "host_binds", lambda self: [*binds(self), (str(folder), "/tmp/grader-test-course/.venv")])
    launcher = WarmTemplateLauncher()
    try:
        for _ in range(2):
            with SandboxSession(probe, Limits(), launcher) as session:
                assert session.call("read", ("/tmp/grader-test-course/.venv/marker.txt",)).value == "still here"
                written = session.call("write_into", (["/tmp/grader-test-course/.venv", "/tmp"],)).value
                assert written == {"/tmp/grader-test-course/.venv": 30, "/tmp": 0}
    finally:
        launcher.close()
    assert launcher.cold_because is None


PLANTER = textwrap.dedent('''

    import ctypes as _ctypes, os as _os, subprocess as _subprocess

    def _attempt(action):
        try:
            action()
            return "done"
        except OSError as exc:
            return exc.strerror

    def _plant_module():
        with open("/opt/grader/resource.py", "w") as stream:
            stream.write("import sys; sys.modules['grader'].PLANTED = True\\n")

    def _shm():
        libc = _ctypes.CDLL(None, use_errno=True)
        if libc.shmget(0x5EED, 4096, 0o1666) < 0:
            raise OSError(_ctypes.get_errno(), "shmget failed")

    def _big():
        with open("/tmp/big.bin", "wb") as stream:
            for _ in range(40):
                stream.write(b"x" * 2**20)

    PLANTED = {
        "module": _attempt(_plant_module),
        "root_file": _attempt(lambda: open("/planted", "w").close()),
        "etc_file": _attempt(lambda: open("/etc/planted", "w").close()),
        "rename_root": _attempt(lambda: _os.rename("/root", "/root-gone")),
        "rename_opt": _attempt(lambda: _os.rename("/opt", "/opt-gone")),
        "tmp_file": _attempt(lambda: open("/tmp/planted", "w").close()),
        "shm_file": _attempt(lambda: open("/dev/shm/planted", "w").close()),
        "sysv_shm": _attempt(_shm),
        "big_tmp": _attempt(_big),
        "ptrace_init": "done" if _ctypes.CDLL(None).ptrace(16, 1, 0, 0) == 0 else "refused",
    }
    try:
        _subprocess.Popen(["/bin/sleep", "1000"], start_new_session=True)
    except PermissionError:   # seccomp refuses setsid (a new session is a scheduling group of its own)
        _subprocess.Popen(["/bin/sleep", "1000"])
''')

SPY = textwrap.dedent('''

    import os as _os

    def _leftovers():
        found = []
        for folder in ("/", "/etc", "/tmp", "/dev/shm", "/scratch", "/opt", "/opt/grader"):
            for name in _os.listdir(folder):
                if "planted" in name or name in ("big.bin", "resource.py", "root-gone", "opt-gone"):
                    found.append(f"{folder}/{name}")
        with open("/proc/sysvipc/shm") as stream:
            found += [f"shm {line.split()[0]}" for line in stream.readlines()[1:]]
        for pid in filter(str.isdigit, _os.listdir("/proc")):
            try:
                if b"sleep" in open(f"/proc/{pid}/cmdline", "rb").read():
                    found.append(f"process {pid}")
            except OSError:
                pass
        return found

    LEFTOVERS = _leftovers()

    def train(x, t, params, learning_rate, epochs, threshold=None):
        assert not LEFTOVERS, LEFTOVERS
        return _reference_train(x, t, params, learning_rate, epochs, threshold)
''')


def _scores(feedback) -> dict[str, float]:
    return {check.id: check.score for check in feedback.checks}


@pytest.mark.slow
@needs_bwrap
def test_a_hostile_student_in_a_warm_template_changes_nothing_for_the_next_ones(tmp_path):
    """One template grades a hostile file first, then a spy, the stub and a correct file: each gets
    exactly what it gets alone in a fresh template, and the spy finds nothing the hostile one left.
    Every statement runs (cells="all"): an attacker can always make its code reachable from a graded function."""
    reference = reference_source("02_backprop")
    files = {
        "hostile": reference + PLANTER,
        "spy": reference.replace("def train(", "def _reference_train(") + SPY,
        "stub": EXERCISE.stub_path.read_text(),
        "correct": reference,
    }
    paths = {}
    for name, source in files.items():
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(source)

    shared = WarmTemplateLauncher()
    try:
        together = {name: grade(EXERCISE, path, seed=7, launcher=shared, cells="all") for name, path in paths.items()}
    finally:
        shared.close()
    alone = {}
    for name in ("spy", "stub", "correct"):
        fresh = WarmTemplateLauncher()
        try:
            alone[name] = grade(EXERCISE, paths[name], seed=7, launcher=fresh, cells="all")
        finally:
            fresh.close()

    for name, feedback in together.items():
        assert schema_errors(feedback.to_dict()) == []
        assert feedback.isolation.mode == "bwrap-warm"
    assert together["correct"].score == EXERCISE.points
    assert together["stub"].score == 0
    assert together["spy"].score == EXERCISE.points, [c.message for c in together["spy"].checks if c.score == 0]
    for name in ("spy", "stub", "correct"):
        assert _scores(together[name]) == _scores(alone[name]), name
        assert together[name].status == alone[name].status


@needs_bwrap
def test_what_the_hostile_file_could_do_inside_its_own_sandbox(tmp_path):
    """The planter's own view: writes outside the private tmpfs and ptrace of init were refused."""
    path = tmp_path / "planter.py"
    path.write_text(PLANTER + "\ndef planted():\n    return PLANTED\n")
    launcher = WarmTemplateLauncher()
    try:
        with SandboxSession(path, Limits(), launcher) as session:
            planted = session.call("planted").value
    finally:
        launcher.close()
    for attempt in ("module", "root_file", "etc_file", "rename_root", "rename_opt"):
        assert planted[attempt] != "done", (attempt, planted)
    assert planted["ptrace_init"] == "refused"
    for attempt in ("tmp_file", "shm_file", "sysv_shm"):
        assert planted[attempt] == "done", (attempt, planted)   # its own tmpfs mounts work: they just do not outlive it


DAEMON = textwrap.dedent('''
    import os, signal, time

    def leave_a_killer():
        """A detached process that would kill every other process it can see, forever."""
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while True:
                    for pid in filter(str.isdigit, os.listdir("/proc")):
                        if int(pid) not in (1, os.getpid()):
                            try:
                                os.kill(int(pid), signal.SIGKILL)
                            except OSError:
                                pass
                    time.sleep(0.001)
            os._exit(0)
        return True
''')


@needs_bwrap
def test_a_process_left_running_never_meets_the_next_child(tmp_path, probe):
    """Even when nobody asked the template to clean up, the next spawn starts with no leftovers."""
    hostile = tmp_path / "daemon.py"
    hostile.write_text(DAEMON)
    launcher = WarmTemplateLauncher()
    try:
        session = SandboxSession(hostile, Limits(), launcher)
        assert session.call("leave_a_killer").value is True
        # The hostile session is not closed yet: its daemon is alive while the next child starts.
        with SandboxSession(probe, Limits(), launcher) as honest:
            assert honest.call("fork_still_works").value == 7
            assert honest.call("read", ("/proc/self/comm",)).ok
        session.close()
    finally:
        launcher.close()


TAMPERER = textwrap.dedent('''
    import ctypes, os, signal

    class _Limit(ctypes.Structure):
        _fields_ = [("cur", ctypes.c_ulong), ("max", ctypes.c_ulong)]

    def tamper():
        """Lower the limits, priority and CPU set of every process it can name, and stop them."""
        libc = ctypes.CDLL(None, use_errno=True)
        me = os.getpid()
        named = {os.getppid(), 1} | {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}
        changed = []
        for pid in sorted(named - {me}):
            for resource, value in ((7, 4), (2, 1 << 20)):   # RLIMIT_NOFILE, RLIMIT_DATA
                if libc.prlimit(pid, resource, ctypes.byref(_Limit(value, value)), None) == 0:
                    changed.append(f"prlimit {pid}")
            for action in (lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),
                           lambda: os.sched_setaffinity(pid, {0}),
                           lambda: os.kill(pid, signal.SIGSTOP)):
                try:
                    action()
                    changed.append(f"{action.__code__.co_names[-1]} {pid}")
                except OSError:
                    pass
        return changed

    def own_state():
        import resource
        return {"nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
                "data": resource.getrlimit(resource.RLIMIT_DATA),
                "nice": os.getpriority(os.PRIO_PROCESS, 0),
                "cpus": sorted(os.sched_getaffinity(0))}
''')


@needs_bwrap
def test_a_child_cannot_reach_the_template_to_change_what_later_children_inherit(tmp_path):
    """Red-team finding: a child of the same uid lowered the template's RLIMIT_DATA (every later
    student 0/30, blamed), RLIMIT_NOFILE (grader failures) or its nice value and CPU set. In its own
    pid namespace it can only name itself and our init."""
    path = tmp_path / "tamperer.py"
    path.write_text(TAMPERER)
    fresh = WarmTemplateLauncher()
    try:
        with SandboxSession(path, Limits(), fresh) as session:
            expected = session.call("own_state").value
    finally:
        fresh.close()
    launcher = WarmTemplateLauncher()
    try:
        with SandboxSession(path, Limits(), launcher) as session:
            session.call("tamper")
            template = launcher._template.host_pid
        for _ in range(2):
            with SandboxSession(path, Limits(), launcher) as session:
                assert session.call("own_state").value == expected
        assert launcher._template.host_pid == template, "the template had to be replaced"
    finally:
        launcher.close()


PROC_WRITER = textwrap.dedent('''
    import os

    def write_others():
        """Try to change every other process it can see through /proc (the template, its own init, a
        next child forked ahead): a value that outlived this student would reach the next ones."""
        me = os.readlink("/proc/self")
        written = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if pid == me:
                continue
            for name, value in (("oom_score_adj", "1000"), ("autogroup", "19"), ("coredump_filter", "0")):
                try:
                    with open(f"/proc/{pid}/{name}", "w") as stream:
                        stream.write(value)
                    written.append(f"{pid}/{name}")
                except OSError:
                    pass
        return written
''')


@needs_bwrap
def test_a_child_cannot_change_other_processes_of_the_template_through_proc(tmp_path):
    """Red-team finding: bubblewrap's init (pid 1 of the template's sandbox, the student's own uid and
    dumpable) took oom_score_adj 1000 and autogroup nice 19 from one student and kept them for the next.
    The template is pid 1 itself now, and nothing the child can see but its own processes is dumpable."""
    path = tmp_path / "writer.py"
    path.write_text(PROC_WRITER)
    launcher = WarmTemplateLauncher()
    try:
        for _ in range(2):   # the second child is the one the template forked ahead while the first ran
            with SandboxSession(path, Limits(), launcher) as session:
                assert session.call("write_others").value == []
    finally:
        launcher.close()


INIT_LOOKER = textwrap.dedent('''
    import os

    def init_of_my_namespace():
        """What pid 1 of the student's pid namespace is: filtered and locked, and not open to writing."""
        status = dict(line.split(":", 1) for line in open("/proc/1/status").read().splitlines() if ":" in line)
        try:
            open("/proc/1/mem", "r+b").close()
            mem = "opened"
        except OSError:
            mem = "refused"
        return {"seccomp": status["Seccomp"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
                "mem": mem, "pids": sorted(p for p in os.listdir("/proc") if p.isdigit())}
''')


def test_the_init_beside_the_students_process_is_ours_and_locked_in_both_modes(launcher, tmp_path):
    """In a cold sandbox, bubblewrap's init (dumpable, unfiltered) once stood as pid 1 beside the student's
    process, whose code wrote into its /proc/1/mem and ran unfiltered; now pid 1 is an init of ours."""
    path = tmp_path / "looker.py"
    path.write_text(INIT_LOOKER)
    with SandboxSession(path, Limits(), launcher) as session:
        seen = session.call("init_of_my_namespace")
    assert seen.ok, seen
    assert seen.value == {"seccomp": "2", "no_new_privs": "1", "mem": "refused", "pids": ["1", "2"]}, seen.value

"""The run server: the pipeline kept loaded between runs, so that a country's `mnr run` does not pay start-up.

A run in a fresh process spends about 11 s before any work: importing dagster, dagster-dbt (and dbt-core with it),
pandas and great-expectations, several times what processing one country's submission takes. `mnr serve` imports
all of it once and waits on a Unix socket; `mnr run`, `mnr release` and `mnr demo` hand their command line,
environment, working directory and terminal (stdin, stdout, stderr, passed as file descriptors) to it when it
serves their MNR_HOME. The server forks a child per command: the child starts from the loaded modules and
nothing else (copy-on-write; the server never opens the warehouse or the Dagster instance), takes the caller's
environment and terminal, runs the same `pipelines.cli.main` the caller would have run, and sends back the exit
status. The caller forwards Ctrl-C and termination to the child and exits with its status. Without a server the
caller runs the command itself, as before: the server changes how fast a command starts, never what it does.

Written here rather than taken from a library: the pieces are the standard library's (fork, SCM_RIGHTS through
`socket.send_fds`, SO_PEERCRED); pre-forking servers such as gunicorn serve network requests, not a terminal
command line.

Safety:
- the socket is in the abstract namespace, named after MNR_HOME; each side checks the other's uid with the
  kernel (SO_PEERCRED): the server serves only its own user, and a caller sends its environment and terminal
  only to a server of its own user (another user could bind the name first);
- the child runs in a process group of its own (Ctrl-C at the server's terminal stops the server, not runs);
- when the code the server loaded changed on disk (pipelines/, the dbt project, installed packages), the server
  refuses the command and stops, and the caller runs it itself: a stale server never runs old code.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import signal
import socket
import struct
import sys
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT

# The commands that start the Dagster pipeline and so gain from a loaded one.
SERVED = frozenset({"run", "release", "demo"})
_MAX_MESSAGE = 1 << 20
_in_child = False


def address(home: Path) -> str:
    """The socket's name: abstract (no file to leave behind or to fit in 108 bytes), one per MNR_HOME."""
    return "\0mnr-run-server-" + hashlib.sha256(str(Path(home).resolve()).encode()).hexdigest()[:32]


def code_fingerprint() -> str:
    """What the server loaded: the package's modules, the dbt project (its manifest is read at import) and the
    installed packages (site-packages changes when one is added, removed or upgraded)."""
    files = [*sorted((REPO_ROOT / "pipelines").rglob("*.py")), *sorted(DBT_PROJECT_DIR.glob("*.yml")),
             *sorted(DBT_PROJECT_DIR.glob("models/**/*")), *sorted(DBT_PROJECT_DIR.glob("macros/**/*")),
             DBT_PROJECT_DIR / "target" / "manifest.json", *(Path(p) for p in sys.path if p.endswith("-packages"))]
    h = hashlib.sha256()
    for f in files:
        with contextlib.suppress(OSError):
            st = f.stat()
            h.update(f"{f}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
    return h.hexdigest()


def installation() -> list[str]:
    """Which code a process runs: a server serves only callers of the same checkout and interpreter."""
    return [str(REPO_ROOT), sys.executable]


# ---------------------------------------------------------------------------------------------- caller side
def delegate(argv: list[str], home: Path) -> int | None:
    """Run the command in the server serving `home`; return its exit status, or None when no server serves this
    home (or it refused: the caller then runs the command itself)."""
    if _in_child:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(address(home))
    except OSError:
        sock.close()
        return None
    with sock:
        # Anyone may bind an abstract name: the environment (passwords included) and the terminal go only to a
        # server of this user.
        if peer_uid(sock) != os.getuid():
            print("mnr: the run server's socket for this MNR_HOME belongs to another user; running here instead",
                  file=sys.stderr)
            return None
        request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "installation": installation()}
        try:
            socket.send_fds(sock, [json.dumps(request).encode()], _terminal_fds())
            reply = json.loads(sock.recv(_MAX_MESSAGE) or b"{}")
        except (OSError, ValueError):   # the server went away before starting the command
            reply = {}
        if "pid" not in reply:
            print(f"mnr: {reply.get('refused', 'the run server did not answer')}; running here instead",
                  file=sys.stderr)
            return None
        pid = reply["pid"]

        def forward(signum, _frame):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, forward)
        # The status arrives when the child ends; an interrupted recv is retried (PEP 475), as the handler returns.
        try:
            return int(json.loads(sock.recv(_MAX_MESSAGE))["exit"])
        except (OSError, ValueError, KeyError, TypeError):
            print("mnr: the run server's process for this command ended without an exit status "
                  "(killed?); see the run in the Dagster UI (mnr ui)", file=sys.stderr)
            return 1


def peer_uid(sock: socket.socket) -> int:
    """The user of the process at the other end of a Unix socket, as the kernel knows it."""
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    return uid


def _terminal_fds() -> list[int]:
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:   # a closed standard stream: the child gets /dev/null instead
            fds.append(os.open(os.devnull, os.O_RDWR))
    return fds


# ---------------------------------------------------------------------------------------------- server side
def preload() -> None:
    """Import what a run imports, so that the children start with it loaded."""
    import pipelines.cli  # noqa: F401
    import pipelines.definitions  # noqa: F401  (dagster, dagster-dbt, dbt-core, pandas, the assets)
    import pipelines.progress  # noqa: F401
    import pipelines.quality.expectations  # noqa: F401
    import great_expectations  # noqa: F401  (several seconds: the check imports it on every run otherwise)
    import tempfile

    import dagster as dg

    # What Dagster imports when a run starts (its SQLite storage, alembic's migration checks, the run's logging):
    # a throwaway instance in a temporary folder loads it, and the run's own instance is made in the child.
    with tempfile.TemporaryDirectory() as d, dg.DagsterInstance.local_temp(d) as instance:
        instance.get_runs(limit=1)
    # And the rest that a run imports on its way (listed from a run's new sys.modules; a name gone in a later
    # version of a library is only a module less preloaded).
    for name in ("dagster._core.execution.execute_in_process", "dagster._core.executor.in_process",
                 "dagster._core.execution.plan.active", "dagster._core.storage.local_compute_log_manager",
                 "pyarrow.pandas_compat", "rich.live", "rich.status", "rich.table"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def serve(home: Path, announce=print) -> int:
    """Serve commands for `home` until interrupted or until the code changes; return the exit status."""
    fingerprint = code_fingerprint()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        listener.bind(address(home))
    except OSError as e:
        listener.close()
        raise RuntimeError(f"a run server already serves {home} ({e.strerror})") from e
    # Listening before loading: a second server fails at once, and a command sent meanwhile waits its turn.
    listener.listen(16)
    preload()
    # Children are never waited for here (each reports its status to its caller): the kernel reaps them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    announce(f"run server ready for {home} (pid {os.getpid()}): `mnr run`, `mnr release` and `mnr demo` there "
             "start here without loading the pipeline. Ctrl-C stops it.")
    with listener:
        while True:
            conn, _ = listener.accept()
            with conn:
                if not _serve_one(conn, listener, fingerprint):
                    announce("the code changed on disk since the run server started: stopping (start it again)")
                    return 0


def _serve_one(conn: socket.socket, listener: socket.socket, fingerprint: str) -> bool:
    """Fork a child for one command; False when the server must stop (its code is stale)."""
    uid = peer_uid(conn)
    conn.settimeout(10)   # a caller that connects and sends nothing does not hold the server up
    try:
        message, fds, _flags, _addr = socket.recv_fds(conn, _MAX_MESSAGE, 3)
    except OSError:
        return True
    conn.settimeout(None)
    try:
        if uid != os.getuid() or len(fds) != 3:
            return True
        if code_fingerprint() != fingerprint:
            with contextlib.suppress(OSError):
                conn.send(json.dumps({"refused": "the run server runs code older than what is on disk "
                                                 "(it stops now; start `mnr serve` again)"}).encode())
            return False
        try:
            request = json.loads(message)
        except ValueError:
            return True
        if request.get("installation") != installation():
            with contextlib.suppress(OSError):
                conn.send(json.dumps({"refused": f"the run server for this MNR_HOME runs another installation "
                                                 f"({' '.join(installation())})"}).encode())
            return True
        pid = os.fork()
        if pid == 0:
            listener.close()
            _child(conn, request, fds)   # never returns
        with contextlib.suppress(OSError):
            conn.send(json.dumps({"pid": pid}).encode())
        return True
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


def _child(conn: socket.socket, request: dict, fds: list[int]) -> None:
    global _in_child
    _in_child = True
    code = 1
    try:
        os.setpgid(0, 0)
        for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        # New text streams over the caller's descriptors: line-buffered where they are a terminal, as Python
        # would have made them in the caller.
        sys.stdin = open(0, closefd=False, encoding="utf-8")
        sys.stdout = open(1, "w", buffering=1 if os.isatty(1) else -1, closefd=False, encoding="utf-8")
        sys.stderr = open(2, "w", buffering=1, closefd=False, encoding="utf-8", errors="backslashreplace")
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        from pipelines.cli import main

        code = main(request["argv"])
    except SystemExit as e:   # argparse's usage errors
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(BaseException):
            conn.send(json.dumps({"exit": code}).encode())
        os._exit(code)

"""`mnr ui`: the Dagster UI, for operators only (SECURITY.md, "Nobody runs a program through the Dagster UI").

The Dagster webserver has no sign-in: whoever reaches it can launch, re-execute and cancel runs. On one
machine it listens on loopback; on a shared server every local user reaches loopback, so it listens on a Unix
socket instead, which the kernel lets only its owner (and the group `mnr-operators`, when that group exists)
connect to. An authenticating reverse proxy in front of that socket serves operators over the network
(docs/deployment.md). `dagster dev` would bind TCP only, and on a busy port it keeps its daemon running without
any webserver; so a busy port stops `mnr ui` before anything starts.
"""

from __future__ import annotations

import contextlib
import errno
import grp
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

OPERATORS_GROUP = "mnr-operators"
SOCKET_MODE = 0o660   # owner and the operators' group; the folder holding it is closed to others too


class UiRefused(Exception):
    """mnr ui cannot start as asked (exit 2): the message says why and what to do."""


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Refuse a port that something already listens on (dagster dev would run its daemon without a webserver)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise UiRefused(f"port {port} on {host} is already in use (another mnr ui, or another server): "
                                "stop it, or choose a free port with --port") from e
            raise UiRefused(f"cannot listen on {host}:{port} ({e.strerror})") from e


def _operators_gid() -> int | None:
    try:
        return grp.getgrnam(OPERATORS_GROUP).gr_gid
    except KeyError:
        return None


def bind_socket(path: Path) -> socket.socket:
    """A listening Unix socket at `path`, 0660 with group mnr-operators (or 0600 where the group does not
    exist), created under a umask that never lets it be open to others, not even for an instant. A stale socket
    file is replaced; a live one is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        if not path.is_socket():
            raise UiRefused(f"{path} exists and is not a socket: choose another --socket path")
        with socket.socket(socket.AF_UNIX) as probe, contextlib.suppress(OSError):
            probe.connect(str(path))
            raise UiRefused(f"{path} is already served (another mnr ui?): stop it, or choose another --socket path")
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    gid = _operators_gid()
    if gid is not None:
        os.chown(path, -1, gid)
        os.chmod(path, SOCKET_MODE)
    sock.listen(128)
    return sock


def serve_on_socket(path: Path, workspace: Path, read_only: bool = False, daemon: bool = True) -> int:
    """The Dagster webserver on a Unix socket, and the Dagster daemon beside it (as `dagster dev` runs both)
    unless the daemon runs as a service of its own (daemon=False).
    Written here because dagster-webserver's command binds TCP only; the app and the server are Dagster's and
    uvicorn's own."""
    import uvicorn
    from dagster import DagsterInstance
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster_webserver.app import create_app_from_workspace_process_context
    from dagster_webserver.version import __version__

    path = path.absolute()
    sock = bind_socket(path)
    child = (subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(workspace)])
             if daemon else None)
    try:
        with WorkspaceProcessContext(DagsterInstance.get(), version=__version__, read_only=read_only,
                                     workspace_load_target=WorkspaceFileTarget(paths=[str(workspace)])) as ctx:
            app = create_app_from_workspace_process_context(ctx)
            print(f"Dagster UI for operators on the Unix socket {path} (mode {oct(path.stat().st_mode & 0o777)}"
                  f"{', group ' + OPERATORS_GROUP if _operators_gid() is not None else ''})", flush=True)
            uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        sock.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return 0

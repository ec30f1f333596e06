"""A git remote on 127.0.0.1 with network latency: `git daemon` behind a delaying proxy.

A bare repository on disk clones in milliseconds, which hides what a clone from a real
host costs. The proxy holds every chunk for `delay` seconds in each direction (bytes are
not slowed, only late), like a link with a round trip of twice that.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _forward_late(source: socket.socket, target: socket.socket, delay: float) -> None:
    pending: queue.Queue[tuple[float, bytes]] = queue.Queue()

    def read() -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                pending.put((time.monotonic() + delay, data))
        pending.put((time.monotonic() + delay, b""))

    threading.Thread(target=read, daemon=True).start()
    with contextlib.suppress(OSError):
        while True:
            due, data = pending.get()
            time.sleep(max(0.0, due - time.monotonic()))
            if not data:
                target.shutdown(socket.SHUT_WR)
                return
            target.sendall(data)


def _serve(listener: socket.socket, upstream_port: int, delay: float) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return  # closed: the benchmark is over
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(
                target=_forward_late, args=(source, target, delay), daemon=True
            ).start()


@contextlib.contextmanager
def slow_git_remote(repository: Path, delay: float) -> Iterator[str]:
    """Serve the bare `repository` as `git://127.0.0.1:<port>/<name>` with `delay`."""
    daemon_port = _free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={repository.parent}",
            "--listen=127.0.0.1",
            f"--port={daemon_port}",
            str(repository.parent),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        for _ in range(100):  # until the daemon listens
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", daemon_port), timeout=0.1),
            ):
                break
            time.sleep(0.05)
        threading.Thread(target=_serve, args=(listener, daemon_port, delay), daemon=True).start()
        yield f"git://127.0.0.1:{listener.getsockname()[1]}/{repository.name}"
    finally:
        listener.close()
        daemon.terminate()
        daemon.wait(timeout=10)

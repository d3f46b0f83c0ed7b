"""Ports for servers started as child processes, and waiting for them to listen."""

import socket
import subprocess
import time
from collections.abc import Callable, Iterable


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(
    process: subprocess.Popen,
    ports: Iterable[int],
    *,
    name: str,
    seconds: float,
    output: Callable[[], str],
) -> None:
    """Return once ``process`` takes connections on 127.0.0.1 at each of ``ports``.

    Raises RuntimeError with what ``output()`` returns (the server's log) if
    the process exits first or is not listening within ``seconds``.
    """
    deadline = time.monotonic() + seconds
    for port in ports:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError as error:
                if time.monotonic() > deadline:
                    message = f"{name} is not listening on port {port}:\n{output()}"
                    raise RuntimeError(message) from error
                time.sleep(0.1)

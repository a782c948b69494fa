"""The base of the tests that run programs under tapstack-run (test_shim, test_udp)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import netns
from netns import DaemonTestCase, wait_until

# A kernel-side TCP echo server (format with host and port), one thread per connection.
ECHO_SERVER = """
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{host}", {port})); s.listen(64)
def serve(c):
    with c:
        while data := c.recv(65536):
            c.sendall(data)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""


class ShimTestCase(DaemonTestCase):
    """A daemon in its namespace, with loopback up and helpers to run programs under tapstack-run."""

    def setUp(self) -> None:
        super().setUp()
        self.assertIsNotNone(netns.TAPSTACK_RUN, "run.py needs --tapstack-run")
        # Kernel-side servers on the host address are reached over the namespace's loopback.
        self.assertEqual(self.namespace.run(["ip", "link", "set", "lo", "up"]).returncode, 0)
        self.www = Path(tempfile.mkdtemp(prefix="tapstack-www-"))
        self.addCleanup(shutil.rmtree, self.www, ignore_errors=True)

    def spawn(self, argv: list[str], shim: bool = False) -> subprocess.Popen:
        """A background process in the namespace, ended (by its PID) when the test ends."""
        if shim:
            argv = ["env", f"TAPSTACK_SOCKET={self.ipc_socket}", str(netns.TAPSTACK_RUN), *argv]
        process = subprocess.Popen(self.namespace.command(argv), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def stop() -> None:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)
        self.addCleanup(stop)
        return process

    def run_shim(self, argv: list[str], timeout_s: float = 60) -> subprocess.CompletedProcess:
        return self.namespace.run(
            ["env", f"TAPSTACK_SOCKET={self.ipc_socket}", str(netns.TAPSTACK_RUN), *argv],
            timeout_s=timeout_s)

    def wait_for_port(self, host: str, port: int) -> None:
        probe = ["bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"]
        attempts: list[str] = []

        def listening() -> bool:
            try:
                result = self.namespace.run(probe, timeout_s=5)
            except subprocess.TimeoutExpired:
                attempts.append("timed out")
                return False
            attempts.append(result.stderr.strip())
            return result.returncode == 0
        self.assertTrue(wait_until(listening, 10),
                        f"nothing listens on {host}:{port}: {attempts[-3:]}")

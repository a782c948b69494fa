"""Unmodified programs on the stack through tapstack-run (the LD_PRELOAD shim and the IPC
protocol): curl and Python clients against kernel servers, and a Python HTTP server under the
shim fetched by the kernel's curl; socket-API semantics checked against the kernel's."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import netns
from netns import HERE, HOST_ADDRESS, PYTHON, STACK_ADDRESS, DaemonTestCase, wait_until

KERNEL_HTTP_PORT = 8080
KERNEL_ECHO_PORT = 8007
CLOSED_PORT = 8009
SHIM_HTTP_PORT = 8000

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


class ShimTest(DaemonTestCase):
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

    def test_curl_under_the_shim_reaches_a_kernel_server(self) -> None:
        (self.www / "index.html").write_text("hello from the kernel\n")
        server = self.spawn([PYTHON, "-m", "http.server", str(KERNEL_HTTP_PORT), "--bind",
                             HOST_ADDRESS, "--directory", str(self.www)])
        self.wait_for_port(HOST_ADDRESS, KERNEL_HTTP_PORT)
        fetched = self.run_shim(["curl", "-sS", "--max-time", "20",
                                 f"http://{HOST_ADDRESS}:{KERNEL_HTTP_PORT}/"])
        self.assertEqual(fetched.returncode, 0, fetched.stderr + self.daemon.log_tail())
        self.assertEqual(fetched.stdout, "hello from the kernel\n")
        server.kill()
        log = server.communicate(timeout=10)[0]
        # The request came from the stack's address: curl's socket was tapstack's, not the kernel's.
        self.assertIn(f"{STACK_ADDRESS} - - ", log)

    def test_python_http_server_under_the_shim_serves_the_kernel(self) -> None:
        content = os.urandom(20_000_000)
        (self.www / "blob").write_bytes(content)
        server = self.spawn([PYTHON, "-m", "http.server", str(SHIM_HTTP_PORT), "--directory",
                             str(self.www)], shim=True)
        try:
            self.wait_for_port(STACK_ADDRESS, SHIM_HTTP_PORT)
        except AssertionError:
            server.kill()
            raise AssertionError(server.communicate(timeout=10)[0] + self.daemon.log_tail())
        fetched = self.namespace.run(["sh", "-c", f"curl -sS --max-time 60 "
                                      f"http://{STACK_ADDRESS}:{SHIM_HTTP_PORT}/blob | sha256sum"])
        self.assertEqual(fetched.returncode, 0, fetched.stderr)
        self.assertEqual(fetched.stdout.split()[0], hashlib.sha256(content).hexdigest())

    def test_socket_api_semantics_match_the_kernel(self) -> None:
        self.spawn([PYTHON, "-c", ECHO_SERVER.format(host=HOST_ADDRESS, port=KERNEL_ECHO_PORT)])
        self.wait_for_port(HOST_ADDRESS, KERNEL_ECHO_PORT)
        completed = self.run_shim([PYTHON, str(HERE / "shim_client.py"), HOST_ADDRESS,
                                   str(KERNEL_ECHO_PORT), str(CLOSED_PORT)])
        lines = completed.stdout.strip().splitlines()
        self.assertTrue(lines, completed.stderr + self.daemon.log_tail())
        results = json.loads(lines[-1])
        failed = {name: result for name, result in results.items() if result != "ok"}
        self.assertEqual(failed, {}, completed.stderr)
        self.assertEqual(completed.returncode, 0)

"""Real servers and clients under tapstack-run against the kernel's stack (issue 5): nginx with two
workers (sendfile, ab), an asyncio echo server with 200 kernel clients, redis-server with
redis-benchmark and redis-cli against a kernel redis, iperf3 both ways, a socat relay; and the
shim fixes they needed (a worker forked after the program emptied its environment, errno after
the shim set itself up).

Every program runs in the test's namespace with its files in the test's scratch directory, and
every run is bounded in time. Servers under the shim listen on the stack's address 10.0.0.2,
which no kernel interface has: a kernel client reaches them only through the TAP device, so a
server that fell back to the kernel's sockets would be refused. Clients under the shim are
checked for the stack's source address."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import netns
from netns import HERE, HOST_ADDRESS, PYTHON, STACK_ADDRESS, wait_until
from shim_case import ECHO_SERVER, ShimTestCase

NGINX_PORT = 8081
ASYNCIO_ECHO_PORT = 7007
REDIS_SHIM_PORT = 6379
REDIS_KERNEL_PORT = 6380
IPERF_SHIM_PORT = 5201
IPERF_KERNEL_PORT = 5202
SOCAT_PORT = 8443
KERNEL_ECHO_PORT = 9000

STOP_TIMEOUT_S = 10

# nginx (1.22) as in production: a master with two workers sharing the listening socket, files by
# sendfile(2), every path it writes inside the scratch directory. `user root`: the scratch
# directory is root's (mode 0700), and workers must reach the daemon's IPC socket in it.
NGINX_CONF = """
user root;
master_process on;
worker_processes 2;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format worker '$pid $status $body_bytes_sent';
  access_log {root}/access.log worker;
  sendfile on;
  keepalive_timeout 30s;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  server {{
    listen {port};
    root {www};
  }}
}}
"""

# A server process that empties its environment and forks a worker, as nginx does: the worker's
# first socket call opens its own daemon connection, without TAPSTACK_SOCKET in its environment.
CLEARED_ENVIRONMENT_FORK = """
import os, socket, sys
def echo(tag):
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as s:
        s.sendall(tag)
        data = b""
        while len(data) < len(tag) and (chunk := s.recv(100)):
            data += chunk
        assert data == tag, data
        return s.getsockname()[0]
print("parent", echo(b"parent"), flush=True)
os.environ.clear()
pid = os.fork()
if pid == 0:
    print("child", echo(b"child"), flush=True)
    os._exit(0)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def descendants(pid: int) -> list[int]:
    """The live descendants of `pid`, from /proc (children of every thread), deepest last."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:  # the task or the process ended meanwhile
                continue
            found += children
            pending += children
    return found


class ServersTest(ShimTestCase):
    def require(self, *programs: str) -> None:
        """A missing program is a failure, not a skip (run.py allows no skips)."""
        missing = [p for p in programs if shutil.which(p) is None]
        self.assertEqual(missing, [], "not installed (scripts/install-deps)")

    def start(self, name: str, argv: list[str], shim: bool = False) -> subprocess.Popen:
        """A background server in the namespace, its output in scratch/NAME.out. At the end of
        the test it gets SIGTERM, then SIGKILL; so do its descendants (forked workers), by PID."""
        if shim:
            argv = ["env", f"TAPSTACK_SOCKET={self.ipc_socket}", str(netns.TAPSTACK_RUN), *argv]
        with open(self.scratch / f"{name}.out", "wb") as output:
            # `ip netns exec`, env and tapstack-run exec in place: this PID is the server's.
            process = subprocess.Popen(self.namespace.command(argv), stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=subprocess.STDOUT)

        def stop() -> None:
            children = descendants(process.pid)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=STOP_TIMEOUT_S)
            for child in children + descendants(process.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:  # it ended with its parent, as it should
                    pass
        self.addCleanup(stop)
        return process

    def output_of(self, name: str) -> str:
        text = (self.scratch / f"{name}.out").read_text(errors="replace")
        return f"--- {name} output ---\n{text[-3000:]}\n---\n"

    def wait_for_server(self, name: str, process: subprocess.Popen, host: str,
                        port: int) -> None:
        try:
            self.wait_for_port(host, port)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.output_of(name)}{self.daemon.log_tail()}")
        self.assertIsNone(process.poll(), self.output_of(name))

    def assert_still_running(self, name: str, process: subprocess.Popen) -> None:
        self.assertIsNone(process.poll(), f"{name} exited\n" + self.output_of(name))

    def run_checked(self, argv: list[str], timeout_s: float, shim: bool = False) -> str:
        """Runs a client to completion; asserts exit status 0 and returns stdout."""
        started = time.monotonic()
        if shim:
            done = self.run_shim(argv, timeout_s=timeout_s)
        else:
            done = self.namespace.run(argv, timeout_s=timeout_s)
        elapsed = time.monotonic() - started
        self.assertEqual(done.returncode, 0, f"{argv[0]} exited {done.returncode} after "
                         f"{elapsed:.1f} s\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
                         + self.daemon.log_tail())
        return done.stdout

    def start_kernel_echo(self) -> None:
        echo = self.start("echo", [PYTHON, "-c", ECHO_SERVER.format(
            host=HOST_ADDRESS, port=KERNEL_ECHO_PORT)])
        self.wait_for_server("echo", echo, HOST_ADDRESS, KERNEL_ECHO_PORT)

    def test_nginx_two_workers_sendfile_100_mb_and_ab(self) -> None:
        self.require("nginx", "ab", "curl")
        root = self.scratch / "nginx"
        root.mkdir()
        content = os.urandom(100_000_000)
        (self.www / "100MB").write_bytes(content)
        (self.www / "page").write_bytes(os.urandom(4096))
        config = root / "nginx.conf"
        config.write_text(NGINX_CONF.format(root=root, port=NGINX_PORT, www=self.www))
        nginx = self.start("nginx", ["nginx", "-p", str(root), "-c", str(config), "-e",
                                     str(root / "error.log")], shim=True)
        self.wait_for_server("nginx", nginx, STACK_ADDRESS, NGINX_PORT)
        self.assertTrue(wait_until(lambda: len(descendants(nginx.pid)) == 2, 5),
                        f"nginx workers: {descendants(nginx.pid)}")
        workers = {str(pid) for pid in descendants(nginx.pid)}

        url = f"http://{STACK_ADDRESS}:{NGINX_PORT}"
        fetched = self.run_checked(["bash", "-o", "pipefail", "-c",
                                    f"curl -sS --fail --max-time 120 {url}/100MB | sha256sum"],
                                   timeout_s=150)
        self.assertEqual(fetched.split()[0], hashlib.sha256(content).hexdigest())

        report = self.run_checked(["ab", "-n", "20000", "-c", "50", "-s", "30", f"{url}/page"],
                                  timeout_s=300)
        self.assertRegex(report, r"Complete requests:\s+20000\n", report)
        self.assertRegex(report, r"Failed requests:\s+0\n", report)
        self.assertNotIn("Non-2xx responses", report)
        log = (root / "access.log").read_text().splitlines()
        self.assertEqual(sum(1 for line in log if line.split()[1:] == ["200", "4096"]), 20000)
        # Both workers accepted from the listening socket they inherited from the master.
        self.assertEqual({line.split()[0] for line in log}, workers)
        errors = (root / "error.log").read_text()
        self.assertNotIn("[alert]", errors)
        self.assertNotIn("[emerg]", errors)
        self.assert_still_running("nginx", nginx)

    def test_a_worker_forked_after_clearing_the_environment_reaches_the_daemon(self) -> None:
        self.start_kernel_echo()
        output = self.run_checked([PYTHON, "-c", CLEARED_ENVIRONMENT_FORK, HOST_ADDRESS,
                                   str(KERNEL_ECHO_PORT)], timeout_s=30, shim=True)
        self.assertEqual(output.splitlines(), [f"parent {STACK_ADDRESS}", f"child {STACK_ADDRESS}"])

    def test_the_first_socket_call_leaves_errno_alone(self) -> None:
        self.require("cc")
        program = self.scratch / "first_socket_errno"
        compiled = subprocess.run(["cc", "-O1", "-o", str(program),
                                   str(HERE / "first_socket_errno.c")],
                                  capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(compiled.returncode, 0, compiled.stderr)
        self.assertEqual(self.run_checked([str(program)], 30, shim=True).strip(), "errno 0")

    def test_asyncio_echo_server_with_200_kernel_clients(self) -> None:
        server = self.start("echo", [PYTHON, str(HERE / "asyncio_echo.py"),
                                     str(ASYNCIO_ECHO_PORT)], shim=True)
        self.wait_for_server("echo", server, STACK_ADDRESS, ASYNCIO_ECHO_PORT)
        summary = self.run_checked([PYTHON, str(HERE / "echo_clients.py"), STACK_ADDRESS,
                                    str(ASYNCIO_ECHO_PORT), "200", "8192"], timeout_s=90)
        self.assertEqual(json.loads(summary.splitlines()[-1])["ok"], 200, summary)
        self.assert_still_running("echo", server)

    def redis_server(self, name: str, port: int, shim: bool) -> subprocess.Popen:
        """Our own redis-server with explicit arguments: never a system instance or config."""
        directory = self.scratch / name
        directory.mkdir()
        server = self.start(name, ["redis-server", "--port", str(port), "--bind", "0.0.0.0",
                                   "--protected-mode", "no", "--save", "", "--appendonly", "no",
                                   "--daemonize", "no", "--dir", str(directory)], shim=shim)
        host = STACK_ADDRESS if shim else HOST_ADDRESS
        self.wait_for_server(name, server, host, port)
        return server

    def test_redis_server_under_the_shim_and_redis_benchmark(self) -> None:
        self.require("redis-server", "redis-benchmark")
        server = self.redis_server("redis", REDIS_SHIM_PORT, shim=True)
        report = self.run_checked(["redis-benchmark", "-h", STACK_ADDRESS, "-p",
                                   str(REDIS_SHIM_PORT), "-n", "20000", "-q"], timeout_s=300)
        lines = [line for line in report.splitlines() if line.strip()]  # splits at \r too
        results = [line for line in lines if "requests per second" in line]
        self.assertEqual(len(results), 20, report)  # every default test of redis 7.0
        # redis-benchmark reports failed connections as "Error: ..." and error replies as "ERR".
        errors = [line for line in lines if re.search(r"(?i:error)|\bERR\b", line)]
        self.assertEqual(errors, [], report)
        self.assert_still_running("redis", server)

    def test_redis_cli_under_the_shim_against_a_kernel_redis(self) -> None:
        self.require("redis-server", "redis-cli")
        self.redis_server("redis", REDIS_KERNEL_PORT, shim=False)
        cli = ["redis-cli", "-h", HOST_ADDRESS, "-p", str(REDIS_KERNEL_PORT)]
        self.assertEqual(self.run_checked([*cli, "ping"], 30, shim=True).strip(), "PONG")
        self.assertEqual(self.run_checked([*cli, "set", "key", "on the stack"], 30,
                                          shim=True).strip(), "OK")
        self.assertEqual(self.run_checked([*cli, "get", "key"], 30, shim=True).strip(),
                         "on the stack")
        # The server saw the client at the stack's address: redis-cli's socket was tapstack's.
        clients = self.run_checked([*cli, "client", "list"], 30, shim=True)
        self.assertIn(f"addr={STACK_ADDRESS}:", clients)

    def iperf3(self, argv: list[str], shim: bool) -> dict:
        """One 5-second iperf3 client run with --json; checks that bytes moved without error."""
        output = self.run_checked(["iperf3", *argv, "-t", "5", "--json"], 60, shim=shim)
        result = json.loads(output)
        self.assertNotIn("error", result, output[-2000:])
        self.assertGreater(result["end"]["sum_sent"]["bytes"], 0, output[-2000:])
        self.assertGreater(result["end"]["sum_received"]["bytes"], 0, output[-2000:])
        return result

    def test_iperf3_server_under_the_shim_both_directions(self) -> None:
        self.require("iperf3")
        # -4: iperf3 listens on an IPv6 (dual-stack) socket otherwise, which stays the kernel's.
        server = self.start("iperf3", ["iperf3", "-s", "-4", "-p", str(IPERF_SHIM_PORT)],
                            shim=True)
        self.wait_for_server("iperf3", server, STACK_ADDRESS, IPERF_SHIM_PORT)
        # After each test the server closes its listener and binds the port again at once.
        for direction in ([], ["-R"]):
            self.iperf3(["-c", STACK_ADDRESS, "-p", str(IPERF_SHIM_PORT), *direction], shim=False)
        self.assert_still_running("iperf3", server)

    def test_iperf3_client_under_the_shim_both_directions(self) -> None:
        self.require("iperf3")
        server = self.start("iperf3", ["iperf3", "-s", "-B", HOST_ADDRESS, "-p",
                                       str(IPERF_KERNEL_PORT)])
        self.wait_for_server("iperf3", server, HOST_ADDRESS, IPERF_KERNEL_PORT)
        for direction in ([], ["-R"]):
            result = self.iperf3(["-c", HOST_ADDRESS, "-p", str(IPERF_KERNEL_PORT), *direction],
                                 shim=True)
            self.assertEqual(result["start"]["connected"][0]["local_host"], STACK_ADDRESS)

    def test_socat_relay_under_the_shim_carries_bytes_exactly(self) -> None:
        self.require("socat")
        self.start_kernel_echo()
        relay = self.start("socat", ["socat", f"TCP4-LISTEN:{SOCAT_PORT},fork,reuseaddr",
                                     f"TCP4:{HOST_ADDRESS}:{KERNEL_ECHO_PORT}"], shim=True)
        self.wait_for_server("socat", relay, STACK_ADDRESS, SOCAT_PORT)
        # Kernel client -> socat (stack) -> kernel echo server and back, 8 relays at once.
        summary = self.run_checked([PYTHON, str(HERE / "echo_clients.py"), STACK_ADDRESS,
                                    str(SOCAT_PORT), "8", "4000000"], timeout_s=120)
        self.assertEqual(json.loads(summary.splitlines()[-1])["ok"], 8, summary)
        self.assert_still_running("socat", relay)


if __name__ == "__main__":
    import unittest
    unittest.main()

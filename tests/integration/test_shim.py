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
import time
from pathlib import Path

import netns
from netns import HERE, HOST_ADDRESS, PYTHON, STACK_ADDRESS, DaemonTestCase, wait_until
from shim_case import ECHO_SERVER, ShimTestCase

KERNEL_HTTP_PORT = 8080
KERNEL_ECHO_PORT = 8007
CLOSED_PORT = 8009
SHIM_HTTP_PORT = 8000



class ShimTest(ShimTestCase):
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

    def start_kernel_http(self) -> subprocess.Popen:
        server = self.spawn([PYTHON, "-m", "http.server", str(KERNEL_HTTP_PORT), "--bind",
                             HOST_ADDRESS, "--directory", str(self.www)])
        self.wait_for_port(HOST_ADDRESS, KERNEL_HTTP_PORT)
        return server

    def test_curl_and_wget_download_100_mb_under_the_shim(self) -> None:
        content = os.urandom(100_000_000)
        (self.www / "100MB").write_bytes(content)
        expected = hashlib.sha256(content).hexdigest()
        self.start_kernel_http()
        url = f"http://{HOST_ADDRESS}:{KERNEL_HTTP_PORT}/100MB"
        for name, fetch in (("curl", ["curl", "-sS", "--max-time", "120", "-o"]),
                            ("wget", ["wget", "-q", "--timeout=120", "-O"])):
            target = self.scratch / f"{name}.out"
            done = self.run_shim([*fetch, str(target), url], timeout_s=150)
            self.assertEqual(done.returncode, 0, name + ": " + done.stderr)
            self.assertEqual(hashlib.sha256(target.read_bytes()).hexdigest(), expected, name)
            target.unlink()

    def test_curl_to_a_closed_port_is_refused_at_once(self) -> None:
        started = time.monotonic()
        done = self.run_shim(["curl", "-sS", "--max-time", "10",
                              f"http://{HOST_ADDRESS}:{CLOSED_PORT}/"])
        self.assertNotEqual(done.returncode, 0)
        # curl 7.88's words for ECONNREFUSED, as with the kernel's stack (errno itself is
        # checked in shim_client.py).
        self.assertIn("Couldn't connect to server", done.stderr)
        self.assertLess(time.monotonic() - started, 3)

    def test_curl_to_an_unroutable_address_times_out_as_configured(self) -> None:
        # 10.0.0.99 is on-link but nobody answers ARP: the connection can only time out.
        started = time.monotonic()
        done = self.run_shim(["curl", "-sS", "--connect-timeout", "2", "http://10.0.0.99/"])
        elapsed = time.monotonic() - started
        self.assertNotEqual(done.returncode, 0)
        self.assertGreaterEqual(elapsed, 1.5, done.stderr)
        self.assertLess(elapsed, 10, done.stderr)

    def test_100_nonblocking_connections_with_epoll(self) -> None:
        self.spawn([PYTHON, "-c", ECHO_SERVER.format(host=HOST_ADDRESS, port=KERNEL_ECHO_PORT)])
        self.wait_for_port(HOST_ADDRESS, KERNEL_ECHO_PORT)
        done = self.run_shim([PYTHON, str(HERE / "epoll_clients.py"), HOST_ADDRESS,
                              str(KERNEL_ECHO_PORT), "100"])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(json.loads(done.stdout.strip().splitlines()[-1])["done"], 100)

    def test_bad_ipc_clients_are_closed_while_a_transfer_continues(self) -> None:
        content = os.urandom(30_000_000)
        (self.www / "blob").write_bytes(content)
        self.start_kernel_http()
        target = self.scratch / "blob.out"
        download = self.spawn(["env", f"TAPSTACK_SOCKET={self.ipc_socket}",
                               str(netns.TAPSTACK_RUN), "curl", "-sS", "--limit-rate", "20M",
                               "--max-time", "60", "-o", str(target),
                               f"http://{HOST_ADDRESS}:{KERNEL_HTTP_PORT}/blob"])
        for kind in ("garbage", "bad_length", "bad_version"):
            bad = self.namespace.run([PYTHON, str(HERE / "ipc_garbage.py"),
                                      str(self.ipc_socket), kind])
            self.assertEqual(bad.returncode, 0, kind + ": " + bad.stdout + bad.stderr)
        self.assertEqual(download.wait(timeout=90), 0, download.communicate()[0])
        self.assertEqual(hashlib.sha256(target.read_bytes()).hexdigest(),
                         hashlib.sha256(content).hexdigest())
        warnings = [line for line in self.daemon.log().splitlines() if "warn: ipc" in line]
        self.assertEqual(len(warnings), 3, "\n".join(warnings))
        self.assertTrue(all("pid=" in line and "uid=" in line for line in warnings), warnings)
        self.assert_ping_works()

    def test_a_killed_client_has_its_connection_closed(self) -> None:
        self.spawn([PYTHON, "-c", ECHO_SERVER.format(host=HOST_ADDRESS, port=KERNEL_ECHO_PORT)])
        self.wait_for_port(HOST_ADDRESS, KERNEL_ECHO_PORT)
        holder = self.spawn([PYTHON, "-c", "import socket, time\n"
                             f"s = socket.create_connection(('{HOST_ADDRESS}', {KERNEL_ECHO_PORT}))\n"
                             "print('connected', flush=True)\ntime.sleep(60)"], shim=True)
        self.assertEqual(holder.stdout.readline().strip(), "connected")
        def from_stack() -> bool:  # the kernel's echo server side of our connection
            listing = self.namespace.run(["ss", "-tnH", "state", "established"]).stdout
            return any(f"{HOST_ADDRESS}:{KERNEL_ECHO_PORT}" in line and STACK_ADDRESS in line
                       for line in listing.splitlines())
        self.assertTrue(from_stack())
        holder.kill()  # SIGKILL: the program's fds close, the daemon closes the connection
        holder.wait(timeout=10)
        self.assertTrue(wait_until(lambda: not from_stack(), 5),
                        "the kernel peer still sees the connection established")

    def test_without_the_daemon_socket_fails_at_once_with_a_message(self) -> None:
        self.stop_daemon()
        started = time.monotonic()
        done = self.run_shim(["curl", "-sS", "--max-time", "10", f"http://{HOST_ADDRESS}/"])
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn(f"tapstack: cannot reach tapstackd at {self.ipc_socket}", done.stderr)

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


class BusyPollTest(ShimTestCase):
    """tap.busy_poll: the event loop polls before it sleeps; the data path is unchanged."""

    daemon_config = "tap:\n  busy_poll: 50us\n"

    def test_a_busy_polling_daemon_serves_a_shimmed_download(self) -> None:
        content = os.urandom(20_000_000)
        (self.www / "20MB").write_bytes(content)
        server = self.spawn([PYTHON, "-m", "http.server", str(KERNEL_HTTP_PORT), "--bind",
                             HOST_ADDRESS, "--directory", str(self.www)])
        self.addCleanup(server.kill)
        self.wait_for_port(HOST_ADDRESS, KERNEL_HTTP_PORT)
        target = self.scratch / "20MB.out"
        done = self.run_shim(["curl", "-sS", "--max-time", "60", "-o", str(target),
                              f"http://{HOST_ADDRESS}:{KERNEL_HTTP_PORT}/20MB"], timeout_s=90)
        self.assertEqual(done.returncode, 0, done.stderr + self.daemon.log_tail())
        self.assertEqual(hashlib.sha256(target.read_bytes()).digest(),
                         hashlib.sha256(content).digest())
        shown = self.namespace.run([str(netns.TAPSTACKCTL), "--socket", str(self.ipc_socket),
                                    "config", "--json"], timeout_s=20)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout)["tap.busy_poll"], "50us")

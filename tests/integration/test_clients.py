"""Hostile or careless local clients, and faults of the daemon itself (issue 8):

- 1,000 shim clients that open sockets and die by SIGKILL leave no sockets, fds or memory;
- a client cannot name, close or read another client's socket by forging ids, and a stolen
  data-channel fd gives the thief that socket only (SECURITY.md: the fd is the capability);
- per-client limits answer with the kernel's errno: EMFILE (ipc.max_sockets_per_client) and
  ENOBUFS (ipc.max_buffer_per_client), the latter changed by a SIGHUP reload;
- a daemon killed under blocked clients fails each of them within a second, and a restarted one
  serves new clients on the same socket path; log write errors do not stop packet processing;
- thousands of connections whose program stops reading keep the daemon within the memory budget
  its buffer settings imply, with the accept queue bounded and its overflow counted.
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import netns
from ipc_raw import TCP, UDP, Closed, RawClient
from netns import HOST_ADDRESS, PYTHON, STACK_ADDRESS, wait_until
from shim_case import ECHO_SERVER, ShimTestCase

HERE = Path(__file__).resolve().parent
ECHO_PORT = 8200


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def read_line(process: subprocess.Popen, timeout_s: float) -> str:
    """The next line of `process`'s stdout, or "" when none came within `timeout_s`."""
    if not select.select([process.stdout], [], [], timeout_s)[0]:
        return ""
    return process.stdout.readline().strip()


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class ClientsTestCase(ShimTestCase):
    """A daemon with helpers for tapstackctl, the kernel echo server and the daemon's /proc."""

    config_text = ""  # YAML for --config; empty: the defaults

    def before_daemon_start(self) -> tuple[str, ...]:
        if not self.config_text:
            return self.daemon_args
        self.config = self.scratch / "tapstackd.yaml"
        self.config.write_text(self.config_text)
        return ("--config", str(self.config))

    def ctl_json(self, *args: str):
        self.assertIsNotNone(netns.TAPSTACKCTL, "run.py needs --tapstackctl")
        done = self.namespace.run([str(netns.TAPSTACKCTL), "--socket", str(self.ipc_socket),
                                   *args, "--json"], timeout_s=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def start_echo_server(self) -> None:
        self.spawn([PYTHON, "-c", ECHO_SERVER.format(host=HOST_ADDRESS, port=ECHO_PORT)])
        self.wait_for_port(HOST_ADDRESS, ECHO_PORT)

    @property
    def pid(self) -> int:
        return self.daemon.process.pid

    def client_sockets(self) -> list[dict]:
        """Rows of `tapstackctl sockets` owned by a program (the daemon's services have none)."""
        return [row for row in self.ctl_json("sockets") if isinstance(row.get("pid"), int)]


class KilledClientsTest(ClientsTestCase):
    TOTAL = 1000
    BATCH = 20
    # Allocator arenas and hash tables sized for a batch may stay; nothing may grow per client.
    RSS_SLACK_KIB = 1024

    def run_dying_clients(self, total: int) -> None:
        done = self.run_shim([PYTHON, str(HERE / "dying_clients.py"), HOST_ADDRESS,
                              str(ECHO_PORT), str(total), str(self.BATCH)], timeout_s=240)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr + self.daemon.log_tail())
        self.assertIn(f"done {total}", done.stdout)

    def wait_for_no_client_sockets(self) -> dict:
        status: dict = {}

        def settled() -> bool:
            nonlocal status
            status = self.ctl_json("status")
            return status["ipc_sockets"] == 0 and status["ipc_clients"] <= 1  # tapstackctl's own
        self.assertTrue(wait_until(settled, 30, interval_s=0.5), status)
        return status

    def assert_owned_sockets_are_listed(self) -> None:
        """The check for leftovers can see a client's socket: a raw client's listener."""
        client = RawClient(str(self.ipc_socket))
        client.hello()
        error, socket_id, fd = client.socket(TCP)
        self.assertEqual((error, client.listen(socket_id, fd)), (0, 0))
        self.assertEqual([row["pid"] for row in self.client_sockets()], [os.getpid()])
        os.close(fd)
        client.close()

    def test_a_thousand_killed_clients_leave_no_sockets_fds_or_memory(self) -> None:
        self.start_echo_server()
        self.assert_owned_sockets_are_listed()
        self.run_dying_clients(self.BATCH)  # warm-up: the first batch sizes tables and arenas
        self.wait_for_no_client_sockets()
        fds_before, rss_before = fd_count(self.pid), vm_rss_kib(self.pid)
        stats_before = self.ctl_json("stats")

        started = time.monotonic()
        self.run_dying_clients(self.TOTAL)
        elapsed = time.monotonic() - started

        self.wait_for_no_client_sockets()
        self.assertEqual(self.client_sockets(), [])
        stats = self.ctl_json("stats")
        created = stats["ipc_sockets_created"] - stats_before["ipc_sockets_created"]
        closed = stats["ipc_sockets_closed"] - stats_before["ipc_sockets_closed"]
        self.assertGreaterEqual(created, 3 * self.TOTAL)  # listener, connection, UDP each
        self.assertEqual(created, closed)
        self.assertTrue(wait_until(lambda: fd_count(self.pid) <= fds_before, 10),
                        f"daemon fds {fd_count(self.pid)}, before {fds_before}")
        rss = vm_rss_kib(self.pid)
        print(f"\n  {self.TOTAL} clients in {elapsed:.1f} s; daemon fds {fds_before} -> "
              f"{fd_count(self.pid)}, VmRSS {rss_before} -> {rss} KiB")
        self.assertLessEqual(rss, rss_before + self.RSS_SLACK_KIB,
                             f"VmRSS {rss} KiB, before {rss_before} KiB ({elapsed:.1f} s)")
        self.assert_ping_works()


class ForeignSocketsTest(ClientsTestCase):
    """PROTOCOL.md §2: a request names a socket by id and carries its fd; both must agree."""

    def victim(self) -> tuple[RawClient, tuple[int, int], tuple[int, int]]:
        """A raw client with a TCP connection to the echo server holding 'secret' unread, and a
        second, fresh socket: ((id, fd), (id, fd))."""
        victim = RawClient(str(self.ipc_socket))
        self.addCleanup(victim.close)
        victim.hello()
        error, connected_id, connected_fd = victim.socket(TCP)
        self.assertEqual(error, 0)
        self.addCleanup(os.close, connected_fd)
        self.assertEqual(victim.connect(connected_id, connected_fd, HOST_ADDRESS, ECHO_PORT), 0)
        self.assertTrue(wait_until(lambda: self.writable(connected_fd), 5), "no connection")
        os.write(connected_fd, b"secret")
        error, fresh_id, fresh_fd = victim.socket(TCP)
        self.assertEqual(error, 0)
        self.addCleanup(os.close, fresh_fd)
        return victim, (connected_id, connected_fd), (fresh_id, fresh_fd)

    @staticmethod
    def writable(fd: int) -> bool:
        return bool(select.select([], [fd], [], 0)[1])

    def assert_victim_works(self, victim: RawClient, sockets) -> None:
        for socket_id, fd in sockets:
            self.assertEqual(victim.getsockname(socket_id, fd), 0)
            self.assertEqual(victim.get_error(socket_id, fd), 0)

    def test_forged_ids_are_refused_and_close_only_the_forger(self) -> None:
        self.start_echo_server()
        victim, connected, fresh = self.victim()
        refused_before = self.ctl_json("stats")["ipc_requests_refused_bad_fd"]
        mallory = RawClient(str(self.ipc_socket))
        self.addCleanup(mallory.close)
        mallory.hello()
        error, own_id, own_fd = mallory.socket(UDP)
        self.assertEqual(error, 0)
        self.addCleanup(os.close, own_fd)
        pipe_r, pipe_w = os.pipe()
        self.addCleanup(os.close, pipe_r)
        self.addCleanup(os.close, pipe_w)
        forged = [i for i in range(1, max(own_id, fresh[0]) + 64) if i != own_id]
        for socket_id in forged:  # every id the daemon gave out, and more, with mallory's fd
            self.assertEqual(mallory.get_error(socket_id, own_fd), errno.EBADF, socket_id)
            self.assertEqual(mallory.close_socket(socket_id, own_fd), errno.EBADF, socket_id)
        for socket_id in (connected[0], fresh[0], 0):  # with an fd that is no socket at all
            self.assertEqual(mallory.getsockname(socket_id, pipe_w), errno.EBADF)
        self.assertEqual(mallory.getsockname(own_id, own_fd), 0)  # its own socket works
        refused = self.ctl_json("stats")["ipc_requests_refused_bad_fd"] - refused_before
        self.assertEqual(refused, 2 * len(forged) + 3)
        self.assert_victim_works(victim, [connected, fresh])

        # A request without the fd is a protocol error: the forger is closed, nobody else.
        dropped_before = self.ctl_json("stats")["ipc_clients_dropped"]
        with self.assertRaises(Closed):
            mallory.close_socket(connected[0], None)
        self.assertEqual(self.ctl_json("stats")["ipc_clients_dropped"], dropped_before + 1)
        self.assert_victim_works(victim, [connected, fresh])
        self.assertEqual(os.read(connected[1], 64), b"secret")  # its connection is intact

    def test_a_stolen_fd_gives_that_socket_only(self) -> None:
        self.start_echo_server()
        victim, connected, fresh = self.victim()
        error, _ = victim.admin("stats")  # an answer kept for the victim's connection
        self.assertEqual(error, 0)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(ours.close)
        thief = subprocess.Popen(
            [PYTHON, str(HERE / "ipc_raw.py"), "thief", str(self.ipc_socket), str(connected[0]),
             str(fresh[0]), "stats", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.addCleanup(lambda: thief.poll() is None and thief.kill())
        theirs.close()
        socket.send_fds(ours, [b"f"], [connected[1]])
        out, err = thief.communicate(timeout=20)
        self.assertEqual(thief.returncode, 0, err)
        got = json.loads(out)
        self.assertEqual(got["own_stolen"], 0)
        self.assertEqual(got["by_fd_alone"], 0)
        self.assertEqual(got["other_with_stolen"], errno.EBADF)
        self.assertEqual(got["close_other_with_stolen"], errno.EBADF)
        self.assertEqual(got["other_with_pipe"], errno.EBADF)
        self.assertEqual(got["victim_admin_continuation"], errno.EINVAL)
        self.assertEqual(got["read"], "secret")  # the fd's bytes: what holding the fd gives
        self.assert_victim_works(victim, [connected, fresh])


# A TCP socket reserves its send buffer plus its largest receive buffer: 64 KiB + 1 MiB by default
# here; 4.5 MiB is four of them and a bit.
LIMITS_CONFIG = """\
ipc:
  max_sockets_per_client: 4
  max_buffer_per_client: {budget}
tcp:
  send_buffer: 64KiB
  receive_buffer: 64KiB
  receive_buffer_max: 1MiB
"""

# Under tapstack-run: which errno each step gets (0: success), one JSON line; then, after a line
# on stdin (the test reloaded the daemon), whether the refused socket fits now.
LIMITS_PROBE = """
import errno, json, socket, sys, time
def attempt(call):
    try:
        return call() or 0
    except OSError as e:
        return errno.errorcode[e.errno]
def opened():
    held.append(socket.socket())
def option(i, name, value):
    return lambda: held[i].setsockopt(socket.SOL_SOCKET, name, value)
held, steps = [], {}
for i in range(5):
    steps[f"socket{i}"] = attempt(opened)
for s in held:
    s.close()
held.clear()
steps["a"] = attempt(opened)  # right after the closes: as close(2), they freed their share
steps["huge_sndbuf_a"] = attempt(option(0, socket.SO_SNDBUF, 4 << 20))
steps["small_rcvbuf_a"] = attempt(option(0, socket.SO_RCVBUF, 64 << 10))
steps["b"] = attempt(opened)
steps["sndbuf_b"] = attempt(option(1, socket.SO_SNDBUF, 1 << 20))
steps["c"] = attempt(opened)
steps["sndbuf_c"] = attempt(option(2, socket.SO_SNDBUF, 256 << 10))
steps["sndbuf_c_kept"] = held[2].getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
steps["d"] = attempt(opened)
print(json.dumps(steps), flush=True)
sys.stdin.readline()
print(json.dumps({"d_after_reload": attempt(opened)}), flush=True)
"""


class ClientLimitsTest(ClientsTestCase):
    config_text = LIMITS_CONFIG.format(budget="4608KiB")

    def test_socket_and_buffer_limits_answer_emfile_and_enobufs(self) -> None:
        probe = subprocess.Popen(
            self.namespace.command(["env", f"TAPSTACK_SOCKET={self.ipc_socket}",
                                    str(netns.TAPSTACK_RUN), PYTHON, "-c", LIMITS_PROBE]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: probe.poll() is None and probe.kill())
        line = read_line(probe, 20)
        if not line:
            probe.kill()
            self.fail("the probe stopped: " + probe.communicate()[1] + self.daemon.log_tail())
        steps = json.loads(line)
        self.assertEqual([steps.get(f"socket{i}") for i in range(5)], [0, 0, 0, 0, "EMFILE"],
                         self.daemon.log_tail())
        # Reservations in KiB: a 64 + 1024, b likewise; 4 MiB of send buffer never fits.
        self.assertEqual(steps["a"], 0)
        self.assertEqual(steps["huge_sndbuf_a"], "ENOBUFS")
        self.assertEqual(steps["small_rcvbuf_a"], 0)  # a: 64 + 128 (fixed, doubled)
        self.assertEqual(steps["b"], 0)
        self.assertEqual(steps["sndbuf_b"], 0)  # b: 2048 + 1024; 3264 in all
        self.assertEqual(steps["c"], 0)  # 4352
        self.assertEqual(steps["sndbuf_c"], "ENOBUFS")  # 4352 + 448 > 4608
        self.assertEqual(steps["sndbuf_c_kept"], 64 << 10)  # the refused option left no trace
        self.assertEqual(steps["d"], "ENOBUFS")  # 4352 + 1088 > 4608, with 3 of 4 sockets

        # SIGHUP with a larger budget: the same client's next socket fits.
        self.config.write_text(LIMITS_CONFIG.format(budget="8MiB"))

        def reloaded() -> bool:
            return self.ctl_json("config")["ipc.max_buffer_per_client"] == "8MiB"
        self.assertEqual(self.ctl_json("config")["ipc.max_buffer_per_client"], "4608KiB")
        os.kill(self.pid, signal.SIGHUP)
        self.assertTrue(wait_until(reloaded, 10, interval_s=0.2), self.daemon.log_tail())
        probe.stdin.write("reloaded\n")
        probe.stdin.flush()
        after = json.loads(read_line(probe, 20) or "{}")
        self.assertEqual(after.get("d_after_reload"), 0, self.daemon.log_tail())
        probe.stdin.close()
        probe.wait(timeout=10)


# A kernel-side server that accepts and never reads: writers to it block once buffers are full.
SINK_SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
print("ready", flush=True)
held = []
while True:
    held.append(s.accept()[0])
"""
SINK_PORT = 8201
# Beyond the gateway (the namespace's kernel), which does not forward: SYNs vanish.
NEVER_ANSWERS = ("10.9.9.9", 80)

# Under tapstack-run: one echo round trip through the stack.
ECHO_ONCE = """
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.sendall(b"after restart")
print(c.recv(64).decode())
"""


class DaemonFaultsTest(ClientsTestCase):
    # PROTOCOL.md §4: a program never hangs on a dead daemon.
    FAIL_WITHIN_S = 1.0

    def test_killed_daemon_fails_every_blocked_client_and_a_restart_serves_new_ones(self) -> None:
        self.start_echo_server()
        sink = self.spawn([PYTHON, "-c", SINK_SERVER, HOST_ADDRESS, str(SINK_PORT)])
        self.assertEqual(read_line(sink, 10), "ready")
        targets = {"read": (HOST_ADDRESS, ECHO_PORT), "write": (HOST_ADDRESS, SINK_PORT),
                   "poll": (HOST_ADDRESS, ECHO_PORT), "connect": NEVER_ANSWERS}
        clients = {mode: self.spawn([PYTHON, str(HERE / "blocked_client.py"), mode, host,
                                     str(port)], shim=True)
                   for mode, (host, port) in targets.items()}
        for mode, client in clients.items():
            self.assertEqual(read_line(client, 10), "ready", mode + self.daemon.log_tail())
        time.sleep(1.0)  # every call is blocked by now; the writer has filled the buffers
        killed_at = time.monotonic()
        self.daemon.process.kill()
        self.daemon.process.wait(timeout=10)
        outcomes = {}
        for mode, client in clients.items():
            line = read_line(client, 5)  # bounded: a hanging client fails here
            self.assertTrue(line, f"{mode}: no answer 5 s after the daemon died")
            outcomes[mode] = json.loads(line)
        print("\n  " + ", ".join(f"{mode}: {got['first']} then {got['next']} after "
                                f"{got['at'] - killed_at:.3f} s" for mode, got in outcomes.items()))
        for mode, got in outcomes.items():
            self.assertLessEqual(got["at"] - killed_at, self.FAIL_WITHIN_S, (mode, got))
            # The blocked call fails (a read too: a false end of stream would cut the data
            # silently), and so does the next call.
            self.assertNotIn(got["first"], ("ok", "eof", "poll timed out"), (mode, got))
            self.assertNotIn(got["next"], ("ok", "eof"), (mode, got))

        restarted = netns.Daemon(self.namespace, netns.TAPSTACKD,
                                 netns.LOG_DIR / f"{self.id()}.restarted.log", self.ipc_socket)
        self.addCleanup(restarted.kill)
        restarted.start(self.before_daemon_start())
        self.daemon = restarted
        echoed = self.run_shim([PYTHON, "-c", ECHO_ONCE, HOST_ADDRESS, str(ECHO_PORT)],
                               timeout_s=20)
        self.assertEqual(echoed.stdout.strip(), "after restart", echoed.stderr)

    def start_daemon_writing_to(self, output: int, ipc_socket: Path) -> subprocess.Popen:
        """tapstackd (debug log level) with stdout and stderr on `output`; ready once it
        answers ping."""
        argv = [str(netns.TAPSTACKD), "--tap", netns.TAP,
                "--address", f"{STACK_ADDRESS}/{netns.PREFIX_LENGTH}",
                "--host-address", f"{HOST_ADDRESS}/{netns.PREFIX_LENGTH}",
                "--gateway", HOST_ADDRESS, "--mac", netns.DAEMON_MAC,
                "--ipc-socket", str(ipc_socket), "--log-level", "debug"]
        process = subprocess.Popen(self.namespace.command(argv), stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=output)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        self.addCleanup(lambda: process.poll() is None or process.wait(timeout=10))
        probe = ["ping", "-n", "-c", "1", "-w", "1", STACK_ADDRESS]  # fails until tap0 is up
        answered = wait_until(lambda: process.poll() is not None or
                              self.namespace.run(probe, timeout_s=5).returncode == 0, 15,
                              interval_s=0.2)
        self.assertIsNone(process.poll(), "tapstackd exited")
        self.assertTrue(answered, "tapstackd never answered ping")
        return process

    def test_log_write_errors_do_not_stop_packet_processing(self) -> None:
        self.stop_daemon()
        read_end, broken_pipe = os.pipe()
        os.close(read_end)  # every write to the pipe fails with EPIPE (and raises SIGPIPE)
        full = os.open("/dev/full", os.O_WRONLY)  # every write fails with ENOSPC
        for name, output in (("closed pipe", broken_pipe), ("/dev/full", full)):
            with self.subTest(output=name):
                ipc_socket = self.scratch / f"ipc-{output}.sock"
                process = self.start_daemon_writing_to(output, ipc_socket)
                for _ in range(3):  # each SIGUSR1 writes every counter: hundreds of failures
                    process.send_signal(signal.SIGUSR1)
                    result = self.ping("-c", "3", "-i", "0.2", deadline_s=5)
                    self.assertTrue(result.loss_free, f"{name}: {result.output}")
                    self.assertIsNone(process.poll(), f"{name}: tapstackd exited")
                status = self.namespace.run([str(netns.TAPSTACKCTL), "--socket", str(ipc_socket),
                                             "status", "--json"], timeout_s=10)
                self.assertEqual(status.returncode, 0, f"{name}: {status.stderr}")
                process.send_signal(signal.SIGTERM)
                self.assertEqual(process.wait(timeout=10), 0, name)
        os.close(broken_pipe)
        os.close(full)


# Small buffers make the budget small and the fill quick: a connection holds at most 4 KiB
# received (the window) and 4 KiB to send in the stack; the channels' and the kernel's socket
# buffers are kernel memory, not the daemon's.
STALLED_CONFIG = """\
ipc:
  max_sockets_per_client: 30000
tcp:
  send_buffer: 4KiB
  send_buffer_max: 4KiB
  receive_buffer: 4KiB
  receive_buffer_max: 4KiB
  syn_backlog: 64
"""
STALLED_PORT = 8300
SYN_BACKLOG = 64


class StalledReadersTest(ClientsTestCase):
    config_text = STALLED_CONFIG
    # Issue 8 asks for 10,000. That passes but takes minutes on 2 cores: each connection
    # carries ~200 KiB before it blocks (the program's channel, a kernel socket buffer, fills
    # first) through 4 KiB windows. By hand on 2 shared cores: 10,461 connections, 2 GiB
    # written, VmRSS 12 -> 73 MB against a 159 MB budget, 372 s. CI runs 2,000 (never fewer);
    # TAPSTACK_STALLED_CONNECTIONS=10000 runs the count.
    CONNECTIONS = max(2_000, int(os.environ.get("TAPSTACK_STALLED_CONNECTIONS", "2000")))
    # Daemon memory per connection besides its buffers: the TCP connection, its IPC socket,
    # index entries, the Asio descriptor state; measured well below this bound.
    PER_CONNECTION_KIB = 6
    BUFFERS_KIB = 4 + 4  # tcp.send_buffer + tcp.receive_buffer_max

    def test_connections_whose_reader_stopped_stay_within_the_memory_budget(self) -> None:
        self.assertGreaterEqual(self.CONNECTIONS, 2000)
        rss_idle = vm_rss_kib(self.pid)
        stats_before = self.ctl_json("stats")
        started = time.monotonic()
        server = subprocess.Popen(  # holds its connections until its stdin closes
            self.namespace.command(["env", f"TAPSTACK_SOCKET={self.ipc_socket}",
                                    str(netns.TAPSTACK_RUN), PYTHON,
                                    str(HERE / "stalled_peers.py"), "server", str(STALLED_PORT),
                                    str(self.CONNECTIONS)]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: server.poll() is None and server.kill())
        self.wait_for_port(STACK_ADDRESS, STALLED_PORT + 1)
        writers = subprocess.Popen(
            self.namespace.command([PYTHON, str(HERE / "stalled_peers.py"), "writers",
                                    STACK_ADDRESS, str(STALLED_PORT), str(self.CONNECTIONS)]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: writers.poll() is None and writers.kill())
        filled = read_line(writers, 240)
        self.assertTrue(filled, "the writers did not finish\n" + self.daemon.log_tail())
        self.assertEqual(read_line(server, 10), f"accepted {self.CONNECTIONS}")
        elapsed = time.monotonic() - started
        written = json.loads(filled)["written"]

        status = self.ctl_json("status")
        connections = status["tcp_connections"]
        self.assertGreaterEqual(connections, self.CONNECTIONS)
        # The budget: idle + every connection's buffers and bookkeeping.
        budget = rss_idle + connections * (self.BUFFERS_KIB + self.PER_CONNECTION_KIB)
        rss = vm_rss_kib(self.pid)
        self.assertLessEqual(rss, budget, f"VmRSS {rss} KiB for {connections} connections, "
                             f"{written} bytes written in {elapsed:.0f} s")
        print(f"\n  {connections} connections, {written >> 20} MiB written, VmRSS "
              f"{rss_idle} -> {rss} KiB (budget {budget}), {elapsed:.0f} s")

        # The listener that never accepts: its accept queue stays within the backlog plus the
        # handshakes in progress when it filled (stack/tcp: at most syn_backlog); the SYNs
        # beyond are counted as overflows or answered with cookies.
        rows = self.ctl_json("sockets")
        never = [r for r in rows if r["state"] == "LISTEN" and r["local"].endswith(
            f":{STALLED_PORT + 1}")]
        self.assertEqual(len(never), 1, never)
        self.assertLessEqual(never[0]["recv_q"], never[0]["send_q"] + SYN_BACKLOG, never[0])
        stats = self.ctl_json("stats")
        refused = sum(stats[name] - stats_before[name] for name in (
            "tcp_listen_overflow", "tcp_syn_queue_overflow", "tcp_syncookies_sent"))
        self.assertGreater(refused, 0, "no accept or SYN queue overflow counted")
        self.assertIsNone(self.daemon.process.poll())
        writers.stdin.close()
        server.stdin.close()

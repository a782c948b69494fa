"""UDP through tapstack-run against the kernel's stack: netcat both ways, a Python client with
10,000 datagrams of random sizes and the udp(7) details (names, truncation, FIONREAD, EMSGSIZE,
ECONNREFUSED on a connected socket), a UDP server under the shim answering the kernel, and a
kernel UDP_SEGMENT send taken as one super-datagram (USO) and cut into its datagrams."""

from __future__ import annotations

import json
import selectors
import shutil
import subprocess
from pathlib import Path

import netns
from netns import HERE, HOST_ADDRESS, PYTHON, STACK_ADDRESS
from shim_case import ShimTestCase

ECHO_PORT = 9007
CLOSED_PORT = 9009
NC_PORT = 9000
SHIM_ECHO_PORT = 5300
DATAGRAMS = 10_000

UDP_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
while True:
    data, source = s.recvfrom(65535)
    s.sendto(data, source)
"""

KERNEL_CLIENT = """
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for i in range(200):
    payload = os.urandom(i * 7)
    s.sendto(payload, (sys.argv[1], int(sys.argv[2])))
    data, source = s.recvfrom(65535)
    assert data == payload, i
    assert source == (sys.argv[1], int(sys.argv[2])), source
print("200 echoed")
"""


DNS_CLIENT = """
import socket
print(socket.getaddrinfo("db", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])
print(socket.gethostbyname("fromhosts.test"))
try:
    socket.getaddrinfo("nosuch.example.test", 80, socket.AF_INET)
except socket.gaierror as error:
    print("gaierror", error.errno == socket.EAI_NONAME)
"""


# Asks HOST for probe.example.test (A) until an answer comes, for up to 10 s.
DNS_PROBE = """
import socket, sys, time
query = bytes.fromhex("abcd01000001000000000000") + b"\\x05probe\\x07example\\x04test\\x00\\x00\\x01\\x00\\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(50):
    try:
        s.sendto(query, (sys.argv[1], 53))
        if s.recv(512)[:2] == bytes.fromhex("abcd"):
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
"""


# UDP segmentation offload (USO): one sendto with UDP_SEGMENT stands for USO_SEGMENTS datagrams
# of USO_SEGMENT_SIZE bytes, the last one USO_TAIL bytes; segment k's bytes start at k * 31.
USO_PORT = 5400
USO_SEGMENT_SIZE = 1000
USO_SEGMENTS = 10
USO_TAIL = 400

USO_SEGMENT = """
def segment(k, size):
    return bytes((k * 31 + i) % 256 for i in range(size))
"""

USO_SENDER = USO_SEGMENT + """
import socket, sys
UDP_SEGMENT = 103  # linux/udp.h
host, port, size, count, tail = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
payload = b"".join(segment(k, size) for k in range(count - 1)) + segment(count - 1, tail)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, UDP_SEGMENT, size)
print(s.sendto(payload, (host, port)))
"""

USO_RECEIVER = USO_SEGMENT + """
import socket, sys
port, size, count, tail = map(int, sys.argv[1:])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", port))
s.settimeout(10)
print("ready", flush=True)
for k in range(count):
    data = s.recv(65535)
    print(len(data), data == segment(k, size if k < count - 1 else tail), flush=True)
"""


class UdpTest(ShimTestCase):
    def start_echo(self, host: str, port: int, shim: bool = False) -> subprocess.Popen:
        server = self.spawn([PYTHON, "-c", UDP_ECHO, host, str(port)], shim=shim)
        line = server.stdout.readline()
        self.assertEqual(line.strip(), "ready", line + self.daemon.log_tail())
        return server

    def piped(self, argv: list[str]) -> subprocess.Popen:
        """A background process with stdin and stdout pipes, ended by its PID."""
        process = subprocess.Popen(self.namespace.command(argv), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def stop() -> None:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)
        self.addCleanup(stop)
        return process

    def read_line(self, process: subprocess.Popen, timeout_s: float = 10) -> bytes:
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        self.assertTrue(selector.select(timeout_s), "no output within the time limit")
        return process.stdout.readline()

    def test_netcat_exchanges_datagrams_both_ways_with_a_kernel_netcat(self) -> None:
        kernel = self.piped(["nc", "-u", "-l", HOST_ADDRESS, str(NC_PORT)])
        shimmed = self.piped(["env", f"TAPSTACK_SOCKET={self.ipc_socket}",
                              str(netns.TAPSTACK_RUN), "nc", "-u", HOST_ADDRESS, str(NC_PORT)])
        shimmed.stdin.write(b"hello from the stack\n")
        shimmed.stdin.flush()
        self.assertEqual(self.read_line(kernel), b"hello from the stack\n",
                         self.daemon.log_tail())
        # The kernel's nc answers the source of the first datagram: the stack's address.
        kernel.stdin.write(b"hello from the kernel\n")
        kernel.stdin.flush()
        self.assertEqual(self.read_line(shimmed), b"hello from the kernel\n")
        counters = self.daemon.dump_counters()
        self.assertGreaterEqual(counters["udp_rx_datagrams"], 1)

    def test_python_client_10000_random_datagrams_and_udp_semantics(self) -> None:
        self.start_echo(HOST_ADDRESS, ECHO_PORT)
        done = self.run_shim([PYTHON, str(HERE / "udp_client.py"), HOST_ADDRESS,
                              str(ECHO_PORT), str(CLOSED_PORT), str(DATAGRAMS)], timeout_s=300)
        self.assertTrue(done.stdout.strip(), done.stderr + self.daemon.log_tail())
        results = json.loads(done.stdout.strip().splitlines()[-1])
        failed = {name: text for name, text in results.items() if text != "ok"}
        self.assertEqual(failed, {}, done.stderr)
        self.assertEqual(done.returncode, 0)
        # Through the stack, not the kernel: its counters saw every datagram, fragmented and
        # reassembled the large ones, and got the port unreachable.
        counters = self.daemon.dump_counters()
        self.assertGreaterEqual(counters["udp_tx_datagrams"], DATAGRAMS)
        self.assertGreaterEqual(counters["udp_rx_datagrams"], DATAGRAMS)
        self.assertGreater(counters["ipv4_tx_fragmented"], 0)
        self.assertGreater(counters["ipv4_frag_reassembled"], 0)

    def resolver_files(self, nameserver: str) -> None:
        """resolv.conf and hosts for the namespace: `ip netns exec` mounts /etc/netns/NAME/*."""
        etc = Path("/etc/netns") / self.namespace.name
        etc.mkdir(parents=True)
        self.addCleanup(shutil.rmtree, etc, ignore_errors=True)
        (etc / "resolv.conf").write_text(f"nameserver {nameserver}\nsearch example.test\n")
        (etc / "hosts").write_text("127.0.0.1 localhost\n10.9.9.9 fromhosts.test\n")

    def start_dnsmasq(self) -> subprocess.Popen:
        server = self.spawn(["dnsmasq", "--keep-in-foreground", "--log-facility=-",
                             "--log-queries", "--no-resolv", "--no-hosts", "--pid-file=",
                             "--bind-interfaces", f"--listen-address={HOST_ADDRESS}",
                             "--local=/example.test/", "--address=/www.example.test/10.1.2.3",
                             "--host-record=db.example.test,10.1.2.4"])
        # Ready when it answers a query (from the kernel's side): UDP connect proves nothing.
        ready = self.namespace.run([PYTHON, "-c", DNS_PROBE, HOST_ADDRESS], timeout_s=30)
        self.assertEqual(ready.returncode, 0, "dnsmasq did not answer: " + ready.stderr)
        return server

    def test_name_resolution_goes_through_the_stack_to_the_resolver(self) -> None:
        self.resolver_files(HOST_ADDRESS)
        dnsmasq = self.start_dnsmasq()
        shim = ["env", f"TAPSTACK_SOCKET={self.ipc_socket}", str(netns.TAPSTACK_RUN)]
        getent = self.namespace.run([*shim, "getent", "ahostsv4", "www.example.test"])
        self.assertEqual(getent.returncode, 0, getent.stderr + self.daemon.log_tail())
        self.assertIn("10.1.2.3", getent.stdout)
        missing = self.namespace.run([*shim, "getent", "ahostsv4", "nosuch.example.test"])
        self.assertEqual(missing.returncode, 2)  # getent: key not found
        python = self.namespace.run([*shim, PYTHON, "-c", DNS_CLIENT])
        self.assertEqual(python.stdout.split(), ["10.1.2.4", "10.9.9.9", "gaierror", "True"],
                         python.stderr)
        # Not dig, host or nslookup: BIND 9.18's libuv sends with raw sendmmsg system calls,
        # which no LD_PRELOAD shim sees (README, programs known not to work).
        dnsmasq.kill()
        log = dnsmasq.communicate(timeout=10)[0]
        # Every query came from the stack's address: through tapstack, not the kernel.
        self.assertIn(f"query[A] www.example.test from {STACK_ADDRESS}", log)
        self.assertIn(f"query[A] db.example.test from {STACK_ADDRESS}", log)
        for name in ("www", "db", "nosuch"):  # only the readiness probe came from the kernel
            self.assertNotIn(f"{name}.example.test from {HOST_ADDRESS}", log)

    def test_udp_server_under_the_shim_answers_the_kernel(self) -> None:
        self.start_echo("0.0.0.0", SHIM_ECHO_PORT, shim=True)
        done = self.namespace.run([PYTHON, "-c", KERNEL_CLIENT, STACK_ADDRESS,
                                   str(SHIM_ECHO_PORT)], timeout_s=60)
        self.assertEqual(done.returncode, 0, done.stderr + self.daemon.log_tail())
        self.assertIn("200 echoed", done.stdout)

    def test_one_udp_segment_send_arrives_as_its_datagrams(self) -> None:
        """The kernel hands the TAP one USO super-datagram (virtio-net GSO_UDP_L4) where
        TUNSETOFFLOAD took TUN_F_USO4|6; the stack cuts it into the datagrams it stands for."""
        shape = [str(USO_SEGMENT_SIZE), str(USO_SEGMENTS), str(USO_TAIL)]
        receiver = self.spawn([PYTHON, "-c", USO_RECEIVER, str(USO_PORT), *shape], shim=True)
        line = receiver.stdout.readline()
        self.assertEqual(line.strip(), "ready", line + self.daemon.log_tail())
        before = self.daemon.dump_counters()
        sent = self.namespace.run([PYTHON, "-c", USO_SENDER, STACK_ADDRESS, str(USO_PORT),
                                   *shape], timeout_s=30)
        total = (USO_SEGMENTS - 1) * USO_SEGMENT_SIZE + USO_TAIL
        self.assertEqual(sent.stdout.strip(), str(total), sent.stderr)
        lines = [receiver.stdout.readline().strip() for _ in range(USO_SEGMENTS)]
        expected = [f"{USO_SEGMENT_SIZE} True"] * (USO_SEGMENTS - 1) + [f"{USO_TAIL} True"]
        self.assertEqual(lines, expected, self.daemon.log_tail())
        counters = self.daemon.dump_counters()
        moved = {name: counters[name] - before.get(name, 0)
                 for name in ("tap_rx_gso_frames", "udp_rx_gso_segments", "udp_rx_datagrams")}
        self.assertEqual(moved["udp_rx_datagrams"], USO_SEGMENTS)
        if "no USO" in self.daemon.log():  # a kernel before 6.2: it cut the datagrams itself
            self.assertEqual(moved["udp_rx_gso_segments"], 0)
            return
        self.assertIn("offloads on (checksum, TSO, USO)", self.daemon.log())
        self.assertEqual(moved["tap_rx_gso_frames"], 1)
        self.assertEqual(moved["udp_rx_gso_segments"], USO_SEGMENTS)


if __name__ == "__main__":
    import unittest
    unittest.main()

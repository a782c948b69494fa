"""Several addresses and two TAP interfaces in one daemon (issue 9): the built-in HTTP service on
every address, a listener bound to one address only, addresses added and removed at run time
with tapstackctl (ping within a second, gratuitous ARP, connections on a removed address reset),
and the routes, neighbours and addresses listings."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import netns
from netns import PYTHON, wait_until
from shim_case import ShimTestCase

CONFIG = """
interfaces:
  - tap: tap0
    addresses: [10.0.0.2/24, 10.0.0.3/24]
    host_address: 10.0.0.1/24
  - tap: tap1
    addresses: [10.1.0.2/24]
    host_address: 10.1.0.1/24
gateway: 10.0.0.1
routes:
  - {to: 10.2.0.0/16, via: 10.1.0.1}
"""

BOUND_LISTENER = """
import socket
s = socket.socket(); s.bind(("10.0.0.3", 9100)); s.listen(4)
print("listening", flush=True)
c, peer = s.accept()
c.sendall(b"hello from 10.0.0.3\\n")
c.close()
"""

# A kernel client: the result of connecting to HOST:PORT ("refused", "reset" or the first line).
CONNECT = """
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    print(c.recv(100).decode().strip() or "eof")
except ConnectionRefusedError:
    print("refused")
except ConnectionResetError:
    print("reset")
"""

# A kernel client holding an echo connection; prints what a read gives after stdin says "go".
HOLD_ECHO = """
import socket, sys
c = socket.create_connection((sys.argv[1], 7), timeout=10)
c.sendall(b"ping\\n"); assert c.recv(10) == b"ping\\n"
print("connected", flush=True)
sys.stdin.readline()
try:
    print(repr(c.recv(10)))
except ConnectionResetError:
    print("reset")
"""


class AddressesTest(ShimTestCase):
    daemon_interface_flags = False

    def before_daemon_start(self) -> tuple[str, ...]:
        config = self.scratch / "two-interfaces.yaml"
        config.write_text(CONFIG)
        return ("--config", str(config))

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        return self.namespace.run([str(netns.TAPSTACKCTL), "--socket", str(self.ipc_socket),
                                   *args])

    def ctl_json(self, *args: str):
        done = self.ctl(*args, "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def http_ok(self, address: str) -> bool:
        done = self.namespace.run(["curl", "-sS", "--max-time", "5", "-o", "/dev/null",
                                   "-w", "%{http_code}", f"http://{address}/"])
        return done.stdout == "200"

    def connect(self, address: str, port: int) -> str:
        return self.namespace.run([PYTHON, "-c", CONNECT, address, str(port)]).stdout.strip()

    def test_http_service_answers_on_every_address_of_both_interfaces(self) -> None:
        for address in ("10.0.0.2", "10.0.0.3", "10.1.0.2"):
            self.assertTrue(self.http_ok(address), address + self.daemon.log_tail())
        routes = {r["prefix"]: r for r in self.ctl_json("routes")}
        self.assertEqual(routes["10.1.0.0/24"]["interface"], "tap1")
        self.assertEqual(routes["10.1.0.0/24"]["source"], "10.1.0.2")
        self.assertEqual(routes["0.0.0.0/0"]["gateway"], "10.0.0.1")
        addresses = {(a["interface"], a["address"]) for a in self.ctl_json("addr")}
        self.assertEqual(addresses, {("tap0", "10.0.0.2/24"), ("tap0", "10.0.0.3/24"),
                                     ("tap1", "10.1.0.2/24")})
        neighbours = {n["address"]: n for n in self.ctl_json("neigh")}
        self.assertEqual(neighbours["10.0.0.1"]["state"], "reachable")

    def test_a_static_route_sends_its_prefix_through_the_other_interface(self) -> None:
        routes = {r["prefix"]: r for r in self.ctl_json("routes")}
        self.assertEqual(routes["10.2.0.0/16"]["kind"], "static")
        self.assertEqual(routes["10.2.0.0/16"]["interface"], "tap1")
        # The kernel owns 10.2.0.1: the stack's answers to it must leave through tap1 (the
        # route via 10.1.0.1), not tap0 (the default route), which tap1's counter shows.
        self.assertEqual(self.namespace.run(["ip", "addr", "add", "10.2.0.1/32", "dev", "lo"])
                         .returncode, 0)
        rx = Path("/sys/class/net/tap1/statistics/rx_packets")
        before = int(self.namespace.run(["cat", str(rx)]).stdout)
        ping = self.namespace.run(["ping", "-c", "5", "-i", "0.05", "-W", "1", "-I", "10.2.0.1",
                                   "10.0.0.2"])
        self.assertEqual(ping.returncode, 0, ping.stdout + self.daemon.log_tail())
        after = int(self.namespace.run(["cat", str(rx)]).stdout)
        self.assertGreaterEqual(after - before, 5)

    def test_a_listener_bound_to_one_address_is_not_reachable_at_another(self) -> None:
        listener = self.spawn([PYTHON, "-c", BOUND_LISTENER], shim=True)
        self.assertEqual(listener.stdout.readline().strip(), "listening", self.daemon.log_tail())
        self.assertEqual(self.connect("10.0.0.2", 9100), "refused")  # RST from the stack
        self.assertEqual(self.connect("10.0.0.3", 9100), "hello from 10.0.0.3")

    def test_an_address_added_at_run_time_answers_ping_within_a_second(self) -> None:
        started = time.monotonic()
        added = self.ctl("address", "add", "tap0", "10.0.0.4/24")
        self.assertEqual(added.returncode, 0, added.stderr)
        ping = self.namespace.run(["ping", "-c", "1", "-W", "1", "10.0.0.4"])
        self.assertEqual(ping.returncode, 0, ping.stdout + self.daemon.log_tail())
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertTrue(self.http_ok("10.0.0.4"))
        self.assertIn("info: address add tap0 10.0.0.4/24 (tapstackctl, uid 0)", self.daemon.log())
        # The same address twice, or an unknown interface: the errors `ip address` gives.
        again = self.ctl("address", "add", "tap0", "10.0.0.4/24")
        self.assertEqual(again.returncode, 1)
        self.assertIn("File exists", again.stderr)
        self.assertIn("No such device", self.ctl("address", "add", "tap9", "10.9.0.2/24").stderr)

    def test_removing_an_address_resets_its_connections_and_silences_it(self) -> None:
        holder = subprocess.Popen(self.namespace.command([PYTHON, "-c", HOLD_ECHO, "10.0.0.3"]),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: holder.poll() is None and holder.kill())
        self.assertEqual(holder.stdout.readline().strip(), "connected")
        removed = self.ctl("address", "del", "tap0", "10.0.0.3")
        self.assertEqual(removed.returncode, 0, removed.stderr)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        self.assertEqual(holder.communicate(timeout=10)[0].strip(), "reset")
        self.assertFalse(self.http_ok("10.0.0.3"))
        self.assertTrue(self.http_ok("10.0.0.2"))
        self.assertGreaterEqual(self.daemon.dump_counters()["tcp_reset_address_removed"], 1)

"""host_nat (off by default): with it on, the stack reaches a network beyond the host, through
the kernel's forwarding and masquerading; when the daemon stops, the nftables table is gone and
forwarding is as it was."""

from __future__ import annotations

import subprocess

from netns import PYTHON, Namespace
from shim_case import ShimTestCase

OUTSIDE_HOST = "192.168.50.2"  # a server in a second namespace, beyond the daemon's host

CONFIG = """
host_nat:
  enabled: true
"""


class HostNatTest(ShimTestCase):
    def before_daemon_start(self) -> tuple[str, ...]:
        # The "outside": a second namespace joined to the daemon's by a veth pair; it has no
        # route back to the stack's subnet, so only masquerading lets its answers return.
        self.outside = Namespace()
        self.addCleanup(self.outside.delete)
        steps = [
            ["ip", "link", "add", "up0", "type", "veth", "peer", "name", "out0",
             "netns", self.outside.name],
            ["ip", "addr", "add", "192.168.50.1/24", "dev", "up0"],
            ["ip", "link", "set", "up0", "up"],
        ]
        for step in steps:
            done = self.namespace.run(step)
            self.assertEqual(done.returncode, 0, done.stderr)
        for step in (["ip", "addr", "add", f"{OUTSIDE_HOST}/24", "dev", "out0"],
                     ["ip", "link", "set", "out0", "up"], ["ip", "link", "set", "lo", "up"]):
            done = self.outside.run(step)
            self.assertEqual(done.returncode, 0, done.stderr)
        config = self.scratch / "nat.yaml"
        config.write_text(CONFIG)
        return ("--config", str(config))

    def forwarding(self) -> str:
        return self.namespace.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip()

    def test_the_stack_reaches_beyond_the_host_and_stop_undoes_the_setup(self) -> None:
        self.assertIn("info: host_nat: forwarding on", self.daemon.log())
        self.assertEqual(self.forwarding(), "1")
        (self.www / "index.html").write_text("outside\n")
        server = subprocess.Popen(
            self.outside.command([PYTHON, "-m", "http.server", "8080", "--bind", OUTSIDE_HOST,
                                  "--directory", str(self.www)]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: server.poll() is None and server.kill())
        probe = [PYTHON, "-c", "import socket,time\nfor i in range(50):\n try:\n"
                 f"  socket.create_connection(('{OUTSIDE_HOST}', 8080), 1); break\n"
                 " except OSError: time.sleep(0.1)"]
        self.outside.run(probe)
        fetched = self.run_shim(["curl", "-sS", "--max-time", "10",
                                 f"http://{OUTSIDE_HOST}:8080/"])
        self.assertEqual(fetched.returncode, 0, fetched.stderr + self.daemon.log_tail())
        self.assertEqual(fetched.stdout, "outside\n")
        server.kill()
        log = server.communicate(timeout=10)[0]
        self.assertIn("192.168.50.1 - - ", log)  # masqueraded to the host's uplink address

        self.stop_daemon()
        listed = self.namespace.run(["nft", "list", "table", "ip", "tapstack_nat"])
        self.assertNotEqual(listed.returncode, 0, "the table outlived the daemon")
        self.assertEqual(self.forwarding(), "0")
        self.assertIn("info: host_nat: removed", self.daemon.log())

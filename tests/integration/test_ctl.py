"""tapstackctl against a running daemon: status, sockets (with the owning program of a socket
made through tapstack-run), stats, log-level, JSON and text output, and the IPC socket's
permissions as the only door."""

from __future__ import annotations

import json
import subprocess

import netns
from netns import HOST_ADDRESS, PYTHON, STACK_ADDRESS
from shim_case import ShimTestCase

HOLD_PORT = 8100

# A kernel-side server that accepts and keeps connections open until the test ends.
HOLDING_SERVER = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
print("ready", flush=True)
held = []
while True:
    held.append(s.accept()[0])
"""

# A client under tapstack-run that connects and waits for its stdin to close.
HOLDING_CLIENT = """
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print("connected", c.getsockname()[1], flush=True)
sys.stdin.read()
"""


class CtlTest(ShimTestCase):
    def ctl(self, *args: str, user: int | None = None) -> subprocess.CompletedProcess:
        self.assertIsNotNone(netns.TAPSTACKCTL, "run.py needs --tapstackctl")
        argv = [str(netns.TAPSTACKCTL), "--socket", str(self.ipc_socket), *args]
        if user is not None:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
        return self.namespace.run(argv, timeout_s=20)

    def ctl_json(self, *args: str):
        done = self.ctl(*args, "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_status_and_stats_in_json_and_text(self) -> None:
        self.assert_ping_works()
        status = self.ctl_json("status")
        self.assertEqual(status["interface"], "tap0")
        self.assertGreaterEqual(status["tcp_sockets"], 4)  # echo, discard, chargen, http
        self.assertIsInstance(status["uptime_seconds"], int)
        stats = self.ctl_json("stats")
        self.assertGreater(stats["icmp_rx_echo_requests"], 0)
        self.assertIn("ipv4_drop_bad_checksum", stats)  # every drop reason is listed
        self.assertIn("ipc_clients_accepted", stats)
        text = self.ctl("stats")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertRegex(text.stdout, r"(?m)^icmp_rx_echo_requests +[1-9]")

    def test_sockets_show_listeners_and_the_owner_of_a_shim_connection(self) -> None:
        server = self.spawn([PYTHON, "-c", HOLDING_SERVER, HOST_ADDRESS, str(HOLD_PORT)])
        self.assertEqual(server.stdout.readline().strip(), "ready")
        client = subprocess.Popen(
            self.namespace.command(["env", f"TAPSTACK_SOCKET={self.ipc_socket}",
                                    str(netns.TAPSTACK_RUN), PYTHON, "-c", HOLDING_CLIENT,
                                    HOST_ADDRESS, str(HOLD_PORT)]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: client.poll() is None and client.kill())
        self.addCleanup(lambda: client.stdin.close())
        line = client.stdout.readline().split()
        self.assertEqual(line[:1], ["connected"], self.daemon.log_tail())
        local_port = int(line[1])

        sockets = self.ctl_json("sockets")
        listeners = {s["local"] for s in sockets if s["state"] == "LISTEN"}
        self.assertTrue({"*:7", "*:9", "*:19", "*:80"} <= listeners, listeners)
        mine = [s for s in sockets if s["local"] == f"{STACK_ADDRESS}:{local_port}"]
        self.assertEqual(len(mine), 1, sockets)
        self.assertEqual(mine[0]["state"], "ESTABLISHED")
        self.assertEqual(mine[0]["peer"], f"{HOST_ADDRESS}:{HOLD_PORT}")
        self.assertEqual(mine[0]["program"], "python3")
        self.assertGreater(mine[0]["pid"], 0)
        self.assertGreaterEqual(mine[0]["cwnd"], 1)
        text = self.ctl("sockets")
        self.assertRegex(text.stdout, r"(?m)^PROTO +STATE +RECV_Q +SEND_Q +LOCAL +PEER")

    def test_config_shows_the_keys_in_effect(self) -> None:
        config = self.ctl_json("config")
        self.assertEqual(config["tcp.rto_min"], "200ms")
        self.assertEqual(config["interfaces[0].addresses"], f"{STACK_ADDRESS}/24")
        self.assertEqual(config["ipc.socket"], str(self.ipc_socket))
        self.assertEqual(config["services.http.port"], 80)
        self.assertEqual(config["log.level"], "info")

    def test_log_level_changes_at_run_time(self) -> None:
        self.assertEqual(self.ctl_json("log-level")["log_level"], "info")
        self.assertEqual(self.ctl_json("log-level", "debug")["log_level"], "debug")
        self.assertIn("info: log level debug (tapstackctl, uid 0)", self.daemon.log())
        bad = self.ctl("log-level", "loud")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("unknown command or bad arguments", bad.stderr)

    def test_unknown_command_and_a_user_outside_the_socket_permissions(self) -> None:
        unknown = self.ctl("frobnicate")
        self.assertEqual(unknown.returncode, 2)
        # The IPC socket (mode 0660, in a 0700 directory here) is the only door: nobody is out.
        self.ipc_socket.parent.chmod(0o755)
        refused = self.ctl("status", user=65534)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("Permission denied", refused.stderr)


BIND_PORTS = """
import errno, socket
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    for port in (80, 8080):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("0.0.0.0", port))
            print(kind.name, port, "bound")
        except OSError as error:
            print(kind.name, port, errno.errorcode[error.errno])
        s.close()
"""


class PrivilegedPortsTest(ShimTestCase):
    """ipc.group opens the socket to a group; binding below ipc.unprivileged_port_start needs
    root, as on Linux (EACCES)."""

    def before_daemon_start(self) -> tuple[str, ...]:
        config = self.scratch / "group.yaml"
        config.write_text("ipc:\n  group: nogroup\n")
        self.scratch.chmod(0o755)  # the socket's directory: searchable, the socket 0660
        return ("--config", str(config))

    def bind_ports(self, *user: str) -> list[str]:
        argv = [*user, "env", f"TAPSTACK_SOCKET={self.ipc_socket}", str(netns.TAPSTACK_RUN),
                PYTHON, "-c", BIND_PORTS]
        done = self.namespace.run(argv)
        self.assertEqual(done.returncode, 0, done.stderr + self.daemon.log_tail())
        return done.stdout.splitlines()

    def test_ports_below_1024_need_root(self) -> None:
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        self.assertEqual(self.bind_ports(*nobody), [
            "SOCK_STREAM 80 EACCES", "SOCK_STREAM 8080 bound",
            "SOCK_DGRAM 80 EACCES", "SOCK_DGRAM 8080 bound"])
        self.assertEqual(self.bind_ports(), [
            "SOCK_STREAM 80 bound", "SOCK_STREAM 8080 bound",
            "SOCK_DGRAM 80 bound", "SOCK_DGRAM 8080 bound"])

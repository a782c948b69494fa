"""tapstackd as a systemd service (sd_notify(3)): READY=1 only once the stack answers, a
STATUS= line, STOPPING=1 on SIGTERM; checked on a NOTIFY_SOCKET this test listens on."""

from __future__ import annotations

import shutil
import signal
import socket
import tempfile
from pathlib import Path

from netns import STACK_ADDRESS, DaemonTestCase, wait_until


class ServiceNotifyTest(DaemonTestCase):
    def setUp(self) -> None:
        directory = Path(tempfile.mkdtemp(prefix="tapstack-notify-"))
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(self.notify.close)
        path = directory / "notify.sock"
        self.notify.bind(str(path))
        self.notify.settimeout(10)
        self.daemon_env = (f"NOTIFY_SOCKET={path}",)
        super().setUp()

    def messages(self) -> list[str]:
        return self.notify.recv(4096).decode().splitlines()

    def test_ready_only_when_the_stack_answers_then_stopping(self) -> None:
        first = self.messages()
        self.assertIn("READY=1", first)
        # READY=1 is sent after the TAP is up and the IPC socket listens: ping must work now.
        self.assert_ping_works()
        self.assertTrue(any(line.startswith("STATUS=") and "TCP connections" in line
                            for line in first), first)
        self.stop_daemon()
        seen = []
        while "STOPPING=1" not in seen:
            seen = self.messages()


class ReloadTest(DaemonTestCase):
    """SIGHUP (systemctl reload): the file is read again and the live parts apply."""

    CONFIG = "log:\n  level: {level}\nservices:\n  echo:\n    enabled: {echo}\n"

    def setUp(self) -> None:
        directory = Path(tempfile.mkdtemp(prefix="tapstack-reload-"))
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        self.config = directory / "tapstackd.yaml"
        self.config.write_text(self.CONFIG.format(level="info", echo="true"))
        self.daemon_args = ("--config", str(self.config))
        super().setUp()

    def connects(self, port: int) -> bool:
        probe = ["bash", "-c", f"exec 3<>/dev/tcp/{STACK_ADDRESS}/{port}"]
        return self.namespace.run(probe).returncode == 0

    def hangup(self, expected_line: str) -> None:
        self.daemon.process.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: expected_line in self.daemon.log(), 10),
                        self.daemon.log_tail())

    def test_sighup_applies_log_level_and_services_and_survives_a_bad_file(self) -> None:
        self.assertTrue(self.connects(7))
        self.config.write_text(self.CONFIG.format(level="debug", echo="false"))
        self.hangup("info: reload: services reconfigured")
        self.assertIn("info: reload: log level debug", self.daemon.log())
        self.assertFalse(self.connects(7))  # the echo listener is gone: RST
        self.assertTrue(self.connects(80))
        # A broken file: the daemon says where and keeps running as it was.
        self.config.write_text("log:\n  level: [\n")
        self.hangup("error: reload failed, keeping the running configuration: ")
        self.assertRegex(self.daemon.log(), r"tapstackd\.yaml:\d+")
        self.assertTrue(self.daemon.running())
        self.assert_ping_works()

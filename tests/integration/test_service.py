"""tapstackd as a systemd service (sd_notify(3)): READY=1 only once the stack answers, a
STATUS= line, STOPPING=1 on SIGTERM; checked on a NOTIFY_SOCKET this test listens on."""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

from netns import DaemonTestCase


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

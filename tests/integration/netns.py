"""Fixtures for the root-only integration tests (DESIGN.md §2.11, §5).

Every test gets its own network namespace `ts-<pid>-<random>` and a tapstackd inside it that owns
the TAP device tap0 (stack 10.0.0.2/24, kernel side 10.0.0.1/24). Nothing is configured in the
root namespace. The namespace is deleted when the test ends, whatever happens: by the test's
cleanups, and by an atexit hook for anything a crash left behind. Only the daemon this fixture
started is ever signalled, by its PID.

The daemon's observable contract used here:
  - it logs the line `info: ready` once the TAP device and the host side are configured;
  - on SIGUSR1 it logs every counter as `info: counter NAME VALUE` and keeps running;
  - on SIGTERM it logs the counters the same way and exits with status 0.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from dataclasses import dataclass
from pathlib import Path

TAP = "tap0"
STACK_ADDRESS = "10.0.0.2"
HOST_ADDRESS = "10.0.0.1"
PREFIX_LENGTH = 24
DAEMON_MAC = "02:00:00:aa:bb:cc"

# Debian's python3 carries python3-scapy; the python3 first on PATH may not (pyenv).
PYTHON = "/usr/bin/python3"
HERE = Path(__file__).resolve().parent
COUNTERS_HEADER = HERE.parent.parent / "stack" / "stats" / "counters.hpp"

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
DUMP_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 60.0

READY_LINE = "info: ready"
COUNTER_LINE = re.compile(r"info: counter (\w+) (\d+)\s*$")

# Set by run.py from its command line.
TAPSTACKD: Path | None = None
TAPSTACK_RUN: Path | None = None
TAPSTACKCTL: Path | None = None
LOG_DIR: Path | None = None

NAMESPACE_NAME = re.compile(r"^ts-(\d+)-[0-9a-f]{6}$")

_live_namespaces: set[str] = set()
_live_daemons: set[subprocess.Popen] = set()
_scratch_directories: set[Path] = set()


def _clean_up_at_exit() -> None:
    """Last line of defence when a test did not get to its cleanups: our daemons, namespaces and
    scratch directories."""
    for process in _live_daemons:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
    _live_daemons.clear()
    for name in sorted(_live_namespaces):
        subprocess.run(["ip", "netns", "delete", name], check=False, timeout=COMMAND_TIMEOUT_S)
    _live_namespaces.clear()
    for directory in _scratch_directories:
        shutil.rmtree(directory, ignore_errors=True)
    _scratch_directories.clear()


atexit.register(_clean_up_at_exit)


def delete_stale_namespaces() -> list[str]:
    """Deletes namespaces an earlier run of this suite left behind (its process is gone, e.g.
    killed by a CTest timeout), with the processes still inside them. Returns their names."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True,
                             timeout=COMMAND_TIMEOUT_S).stdout
    stale = []
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        match = NAMESPACE_NAME.match(name)
        if match is None or Path(f"/proc/{match.group(1)}").exists():
            continue
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                              check=False, timeout=COMMAND_TIMEOUT_S).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # it may have exited meanwhile
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "delete", name], check=True, timeout=COMMAND_TIMEOUT_S)
        stale.append(name)
    return stale


def counter_names() -> list[str]:
    """Every counter the stack defines, in order, read from the X-macro list in counters.hpp."""
    lines = COUNTERS_HEADER.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("#define TAPSTACK_COUNTERS("))
    names = []
    for line in lines[first:]:  # the macro's lines, up to the first without a continuation
        names += re.findall(r"\bX\((\w+)\)", line)
        if not line.rstrip().endswith("\\"):
            break
    return names


def parse_counters(log_text: str) -> dict[str, int]:
    """Counter values from dump lines; a later line for the same name wins."""
    counters: dict[str, int] = {}
    for line in log_text.splitlines():
        match = COUNTER_LINE.search(line)
        if match:
            counters[match.group(1)] = int(match.group(2))
    return counters


def wait_until(predicate, timeout_s: float, interval_s: float = 0.02) -> bool:
    """Polls `predicate` until it is true or `timeout_s` has passed; returns its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)


class Namespace:
    """A uniquely named network namespace, deleted by delete() or at interpreter exit."""

    def __init__(self) -> None:
        self.name = f"ts-{os.getpid()}-{secrets.token_hex(3)}"
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=COMMAND_TIMEOUT_S)
        _live_namespaces.add(self.name)

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def run(
        self, argv: list[str], timeout_s: float = COMMAND_TIMEOUT_S
    ) -> subprocess.CompletedProcess:
        """Runs `argv` inside the namespace; output captured as text, exit status not checked."""
        return subprocess.run(
            self.command(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def delete(self) -> None:
        if self.name in _live_namespaces:
            subprocess.run(
                ["ip", "netns", "delete", self.name], check=True, timeout=COMMAND_TIMEOUT_S
            )
            _live_namespaces.discard(self.name)


class Daemon:
    """One tapstackd process inside a namespace, its output captured to `log_path`."""

    def __init__(
        self, namespace: Namespace, binary: Path, log_path: Path, ipc_socket: Path
    ) -> None:
        self.namespace = namespace
        self.binary = binary
        self.log_path = log_path
        self.ipc_socket = ipc_socket
        self.process: subprocess.Popen | None = None

    def start(self, extra_args: tuple[str, ...] = (), env: tuple[str, ...] = (),
              interface_flags: bool = True) -> None:
        """`interface_flags` False leaves the interfaces to a config file in `extra_args`."""
        interface = [
            "--tap", TAP,
            "--address", f"{STACK_ADDRESS}/{PREFIX_LENGTH}",
            "--host-address", f"{HOST_ADDRESS}/{PREFIX_LENGTH}",
            "--gateway", HOST_ADDRESS,
            "--mac", DAEMON_MAC,
        ]
        argv = [
            *(["env", *env] if env else []),  # env(1) execs in place too: the PID stays the daemon's
            str(self.binary),
            *(interface if interface_flags else []),
            "--ipc-socket", str(self.ipc_socket),
            *extra_args,
        ]
        with open(self.log_path, "wb") as log:
            # `ip netns exec` execs the program in place, so this PID is the daemon's own.
            self.process = subprocess.Popen(
                self.namespace.command(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        _live_daemons.add(self.process)
        ready = wait_until(
            lambda: READY_LINE in self.log() or self.process.poll() is not None, READY_TIMEOUT_S
        )
        if self.process.poll() is not None:
            raise AssertionError(
                f"tapstackd exited with status {self.process.returncode} before `{READY_LINE}`\n"
                + self.log_tail()
            )
        if not ready:
            raise AssertionError(
                f"tapstackd not ready after {READY_TIMEOUT_S} s\n" + self.log_tail()
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        tail = "\n".join(self.log().splitlines()[-lines:])
        return f"--- last lines of {self.log_path} ---\n{tail}\n---"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def dump_counters(self) -> dict[str, int]:
        """Asks the running daemon for its counters (SIGUSR1) and waits for the complete dump."""
        assert self.running(), "tapstackd is not running\n" + self.log_tail()
        offset = len(self.log())
        expected = set(counter_names())
        os.kill(self.process.pid, signal.SIGUSR1)
        complete = wait_until(
            lambda: expected <= parse_counters(self.log()[offset:]).keys(), DUMP_TIMEOUT_S
        )
        counters = parse_counters(self.log()[offset:])
        if not complete:
            missing = sorted(expected - counters.keys())
            raise AssertionError(f"SIGUSR1 dump incomplete, missing {missing}\n" + self.log_tail())
        return counters

    def stop(self) -> dict[str, int]:
        """SIGTERM, bounded wait; asserts exit status 0 and returns the final counter dump."""
        assert self.process is not None
        offset = len(self.log())
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"tapstackd ignored SIGTERM for {STOP_TIMEOUT_S} s; killed\n" + self.log_tail()
            )
        _live_daemons.discard(self.process)
        if status != 0:
            raise AssertionError(
                f"tapstackd exited with status {status} on SIGTERM\n" + self.log_tail()
            )
        counters = parse_counters(self.log()[offset:])
        missing = sorted(set(counter_names()) - counters.keys())
        if missing:
            raise AssertionError(f"final counter dump lacks {missing}\n" + self.log_tail())
        return counters

    def kill(self) -> None:
        """Cleanup path: SIGKILL if still running (only this PID), then reap."""
        if self.running():
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=STOP_TIMEOUT_S)
            _live_daemons.discard(self.process)


@dataclass
class PingResult:
    transmitted: int
    received: int
    output: str

    @property
    def loss_free(self) -> bool:
        return self.transmitted > 0 and self.received == self.transmitted


_PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received")


class DaemonTestCase(unittest.TestCase):
    """Base class: a fresh namespace and a ready tapstackd for every test method."""

    daemon_args: tuple[str, ...] = ()
    daemon_env: tuple[str, ...] = ()  # NAME=VALUE pairs for the daemon's environment
    daemon_interface_flags = True  # False: the interfaces come from a config file
    daemon_config = ""  # YAML for the daemon's --config (over the defaults); "" for none

    def setUp(self) -> None:
        assert TAPSTACKD is not None and LOG_DIR is not None, "run through run.py"
        scratch = Path(tempfile.mkdtemp(prefix="tapstack-it-"))
        _scratch_directories.add(scratch)
        self.addCleanup(_scratch_directories.discard, scratch)
        self.addCleanup(shutil.rmtree, scratch, ignore_errors=True)
        self.namespace = Namespace()
        self.addCleanup(self.namespace.delete)
        self.daemon_log = LOG_DIR / f"{self.id()}.log"
        self.scratch = scratch
        self.ipc_socket = scratch / "ipc.sock"
        self.daemon = Daemon(self.namespace, TAPSTACKD, self.daemon_log, self.ipc_socket)
        self.addCleanup(self.daemon.kill)
        args = self.before_daemon_start()
        if self.daemon_config:
            config = scratch / "tapstackd.yaml"
            config.write_text(self.daemon_config)
            args = (*args, "--config", str(config))
        self.daemon.start(args, self.daemon_env, self.daemon_interface_flags)

    def before_daemon_start(self) -> tuple[str, ...]:
        """Runs once the namespace and `self.scratch` exist; returns the daemon's extra
        arguments. Override to prepare the namespace or write files the arguments name."""
        return self.daemon_args

    def stop_daemon(self) -> dict[str, int]:
        return self.daemon.stop()

    def ping(self, *options: str, deadline_s: int = 20) -> PingResult:
        """Runs the kernel's ping to the stack from inside the namespace, bounded by -w."""
        argv = ["ping", "-n", "-w", str(deadline_s), *options, STACK_ADDRESS]
        completed = self.namespace.run(argv, timeout_s=deadline_s + 10)
        output = completed.stdout + completed.stderr
        match = _PING_SUMMARY.search(output)
        self.assertIsNotNone(match, f"no ping summary in:\n{output}")
        return PingResult(int(match.group(1)), int(match.group(2)), output)

    def assert_ping_works(self) -> PingResult:
        result = self.ping("-c", "1", deadline_s=5)
        self.assertTrue(
            result.loss_free, f"ping failed:\n{result.output}\n{self.daemon.log_tail()}"
        )
        return result

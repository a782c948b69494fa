"""Runs integration test modules against one tapstackd binary; CTest calls it once per module.

Exit status: 0 all passed, 1 something failed, 77 skipped (CTest SKIP_RETURN_CODE).
The tests need root (namespaces, TAP devices, raw sockets). Outside CI a non-root run is skipped
with the reason; under CI=true a run that cannot execute is a failure, never a skip.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import sys
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean when run as root

SKIP = 77
REQUIRED_TOOLS = ("ip", "ping", "tc")


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing_prerequisites() -> list[str]:
    problems = []
    if os.geteuid() != 0:
        problems.append("not root: network namespaces and TAP devices need CAP_NET_ADMIN")
    for tool in REQUIRED_TOOLS:
        if shutil.which(tool) is None:
            problems.append(f"`{tool}` not found (scripts/install-deps)")
    if not os.path.exists("/dev/net/tun"):
        problems.append("/dev/net/tun does not exist")
    if importlib.util.find_spec("scapy") is None:  # craft_frames.py needs it
        problems.append(f"{sys.executable} lacks scapy (apt-get install python3-scapy)")
    return problems


class LogOnFailureResult(unittest.TextTestResult):
    """Prints the tail of the failed test's daemon log next to the failure."""

    def _print_daemon_log(self, test: unittest.TestCase) -> None:
        path = getattr(test, "daemon_log", None)
        if path is not None and Path(path).exists():
            lines = Path(path).read_text(errors="replace").splitlines()[-60:]
            self.stream.write(f"\n--- {path} (last {len(lines)} lines) ---\n")
            self.stream.write("\n".join(lines) + "\n---\n")

    def addFailure(self, test, err) -> None:
        super().addFailure(test, err)
        self._print_daemon_log(test)

    def addError(self, test, err) -> None:
        super().addError(test, err)
        self._print_daemon_log(test)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tapstackd", type=Path, required=True, help="the daemon binary")
    parser.add_argument("--tapstack-run", type=Path, help="the shim's launcher (test_shim)")
    parser.add_argument("--tapstackctl", type=Path, help="the admin tool (test_ctl)")
    parser.add_argument("--log-dir", type=Path, required=True, help="daemon logs, kept")
    parser.add_argument("modules", nargs="+", help="test modules, e.g. test_ping")
    args = parser.parse_args()

    problems = missing_prerequisites()
    if problems:
        for problem in problems:
            print(f"integration tests cannot run: {problem}", file=sys.stderr)
        if under_ci():
            print("CI=true: this is a failure, not a skip", file=sys.stderr)
            return 1
        print("skipped: integration tests not run", file=sys.stderr)
        return SKIP
    if not os.access(args.tapstackd, os.X_OK):
        print(f"tapstackd binary not found or not executable: {args.tapstackd}", file=sys.stderr)
        return 1

    # SIGTERM (e.g. from CTest) unwinds like Ctrl-C, so the atexit cleanup in netns still runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import netns

    for name in netns.delete_stale_namespaces():
        print(f"deleted stale namespace {name} left by an earlier run", file=sys.stderr)

    netns.TAPSTACKD = args.tapstackd.resolve()
    netns.TAPSTACK_RUN = args.tapstack_run.resolve() if args.tapstack_run else None
    netns.TAPSTACKCTL = args.tapstackctl.resolve() if args.tapstackctl else None
    netns.LOG_DIR = args.log_dir.resolve()
    netns.LOG_DIR.mkdir(parents=True, exist_ok=True)
    suite = unittest.defaultTestLoader.loadTestsFromNames(args.modules)
    if suite.countTestCases() == 0:
        print(f"no tests found in {args.modules}", file=sys.stderr)
        return 1
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=LogOnFailureResult)
    result = runner.run(suite)
    # A skipped test method would hide a missing check: every test must run.
    if result.skipped:
        print(f"{len(result.skipped)} test(s) skipped: not allowed here", file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())

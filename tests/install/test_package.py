"""`cpack -G DEB` builds the Debian package; checks of what it holds and of its life (issue 6).

  - its control fields (name, version, architecture, Depends: from dpkg-shlibdeps), maintainer
    scripts and conffile, and exactly the expected files, under /usr and /etc/tapstack;
  - the paths written into packaged files are the package's, not the build's;
  - as root: dpkg installs it (the postinst creates the user tapstack), the installed tapstackd
    starts from the installed configuration in a fresh network namespace and answers
    (tapstackctl status, ping, a program on the installed shim), stops on SIGTERM, and
    `dpkg -r` then `dpkg -P` remove its files, then its conffile and enablement.

Where dpkg installs: into the running system only under CI=true (a throwaway machine) or with
TAPSTACK_TEST_DPKG=1; otherwise into a scratch root, `dpkg --root` with
--force-script-chrootless, so that the real maintainer scripts run with DPKG_ROOT set and create
the user in the scratch root's /etc/passwd, and nothing on the machine changes.

Exit status: 0 passed, 1 failed, 77 skipped (CTest SKIP_RETURN_CODE): the dpkg and namespace
steps need root and are skipped without it; under CI=true that is a failure.
"""

from __future__ import annotations

import argparse
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.dont_write_bytecode = True

SKIP = 77
PACKAGE = "tapstack"
CONFFILE = Path("/etc/tapstack/tapstackd.yaml")
ENABLEMENT = Path("/etc/systemd/system/multi-user.target.wants/tapstackd.service")
STACK_ADDRESS = "10.0.0.2"  # the built-in interface (config/defaults.yaml)
HOST_ADDRESS = "10.0.0.1"
ARGS: argparse.Namespace


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def dpkg_on_this_system() -> bool:
    return under_ci() or os.environ.get("TAPSTACK_TEST_DPKG") == "1"


def run(*command: str | Path, timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    environment.pop("LD_PRELOAD", None)
    return subprocess.run([str(part) for part in command], capture_output=True, text=True,
                          env=environment, cwd=cwd, stdin=subprocess.DEVNULL, check=False,
                          timeout=timeout)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"


def packaged(directory: str, name: str) -> Path:
    """Where a file installed into `directory` (relative to the prefix) is in the package."""
    return Path("/usr") / directory / name


def expected_files() -> set[Path]:
    return {
        packaged(ARGS.sbin_dir, "tapstackd"),
        packaged(ARGS.bin_dir, "tapstack-run"),
        packaged(ARGS.bin_dir, "tapstackctl"),
        packaged(ARGS.preload_dir, "libtapstack_preload.so"),
        packaged(ARGS.unit_dir, "tapstackd.service"),
        packaged(ARGS.sysusers_dir, "tapstack.conf"),
        packaged(ARGS.doc_dir, "tapstackd.example.yaml"),
        packaged(ARGS.man_dir, "man8/tapstackd.8"),
        packaged(ARGS.man_dir, "man8/tapstackctl.8"),
        packaged(ARGS.man_dir, "man1/tapstack-run.1"),
        packaged(ARGS.man_dir, "man5/tapstackd.yaml.5"),
        CONFFILE,
    }


def within(root: Path, path: Path) -> Path:
    return root / path.relative_to("/")


def build_package(scratch: Path) -> Path:
    result = run(ARGS.cpack, "-G", "DEB", "-B", scratch, "--config",
                 ARGS.build_dir / "CPackConfig.cmake", cwd=ARGS.build_dir, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"cpack failed:\n{output_of(result)}")
    packages = list(scratch.glob("*.deb"))
    if len(packages) != 1:
        raise AssertionError(f"cpack made {packages}, not one .deb:\n{output_of(result)}")
    return packages[0]


class PackageContents(unittest.TestCase):
    """What the .deb holds; needs no root."""

    scratch: Path
    package: Path
    extracted: Path
    control: Path

    @classmethod
    def setUpClass(cls) -> None:
        directory = tempfile.TemporaryDirectory(prefix="tapstack-package-")
        cls.addClassCleanup(directory.cleanup)
        cls.scratch = Path(directory.name)
        cls.package = build_package(cls.scratch / "out")
        cls.extracted = cls.scratch / "extracted"
        cls.control = cls.scratch / "control"
        for option, target in (("-x", cls.extracted), ("-e", cls.control)):
            result = run("dpkg-deb", option, cls.package, target)
            if result.returncode != 0:
                raise AssertionError(f"dpkg-deb {option} failed:\n{output_of(result)}")

    def field(self, name: str) -> str:
        result = run("dpkg-deb", "--field", self.package, name)
        self.assertEqual(result.returncode, 0, output_of(result))
        return result.stdout.strip()

    def test_control_fields(self) -> None:
        architecture = run("dpkg", "--print-architecture").stdout.strip()
        self.assertEqual(self.field("Package"), PACKAGE)
        self.assertEqual(self.field("Version"), ARGS.version)
        self.assertEqual(self.field("Architecture"), architecture)
        self.assertEqual(self.package.name, f"{PACKAGE}_{ARGS.version}_{architecture}.deb")
        self.assertRegex(self.field("Maintainer"), r"^[^<>]+ <[^<>@\s]+@[^<>@\s]+>$")
        self.assertRegex(self.field("Description"), r"^user-space TCP/IP stack")
        # dpkg-shlibdeps: the C and C++ runtimes and the libraries the programs link.
        depends = {entry.split()[0] for entry in self.field("Depends").split(", ")}
        self.assertLessEqual({"libc6", "libstdc++6", "libyaml-cpp0.7", "libsystemd0"}, depends)

    def test_holds_exactly_the_expected_files(self) -> None:
        result = run("dpkg-deb", "--contents", self.package)
        self.assertEqual(result.returncode, 0, output_of(result))
        # Lines end in the path, "./usr/bin/..."; directories end in "/".
        paths = [line.split()[-1] for line in result.stdout.splitlines()]
        files = {Path(path[1:]) for path in paths if not path.endswith("/")}
        self.assertEqual(files, expected_files())
        for line in result.stdout.splitlines():
            self.assertIn(" root/root ", line)

    def test_programs_are_executable(self) -> None:
        for program in (packaged(ARGS.sbin_dir, "tapstackd"),
                        packaged(ARGS.bin_dir, "tapstack-run"),
                        packaged(ARGS.bin_dir, "tapstackctl")):
            self.assertTrue(os.access(within(self.extracted, program), os.X_OK), program)

    def test_conffile_is_the_example_configuration(self) -> None:
        self.assertEqual((self.control / "conffiles").read_text(), f"{CONFFILE}\n")
        defaults = (ARGS.source_dir / "config" / "defaults.yaml").read_text()
        self.assertEqual(within(self.extracted, CONFFILE).read_text(), defaults)

    def test_maintainer_scripts_are_valid_shell(self) -> None:
        for name in ("postinst", "prerm", "postrm"):
            script = self.control / name
            self.assertTrue(os.access(script, os.X_OK), name)
            self.assertTrue(script.read_text().startswith("#!/bin/sh\n"), name)
            result = run("sh", "-n", script)
            self.assertEqual(result.returncode, 0, output_of(result))

    def test_packaged_files_name_packaged_paths(self) -> None:
        library = packaged(ARGS.preload_dir, "libtapstack_preload.so")
        example = packaged(ARGS.doc_dir, "tapstackd.example.yaml")
        names = {
            packaged(ARGS.bin_dir, "tapstack-run"): f'preload="{library}"',
            packaged(ARGS.unit_dir, "tapstackd.service"):
                f"ExecStart={packaged(ARGS.sbin_dir, 'tapstackd')} --config {CONFFILE}\n",
            packaged(ARGS.man_dir, "man1/tapstack-run.1"): f"\n.I {library}\n",
            packaged(ARGS.man_dir, "man8/tapstackd.8"): f"\n.I {example}\n",
            packaged(ARGS.man_dir, "man5/tapstackd.yaml.5"): f"\n.I {example}\n",
        }
        for path, text in names.items():
            content = within(self.extracted, path).read_text()
            self.assertTrue(text in content, f"{path} does not name {text!r}")
            self.assertNotIn(str(ARGS.build_dir), content, path)
            self.assertNotIn("/usr/local/", content, path)


class NetworkNamespace:
    """A namespace of our own (README: network rule), deleted by close()."""

    def __init__(self) -> None:
        self.name = f"ts-{os.getpid()}-{secrets.token_hex(3)}"
        result = run("ip", "netns", "add", self.name, timeout=20)
        if result.returncode != 0:
            raise AssertionError(f"ip netns add failed:\n{output_of(result)}")

    def command(self, *command: str | Path) -> list[str]:
        return ["ip", "netns", "exec", self.name, *(str(part) for part in command)]

    def close(self) -> None:
        run("ip", "netns", "delete", self.name, timeout=20)


class Dpkg:
    """dpkg on the running system, or on a scratch root (`dpkg --root`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.options: list[str] = []
        if root != Path("/"):
            for directory in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log", "etc"):
                (root / directory).mkdir(parents=True, exist_ok=True)
            (root / "var/lib/dpkg/status").touch()
            # The scripts run on the host with DPKG_ROOT=root (there is no shell in the root);
            # the libraries the package depends on are the host's, not the root's.
            self.options = [f"--root={root}", "--force-script-chrootless", "--force-depends",
                            f"--log={root}/var/log/dpkg.log"]

    def __call__(self, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
        return run("dpkg", *self.options, *arguments, timeout=180)

    def status(self) -> str:
        """dpkg's status of the package; "not-installed" when dpkg knows nothing of it."""
        result = run("dpkg-query", f"--admindir={self.root}/var/lib/dpkg", "--show",
                     "--showformat=${Status}", PACKAGE)
        status = result.stdout.strip() if result.returncode == 0 else ""
        return "not-installed" if status in ("", "unknown ok not-installed") else status

    def user_exists(self, name: str) -> bool:
        if self.root == Path("/"):
            return run("getent", "passwd", name).returncode == 0
        passwd = self.root / "etc/passwd"
        return passwd.exists() and any(line.startswith(f"{name}:")
                                       for line in passwd.read_text().splitlines())


class PackageLifecycle(unittest.TestCase):
    """dpkg -i, start in a namespace, dpkg -r, dpkg -P; needs root."""

    def setUp(self) -> None:
        if os.geteuid() != 0:
            if under_ci():
                self.fail("not root under CI=true: .ci/run runs as root")
            self.skipTest("needs root: dpkg installs and network namespaces")
        directory = tempfile.TemporaryDirectory(prefix="tapstack-dpkg-")
        self.addCleanup(directory.cleanup)
        self.scratch = Path(directory.name)
        self.package = build_package(self.scratch / "out")
        if dpkg_on_this_system():
            self.dpkg = Dpkg(Path("/"))
            if self.dpkg.status() != "not-installed" or CONFFILE.exists():
                self.fail(f"{PACKAGE} is installed, or {CONFFILE} exists, on this machine: "
                          "the test would replace and purge them")
        else:
            self.dpkg = Dpkg(self.scratch / "root")
        self.root = self.dpkg.root

    def installed(self, path: Path) -> Path:
        return within(self.root, path)

    def test_install_start_remove_purge(self) -> None:
        self.addCleanup(self.dpkg, "--purge", PACKAGE)  # after a failure half-way
        self.install()
        self.run_installed_daemon()
        self.remove_and_purge()

    def install(self) -> None:
        result = self.dpkg("--install", self.package)
        self.assertEqual(result.returncode, 0, output_of(result))
        self.assertEqual(self.dpkg.status(), "install ok installed")
        for path in expected_files():
            self.assertTrue(self.installed(path).is_file(), path)
        self.assertTrue(self.dpkg.user_exists("tapstack"), "postinst created no user tapstack")

    def run_installed_daemon(self) -> None:
        namespace = NetworkNamespace()
        self.addCleanup(namespace.close)
        socket = self.scratch / "tapstack.sock"
        log = (self.scratch / "tapstackd.log").open("w")
        self.addCleanup(log.close)
        daemon = subprocess.Popen(namespace.command(
            self.installed(packaged(ARGS.sbin_dir, "tapstackd")),
            "--config", self.installed(CONFFILE), "--ipc-socket", socket),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(stop, daemon)
        tapstackctl = self.installed(packaged(ARGS.bin_dir, "tapstackctl"))
        status = self.wait_until_ready(daemon, tapstackctl, socket)
        self.assertIn(ARGS.version, status)
        ping = run(*namespace.command("ping", "-c", "1", "-W", "2", STACK_ADDRESS), timeout=20)
        self.assertEqual(ping.returncode, 0, output_of(ping))
        self.assertEqual(self.local_address_on_stack(namespace, socket), STACK_ADDRESS)
        daemon.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=20), 0, self.daemon_log())

    def wait_until_ready(self, daemon: subprocess.Popen[bytes], tapstackctl: Path,
                         socket: Path) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if daemon.poll() is not None:
                self.fail(f"tapstackd exited with {daemon.returncode}:\n{self.daemon_log()}")
            status = run(tapstackctl, "--socket", socket, "status", timeout=10)
            if status.returncode == 0:
                return status.stdout
            time.sleep(0.2)
        self.fail(f"tapstackd not ready within 20 s:\n{self.daemon_log()}")

    def local_address_on_stack(self, namespace: NetworkNamespace, socket: Path) -> str:
        """Connects through the installed shim to a kernel listener on the host side of the TAP
        device; the connection's local address is the stack's if it went through the stack."""
        listener = subprocess.Popen(namespace.command(
            sys.executable, "-c",
            "import socket\n"
            f"s = socket.create_server(('{HOST_ADDRESS}', 0))\n"
            "print(s.getsockname()[1], flush=True)\n"
            "s.settimeout(20)\n"
            "s.accept()\n"), stdout=subprocess.PIPE, text=True)
        self.addCleanup(stop, listener)
        port = first_line(listener, timeout=10)
        self.assertRegex(port, r"^\d+$", "the listener in the namespace did not start")
        client = ["-c", "import socket\n"
                  f"print(socket.create_connection(('{HOST_ADDRESS}', {port}), 10)"
                  ".getsockname()[0])\n"]
        if self.root == Path("/"):
            command = [self.installed(packaged(ARGS.bin_dir, "tapstack-run")), "--socket",
                       socket, sys.executable, *client]
        else:
            # The scratch root's tapstack-run names the library's place under /: preload directly.
            library = self.installed(packaged(ARGS.preload_dir, "libtapstack_preload.so"))
            command = ["env", f"LD_PRELOAD={library}", f"TAPSTACK_SOCKET={socket}",
                       sys.executable, *client]
        result = run(*namespace.command(*command), timeout=30)
        self.assertEqual(result.returncode, 0, output_of(result) + self.daemon_log())
        return result.stdout.strip()

    def remove_and_purge(self) -> None:
        result = self.dpkg("--remove", PACKAGE)
        self.assertEqual(result.returncode, 0, output_of(result))
        self.assertEqual(self.dpkg.status(), "deinstall ok config-files")
        for path in expected_files() - {CONFFILE}:
            self.assertFalse(self.installed(path).exists(), path)
        self.assertTrue(self.installed(CONFFILE).is_file(), "dpkg -r removed the conffile")

        # As `systemctl enable tapstackd` leaves it: purge must remove it.
        enablement = self.installed(ENABLEMENT)
        enablement.parent.mkdir(parents=True, exist_ok=True)
        enablement.symlink_to(packaged(ARGS.unit_dir, "tapstackd.service"))
        result = self.dpkg("--purge", PACKAGE)
        self.assertEqual(result.returncode, 0, output_of(result))
        self.assertEqual(self.dpkg.status(), "not-installed")
        self.assertFalse(self.installed(CONFFILE).exists(), "dpkg -P left the conffile")
        self.assertFalse(self.installed(CONFFILE.parent).exists(), "dpkg -P left /etc/tapstack")
        self.assertFalse(os.path.lexists(enablement), "dpkg -P left the unit enabled")

    def daemon_log(self) -> str:
        log = self.scratch / "tapstackd.log"
        return f"\ntapstackd log:\n{log.read_text()}" if log.exists() else ""


def first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line `process` prints, or "" if none comes within `timeout` seconds."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline().strip()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=20)
    if process.stdout is not None:
        process.stdout.close()


def parse_arguments() -> tuple[argparse.Namespace, list[str]]:
    """The build's settings, and the rest for unittest (test names such as PackageContents)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpack", type=Path, required=True)
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--version", required=True, help="the project's version")
    for kind in ("bin", "sbin", "preload", "unit", "sysusers", "doc", "man"):
        parser.add_argument(f"--{kind}-dir", required=True,
                            help=f"the {kind} install directory, relative to the prefix")
    return parser.parse_known_args()


def main() -> int:
    global ARGS
    ARGS, tests = parse_arguments()
    missing = [tool for tool in ("dpkg-deb", "dpkg-shlibdeps") if shutil.which(tool) is None]
    if missing:
        print(f"test_package: skipped: {missing} not found (Debian package dpkg-dev; "
              "scripts/install-deps)", file=sys.stderr)
        return 1 if under_ci() else SKIP
    result = unittest.main(argv=[sys.argv[0], "-v", *tests], exit=False).result
    if not result.wasSuccessful():
        return 1
    return SKIP if result.skipped else 0


if __name__ == "__main__":
    sys.exit(main())

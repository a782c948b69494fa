"""`cmake --install` into a scratch prefix, then checks of what it installed (issue 6).

  - exactly the expected files, in the directories the build configured (FHS by default);
  - the installed tapstack-run preloads the installed library (not the build tree's);
  - the manual pages render without a groff warning and name the installed files;
  - the installed unit names the installed tapstackd and is otherwise the source unit;
  - `systemd-analyze security --offline=true` rates the unit 2.0 or lower, `systemd-analyze
    verify` has nothing to say about it, and systemd-sysusers accepts the sysusers.d snippet.

Needs no root. Exit status: 0 passed, 1 failed, 77 skipped (CTest SKIP_RETURN_CODE): the systemd
checks are skipped when systemd-analyze is missing outside CI; under CI=true that is a failure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True

SKIP = 77
MAX_EXPOSURE = 2.0
MANUAL_PAGES = ("man8/tapstackd.8", "man8/tapstackctl.8", "man1/tapstack-run.1",
                "man5/tapstackd.yaml.5")
ARGS: argparse.Namespace


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, SYSTEMD_COLORS="0", SYSTEMD_PAGER="cat")
    environment.pop("LD_PRELOAD", None)
    return subprocess.run([str(part) for part in command], capture_output=True, text=True,
                          env=environment, check=False, timeout=120)


def need_systemd_tool(test: unittest.TestCase, tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if under_ci():
            test.fail(f"{tool} not found under CI=true: scripts/install-deps installs systemd")
        test.skipTest(f"{tool} not found (Debian package systemd; scripts/install-deps)")
    return path


class InstalledTree(unittest.TestCase):
    prefix: Path

    @classmethod
    def setUpClass(cls) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="tapstack-install-")
        cls.addClassCleanup(scratch.cleanup)
        cls.prefix = Path(scratch.name) / "prefix"
        installed = run(ARGS.cmake, "--install", ARGS.build_dir, "--prefix", cls.prefix)
        if installed.returncode != 0:
            raise AssertionError(f"cmake --install failed:\n{installed.stdout}{installed.stderr}")

    def installed(self, directory: str, name: str) -> Path:
        return self.prefix / directory / name

    @property
    def preload_library(self) -> Path:
        return self.installed(ARGS.preload_dir, "libtapstack_preload.so")

    @property
    def unit(self) -> Path:
        return self.installed(ARGS.unit_dir, "tapstackd.service")

    def test_installs_exactly_the_expected_files(self) -> None:
        expected = {
            self.installed(ARGS.sbin_dir, "tapstackd"),
            self.preload_library,
            self.installed(ARGS.bin_dir, "tapstack-run"),
            self.installed(ARGS.bin_dir, "tapstackctl"),
            self.unit,
            self.installed(ARGS.sysusers_dir, "tapstack.conf"),
            self.installed(ARGS.doc_dir, "tapstackd.example.yaml"),
            *self.manual_pages,
        }
        found = {path for path in self.prefix.rglob("*") if not path.is_dir()}
        self.assertEqual(found, expected)
        for program in (self.installed(ARGS.sbin_dir, "tapstackd"),
                        self.installed(ARGS.bin_dir, "tapstack-run"),
                        self.installed(ARGS.bin_dir, "tapstackctl")):
            self.assertTrue(os.access(program, os.X_OK), program)

    @property
    def manual_pages(self) -> list[Path]:
        return [self.installed(ARGS.man_dir, page) for page in MANUAL_PAGES]

    def test_manual_pages_render_without_warnings(self) -> None:
        groff = shutil.which("groff")
        if groff is None:
            if under_ci():
                self.fail("groff not found under CI=true: scripts/install-deps installs groff-base")
            self.skipTest("groff not found (Debian package groff-base; scripts/install-deps)")
        for page in self.manual_pages:
            # -ww: every warning; -z: format without output. groff exits 0 despite warnings.
            result = run(groff, "-man", "-ww", "-z", page)
            self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""), page)

    def test_manual_pages_name_the_installed_files(self) -> None:
        example = self.installed(ARGS.doc_dir, "tapstackd.example.yaml")
        for page, installed in (("man8/tapstackd.8", example),
                                ("man5/tapstackd.yaml.5", example),
                                ("man1/tapstack-run.1", self.preload_library)):
            text = self.installed(ARGS.man_dir, page).read_text()
            self.assertTrue(f"\n.I {installed}\n" in text, f"{page} does not name {installed}")
            self.assertNotIn("/usr/local/", text, page)

    def test_example_config_is_the_documented_defaults(self) -> None:
        example = self.installed(ARGS.doc_dir, "tapstackd.example.yaml")
        defaults = ARGS.source_dir / "config" / "defaults.yaml"
        self.assertEqual(example.read_text(), defaults.read_text())

    def test_tapstack_run_preloads_the_installed_library(self) -> None:
        tapstack_run = self.installed(ARGS.bin_dir, "tapstack-run")
        self.assertNotIn(str(ARGS.build_dir), tapstack_run.read_text())
        # The dynamic loader reports a library it cannot preload on stderr and goes on.
        result = run(tapstack_run, "/bin/sh", "-c", 'printf %s "$LD_PRELOAD"')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.stdout, str(self.preload_library))

    def test_unit_starts_the_installed_daemon(self) -> None:
        source = (ARGS.source_dir / "systemd" / "tapstackd.service").read_text().splitlines()
        installed = self.unit.read_text().splitlines()
        self.assertEqual(len(installed), len(source))
        differing = [(was, now) for was, now in zip(source, installed) if was != now]
        daemon = self.installed(ARGS.sbin_dir, "tapstackd")
        self.assertEqual(differing, [
            ("ExecStart=/usr/local/sbin/tapstackd --config /etc/tapstack/tapstackd.yaml",
             f"ExecStart={daemon} --config /etc/tapstack/tapstackd.yaml")])

    def test_unit_exposure_is_at_most_two(self) -> None:
        analyze = need_systemd_tool(self, "systemd-analyze")
        result = run(analyze, "security", "--offline=true", "--no-pager", self.unit)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        level = re.search(r"Overall exposure level for tapstackd\.service: (\d+\.\d+)",
                          result.stdout)
        self.assertIsNotNone(level, result.stdout)
        exposure = float(level.group(1))
        print(f"\nsystemd-analyze security: exposure {exposure}", file=sys.stderr)
        self.assertLessEqual(exposure, MAX_EXPOSURE, result.stdout)

    def test_unit_verifies_without_complaints(self) -> None:
        analyze = need_systemd_tool(self, "systemd-analyze")
        result = run(analyze, "verify", "--no-pager", self.unit)
        self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))

    def test_sysusers_creates_the_tapstack_user_and_group(self) -> None:
        sysusers = need_systemd_tool(self, "systemd-sysusers")
        with tempfile.TemporaryDirectory(prefix="tapstack-sysusers-") as root:
            snippet = self.installed(ARGS.sysusers_dir, "tapstack.conf")
            result = run(sysusers, "--dry-run", f"--root={root}", snippet)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertRegex(output, r"Creating group '?tapstack'?")
        self.assertRegex(output, r"Creating user '?tapstack'?")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cmake", type=Path, required=True)
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    for kind in ("bin", "sbin", "preload", "unit", "sysusers", "doc", "man"):
        parser.add_argument(f"--{kind}-dir", required=True,
                            help=f"the {kind} install directory, relative to the prefix")
    return parser.parse_args()


def main() -> int:
    global ARGS
    ARGS = parse_arguments()
    absolute = [value for name, value in vars(ARGS).items()
                if name.endswith("_dir") and name not in ("source_dir", "build_dir")
                and os.path.isabs(value)]
    if absolute:
        # Installing would write outside the scratch prefix, into the system.
        print(f"test_install: skipped: absolute install directories {absolute}", file=sys.stderr)
        return 1 if under_ci() else SKIP
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    if not result.wasSuccessful():
        return 1
    return SKIP if result.skipped else 0


if __name__ == "__main__":
    sys.exit(main())

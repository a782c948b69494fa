#!/usr/bin/python3
"""tapstack benchmarks with their kernel baseline in the same run (issue 7, bench/README.md).

Each measurement runs twice with the same client program (stream_tool): once against the Linux
kernel over a veth pair between two private namespaces (the baseline), once against tapstackd
in a private namespace over its TAP device. The table shows both and their ratio, and is
appended to bench/RESULTS.md with the date and commit. Needs root; creates and deletes its own
namespaces; every run is bounded in bytes and time.

  bench/run_bench.py --build build [--bytes 2000000000] [--pingpongs 20000] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT_S = 300


class Namespace:
    def __init__(self, tag: str) -> None:
        self.name = f"tsbench-{os.getpid()}-{tag}-{secrets.token_hex(2)}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: list[str]) -> str:
        return subprocess.run(self.command(argv), check=True, capture_output=True, text=True,
                              timeout=TIMEOUT_S).stdout

    def spawn(self, argv: list[str], log: Path | None = None) -> subprocess.Popen:
        out = open(log, "wb") if log else subprocess.DEVNULL
        return subprocess.Popen(self.command(argv), stdout=out, stderr=out)

    def delete(self) -> None:
        subprocess.run(["ip", "netns", "delete", self.name], check=False)


def stop(process: subprocess.Popen) -> None:
    """Ends a process this script started, by its PID."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(ns: Namespace, host: str, port: int) -> None:
    for _ in range(200):
        probe = subprocess.run(ns.command(["bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"]),
                               capture_output=True)
        if probe.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{host}:{port} does not answer")


def measure(ns: Namespace, tool: Path, host: str, args: argparse.Namespace) -> dict:
    results = {}
    results["send"] = json.loads(ns.run([str(tool), "send", host, "9", str(args.bytes)]))
    results["recv"] = json.loads(ns.run([str(tool), "recv", host, "19", str(args.bytes)]))
    results["pingpong"] = json.loads(ns.run([str(tool), "pingpong", host, "7",
                                             str(args.pingpongs)]))
    return results


def kernel_baseline(tool: Path, args: argparse.Namespace) -> dict:
    client, server = Namespace("client"), Namespace("server")
    servers = []
    try:
        subprocess.run(["ip", "link", "add", "veth-c", "netns", client.name, "type", "veth",
                        "peer", "name", "veth-s", "netns", server.name], check=True)
        for ns, dev, address in ((client, "veth-c", "10.9.0.1/24"),
                                 (server, "veth-s", "10.9.0.2/24")):
            ns.run(["ip", "addr", "add", address, "dev", dev])
            ns.run(["ip", "link", "set", dev, "up"])
            ns.run(["ip", "link", "set", "lo", "up"])
        for mode, port in (("discard", 9), ("chargen", 19), ("echo", 7)):
            servers.append(server.spawn([str(tool), "serve", mode, str(port)]))
        for port in (9, 19, 7):
            wait_for_port(client, "10.9.0.2", port)
        return measure(client, tool, "10.9.0.2", args)
    finally:
        for process in servers:
            stop(process)
        client.delete()
        server.delete()


def tapstack(tool: Path, daemon: Path, args: argparse.Namespace) -> dict:
    ns = Namespace("tap")
    log = Path(f"/tmp/{ns.name}.log")
    process = None
    try:
        ns.run(["ip", "link", "set", "lo", "up"])
        process = ns.spawn([str(daemon), "--tap", "tap0", "--address", "10.0.0.2/24",
                            "--host-address", "10.0.0.1/24", "--gateway", "10.0.0.1",
                            "--ipc-socket", f"/tmp/{ns.name}.sock"], log)
        for port in (9, 19, 7):
            wait_for_port(ns, "10.0.0.2", port)
        return measure(ns, tool, "10.0.0.2", args)
    finally:
        if process is not None:
            stop(process)
        ns.delete()
        log.unlink(missing_ok=True)


def table(kernel: dict, ours: dict) -> list[str]:
    rows = [("kernel -> stack, discard (Gbit/s)", "send", "gbit_s", True),
            ("stack -> kernel, chargen (Gbit/s)", "recv", "gbit_s", True),
            ("1-byte ping-pong p50 (us)", "pingpong", "p50_us", False),
            ("1-byte ping-pong p99 (us)", "pingpong", "p99_us", False)]
    lines = ["| measurement | kernel (veth) | tapstack | tapstack / kernel |",
             "|---|---|---|---|"]
    for label, test, key, higher_better in rows:
        k, t = kernel[test][key], ours[test][key]
        ratio = t / k if higher_better else k / t
        lines.append(f"| {label} | {k:.2f} | {t:.2f} | {ratio:.2f} |")
    lines.append("")
    lines.append("Ratio: above 1 means tapstack is better (for latency: kernel / tapstack).")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=HERE.parent / "build")
    parser.add_argument("--bytes", type=int, default=2_000_000_000)
    parser.add_argument("--pingpongs", type=int, default=20_000)
    parser.add_argument("--no-record", action="store_true", help="don't append to RESULTS.md")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run_bench.py needs root (network namespaces, TAP)", file=sys.stderr)
        return 1
    tool = args.build / "bench" / "stream_tool"
    daemon = args.build / "daemon" / "tapstackd"
    kernel = kernel_baseline(tool, args)
    ours = tapstack(tool, daemon, args)
    lines = table(kernel, ours)
    print("\n".join(lines))
    if not args.no_record:
        commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        command = "bench/run_bench.py " + " ".join(sys.argv[1:])
        with open(HERE / "RESULTS.md", "a") as results:
            results.write(f"\n## {stamp}, commit {commit}\n\n`{command}`, "
                          f"{args.bytes} bytes per stream, {args.pingpongs} ping-pongs\n\n")
            results.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

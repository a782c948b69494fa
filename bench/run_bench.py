#!/usr/bin/python3
"""Built-in services: throughput, latency and CPU per gigabyte, with the kernel baseline in the
same run (issue 7 items 1, 3 and 6; bench/README.md).

The same client program (stream_tool) runs twice: against stream_tool serve on the Linux kernel
over a veth pair between two namespaces (the baseline), and against tapstackd's built-in
discard, chargen and echo over its TAP device. Measured: one flow kernel -> server (discard) and
server -> kernel (chargen) in Gbit/s, 1-byte ping-pong p50/p99, and the server's CPU time
(utime + stime from /proc/PID/stat) per gigabyte moved. Needs root; creates and deletes its own
namespaces; every run is bounded in bytes and time.

  bench/run_bench.py --build build [--bytes 2000000000] [--pingpongs 20000] [--rounds 3]
                     [--profile DIR] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import benchlib
from benchlib import KERNEL_SERVER, STACK_ADDRESS, Namespace

PROFILE_LINES = 12  # hottest symbols shown per profile


def measure(ns: Namespace, tool: Path, host: str, server_pids: dict[int, int],
            args: argparse.Namespace) -> dict:
    """One round: each transfer with the CPU seconds of the process serving it (`server_cpu_s`;
    server_pids maps port to PID), then the ping-pong."""
    results = {}
    for test, port in (("send", 9), ("recv", 19)):
        before = benchlib.cpu_seconds(server_pids[port])
        results[test] = json.loads(ns.run([str(tool), test, host, str(port), str(args.bytes)]))
        results[test]["server_cpu_s"] = benchlib.cpu_seconds(server_pids[port]) - before
    results["pingpong"] = json.loads(ns.run([str(tool), "pingpong", host, "7",
                                             str(args.pingpongs)]))
    return results


def profile(ns: Namespace, tool: Path, daemon_pid: int, args: argparse.Namespace) -> list[str]:
    """One more discard and chargen transfer each with `perf record` on tapstackd (outside the
    measured rounds: perf slows it); the hottest symbols of each, from `perf report`."""
    lines = []
    for test, port, label in (("send", 9, "discard"), ("recv", 19, "chargen")):
        data = args.profile / f"perf-{label}.data"
        perf = subprocess.Popen(["perf", "record", "-F", "999", "-p", str(daemon_pid), "-o",
                                 str(data)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)  # perf attaches
            ns.run([str(tool), test, STACK_ADDRESS, str(port), str(args.bytes)])
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=60)
        report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                                 "--sort", "dso,symbol", "--percent-limit", "1"],
                                capture_output=True, text=True, timeout=120).stdout
        (args.profile / f"perf-{label}.txt").write_text(report)
        # "  16.13%  tapstackd  [.] symbol   -   -" -> "16.13% tapstackd [.] symbol"
        top = [" ".join(line.split()).removesuffix(" - -") for line in report.splitlines()
               if line.strip() and not line.startswith("#")][:PROFILE_LINES]
        lines.append("\n".join([f"perf: tapstackd during {label}, hottest symbols "
                                 f"(all: perf-{label}.txt in the --profile directory):", "```",
                                 *top, "```"]))
    return lines


def measure_alternately(tool: Path, args: argparse.Namespace) -> tuple[dict, dict, list[str]]:
    """Kernel and tapstack set up side by side and measured in alternate rounds, so that a
    change in the machine's load hits both; the medians of the rounds. The kernel side runs
    one stream_tool server per service (one process would serialise them)."""
    client, server = benchlib.veth_pair()
    daemon = None
    try:
        kernel_pids = {port: server.spawn([str(tool), "serve", mode, str(port)]).pid
                       for mode, port in (("discard", 9), ("chargen", 19), ("echo", 7))}
        daemon = benchlib.Daemon(args.build,
                                 "tap:\n  offloads: false\n" if args.no_offloads else "")
        for port in (9, 19, 7):
            benchlib.wait_for_port(client, KERNEL_SERVER, port)
            benchlib.wait_for_port(daemon.ns, STACK_ADDRESS, port)
        kernel_rounds, our_rounds = [], []
        for _ in range(args.rounds):
            kernel_rounds.append(measure(client, tool, KERNEL_SERVER, kernel_pids, args))
            our_rounds.append(measure(daemon.ns, tool, STACK_ADDRESS,
                                      dict.fromkeys((9, 19, 7), daemon.pid), args))
        profile_lines = profile(daemon.ns, tool, daemon.pid, args) if args.profile else []
        return (benchlib.median_of(kernel_rounds), benchlib.median_of(our_rounds),
                profile_lines)
    except Exception:
        if daemon is not None:
            print(daemon.log_tail(), file=sys.stderr)
        raise
    finally:
        if daemon is not None:
            daemon.close()
        benchlib.cleanup()


def rows(kernel: dict, ours: dict) -> list[tuple[str, float, float, bool]]:
    def per_gb(result: dict, key: str) -> float:
        return result[key] / (result["bytes"] / 1e9)

    return [
        ("kernel -> server, discard (Gbit/s)", kernel["send"]["gbit_s"],
         ours["send"]["gbit_s"], True),
        ("server -> kernel, chargen (Gbit/s)", kernel["recv"]["gbit_s"],
         ours["recv"]["gbit_s"], True),
        ("1-byte ping-pong p50 (us)", kernel["pingpong"]["p50_us"],
         ours["pingpong"]["p50_us"], False),
        ("1-byte ping-pong p99 (us)", kernel["pingpong"]["p99_us"],
         ours["pingpong"]["p99_us"], False),
        ("discard: server CPU s per GB", per_gb(kernel["send"], "server_cpu_s"),
         per_gb(ours["send"], "server_cpu_s"), False),
        ("chargen: server CPU s per GB", per_gb(kernel["recv"], "server_cpu_s"),
         per_gb(ours["recv"], "server_cpu_s"), False),
        ("discard: client CPU s per GB (for reference)", per_gb(kernel["send"], "cpu_s"),
         per_gb(ours["send"], "cpu_s"), False),
        ("chargen: client CPU s per GB (for reference)", per_gb(kernel["recv"], "cpu_s"),
         per_gb(ours["recv"], "cpu_s"), False),
    ]


CPU_NOTE = ("Server CPU: kernel column = the stream_tool serve process (its system calls); "
            "tapstack column = tapstackd (all threads), from /proc/PID/stat utime+stime. The "
            "kernel's softirq time (most of its receive path and ACK processing) is attributed "
            "to no process, so the kernel figures are a lower bound; the client's own kernel "
            "TCP work lands in its CPU row.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=benchlib.HERE.parent / "build")
    parser.add_argument("--bytes", type=int, default=2_000_000_000)
    parser.add_argument("--pingpongs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternate rounds; medians shown")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="also profile tapstackd with perf during one more discard and "
                             "chargen transfer; perf data and reports in DIR")
    parser.add_argument("--no-offloads", action="store_true",
                        help="run tapstackd with tap.offloads: false (the plain TAP path)")
    parser.add_argument("--no-record", action="store_true", help="don't append to RESULTS.md")
    args = parser.parse_args()
    benchlib.require_root("run_bench.py")
    tool = args.build / "bench" / "stream_tool"
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    kernel, ours, profile_lines = measure_alternately(tool, args)
    lines = benchlib.ratio_table(rows(kernel, ours), ("kernel (veth)", "tapstack built-in"))
    title = "Built-in services" + (" (tap.offloads: false)" if args.no_offloads else "")
    benchlib.record(title, lines,
                    [f"{args.bytes} bytes per stream, {args.pingpongs} ping-pongs; medians of "
                     f"{args.rounds} alternate rounds.", CPU_NOTE, *profile_lines],
                    not args.no_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())

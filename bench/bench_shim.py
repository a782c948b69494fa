#!/usr/bin/python3
"""Programs through the LD_PRELOAD shim against the kernel, with the kernel-to-kernel baseline in
the same run (issue 7 items 2 and 3; bench/README.md).

  - iperf3: `iperf3 -s` under tapstack-run on the stack's address, a kernel iperf3 client in the
    daemon's namespace over tap0, both directions (-R: the shimmed server sends); baseline: both
    iperf3 on the kernel, in two namespaces over a veth pair.
  - 1-byte ping-pong p50/p99 (stream_tool): a shimmed client against a kernel echo server, and a
    kernel client against a shimmed echo server; baseline: both on the kernel over veth.

  bench/bench_shim.py --build build [--seconds 10] [--pingpongs 20000] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import benchlib
from benchlib import HOST_ADDRESS, KERNEL_SERVER, STACK_ADDRESS, Namespace

IPERF_PORT = 5201
ECHO_PORT = 7007


def iperf3(client: Namespace, host: str, seconds: int, reverse: bool,
           shim: list[str] | None = None) -> float:
    """One iperf3 client run; Gbit/s as the receiver counted it."""
    argv = ["iperf3", "-4", "-c", host, "-p", str(IPERF_PORT), "-t", str(seconds), "--json",
            *(["-R"] if reverse else [])]
    result = json.loads(client.run(argv, timeout_s=seconds + 60))
    if "error" in result:
        raise RuntimeError(f"iperf3: {result['error']}")
    return result["end"]["sum_received"]["bits_per_second"] / 1e9


def pingpong(ns: Namespace, argv_prefix: list[str], tool: Path, host: str,
             count: int) -> dict:
    return json.loads(ns.run([*argv_prefix, str(tool), "pingpong", host, str(ECHO_PORT),
                              str(count)]))


def kernel_baseline(tool: Path, args: argparse.Namespace) -> dict:
    client, server = benchlib.veth_pair()
    try:
        server.spawn(["iperf3", "-s", "-4", "-p", str(IPERF_PORT)])
        server.spawn([str(tool), "serve", "echo", str(ECHO_PORT)])
        for port in (IPERF_PORT, ECHO_PORT):
            benchlib.wait_for_port(client, KERNEL_SERVER, port)
        ping = pingpong(client, [], tool, KERNEL_SERVER, args.pingpongs)
        return {"to_server": iperf3(client, KERNEL_SERVER, args.seconds, False),
                "from_server": iperf3(client, KERNEL_SERVER, args.seconds, True),
                "shim_client": ping, "shim_server": ping}
    finally:
        benchlib.cleanup()


def through_shim(tool: Path, args: argparse.Namespace) -> dict:
    daemon = benchlib.Daemon(args.build)
    ns = daemon.ns
    try:
        # -4: a dual-stack IPv6 listener would stay the kernel's.
        ns.spawn(daemon.shim(["iperf3", "-s", "-4", "-p", str(IPERF_PORT)]))
        benchlib.wait_for_port(ns, STACK_ADDRESS, IPERF_PORT)
        results = {"to_server": iperf3(ns, STACK_ADDRESS, args.seconds, False),
                   "from_server": iperf3(ns, STACK_ADDRESS, args.seconds, True)}
        # A kernel echo server on the kernel's side of tap0, a shimmed client...
        kernel_echo = ns.spawn([str(tool), "serve", "echo", str(ECHO_PORT)])
        benchlib.wait_for_port(ns, HOST_ADDRESS, ECHO_PORT)
        results["shim_client"] = pingpong(ns, daemon.shim([]), tool, HOST_ADDRESS,
                                          args.pingpongs)
        benchlib.stop(kernel_echo)
        # ...and a shimmed echo server (INADDR_ANY on the stack) with a kernel client.
        ns.spawn(daemon.shim([str(tool), "serve", "echo", str(ECHO_PORT)]))
        benchlib.wait_for_port(ns, STACK_ADDRESS, ECHO_PORT)
        results["shim_server"] = pingpong(ns, [], tool, STACK_ADDRESS, args.pingpongs)
        return results
    except Exception:
        print(daemon.log_tail(), file=sys.stderr)
        raise
    finally:
        daemon.close()
        benchlib.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=benchlib.HERE.parent / "build")
    parser.add_argument("--seconds", type=int, default=10, help="per iperf3 run")
    parser.add_argument("--pingpongs", type=int, default=20_000)
    parser.add_argument("--no-record", action="store_true", help="don't append to RESULTS.md")
    args = parser.parse_args()
    benchlib.require_root("bench_shim.py")
    tool = args.build / "bench" / "stream_tool"
    kernel = kernel_baseline(tool, args)
    ours = through_shim(tool, args)
    rows = [
        ("iperf3 kernel client -> shimmed server (Gbit/s)", kernel["to_server"],
         ours["to_server"], True),
        ("iperf3 -R shimmed server -> kernel client (Gbit/s)", kernel["from_server"],
         ours["from_server"], True),
    ]
    for key, label in (("shim_client", "shimmed client -> kernel echo"),
                       ("shim_server", "kernel client -> shimmed echo")):
        for quantile in ("p50", "p99"):
            rows.append((f"ping-pong {label} {quantile} (us)", kernel[key][f"{quantile}_us"],
                         ours[key][f"{quantile}_us"], False))
    lines = benchlib.ratio_table(rows, ("kernel <-> kernel (veth)", "through the shim"))
    benchlib.record("Through the shim", lines,
                    [f"iperf3 {args.seconds} s per direction, one flow; {args.pingpongs} "
                     "ping-pongs. The kernel baseline's ping-pong is one run, shown in both "
                     "ping-pong rows."], not args.no_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())

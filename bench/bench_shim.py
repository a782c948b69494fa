#!/usr/bin/python3
"""Programs through the LD_PRELOAD shim against the kernel, with the kernel-to-kernel baseline in
the same run (issue 7 items 2 and 3; bench/README.md).

  - iperf3: `iperf3 -s` under tapstack-run on the stack's address with a kernel iperf3 client in
    the daemon's namespace over tap0, and an iperf3 client under tapstack-run against a kernel
    `iperf3 -s` on tap0's host side; both directions each (-R); baseline: both iperf3 on the
    kernel, in two namespaces over a veth pair (its two figures serve both pairs of rows).
  - 1-byte ping-pong p50/p99 (stream_tool): a shimmed client against a kernel echo server, and a
    kernel client against a shimmed echo server; baseline: both on the kernel over veth.

  bench/bench_shim.py --build build [--seconds 10] [--pingpongs 20000] [--rounds 3]
                      [--busy-poll US] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import benchlib
from benchlib import HOST_ADDRESS, KERNEL_SERVER, STACK_ADDRESS, Namespace

IPERF_PORT = 5201
ECHO_PORT = 7007
IPERF_CONNECT_ATTEMPTS = 25
KERNEL_IPERF_PORT = 5202  # the kernel iperf3 server for the shimmed client, on tap0's host side
KERNEL_ECHO_PORT = 7008  # the kernel echo beside the shimmed one in the daemon's namespace


def iperf3(client: Namespace, host: str, seconds: int, reverse: bool,
           port: int = IPERF_PORT, shim: list[str] | None = None) -> float:
    """One iperf3 client run (under `shim`, a tapstack-run prefix, if given); Gbit/s as the
    receiver counted it. iperf3 -s closes its listener after each test (and after a probe that
    sent no test) and listens again: a refused connect in between is retried."""
    argv = [*(shim or []), "iperf3", "-4", "-c", host, "-p", str(port), "-t", str(seconds),
            "--json", *(["-R"] if reverse else [])]
    for _ in range(IPERF_CONNECT_ATTEMPTS):
        # iperf3 exits 1 on errors, with the error in its JSON.
        done = subprocess.run(client.command(argv), capture_output=True, text=True,
                              timeout=seconds + 60)
        result = json.loads(done.stdout)
        if "Connection refused" not in result.get("error", ""):
            break
        time.sleep(0.2)
    if "error" in result:
        raise RuntimeError(f"iperf3: {result['error']}")
    local = result["start"]["connected"][0]["local_host"]
    if shim and local != STACK_ADDRESS:  # the shim let the kernel's stack carry it
        raise RuntimeError(f"shimmed iperf3 client used {local}, not the stack's address")
    return result["end"]["sum_received"]["bits_per_second"] / 1e9


def pingpong(ns: Namespace, argv_prefix: list[str], tool: Path, host: str, port: int,
             count: int) -> dict:
    return json.loads(ns.run([*argv_prefix, str(tool), "pingpong", host, str(port),
                              str(count)]))


def start_kernel_side(client: Namespace, server: Namespace, tool: Path) -> None:
    server.spawn(["iperf3", "-s", "-4", "-p", str(IPERF_PORT)])
    server.spawn([str(tool), "serve", "echo", str(ECHO_PORT)])
    for port in (IPERF_PORT, ECHO_PORT):
        benchlib.wait_for_port(client, KERNEL_SERVER, port)


def start_shim_side(daemon: benchlib.Daemon, tool: Path) -> None:
    """A shimmed iperf3 server and a shimmed echo server on the stack (INADDR_ANY there), and a
    kernel echo server on a port of its own on the kernel's side of tap0."""
    ns = daemon.ns
    # -4: a dual-stack IPv6 listener would stay the kernel's.
    ns.spawn(daemon.shim(["iperf3", "-s", "-4", "-p", str(IPERF_PORT)]),
             daemon.scratch / "iperf3.out")
    ns.spawn(daemon.shim([str(tool), "serve", "echo", str(ECHO_PORT)]),
             daemon.scratch / "shim-echo.out")
    ns.spawn([str(tool), "serve", "echo", str(KERNEL_ECHO_PORT)])
    ns.spawn(["iperf3", "-s", "-4", "-B", HOST_ADDRESS, "-p", str(KERNEL_IPERF_PORT)])
    # Under load a shimmed program takes a while to start: the shim connects to the daemon.
    for host, port in ((STACK_ADDRESS, IPERF_PORT), (STACK_ADDRESS, ECHO_PORT),
                       (HOST_ADDRESS, KERNEL_ECHO_PORT), (HOST_ADDRESS, KERNEL_IPERF_PORT)):
        benchlib.wait_for_port(ns, host, port, timeout_s=30)


def measure_kernel(client: Namespace, tool: Path, args: argparse.Namespace) -> dict:
    ping = pingpong(client, [], tool, KERNEL_SERVER, ECHO_PORT, args.pingpongs)
    return {"to_server": iperf3(client, KERNEL_SERVER, args.seconds, False),
            "from_server": iperf3(client, KERNEL_SERVER, args.seconds, True),
            "shim_client": ping, "shim_server": ping}


def measure_shim(daemon: benchlib.Daemon, tool: Path, args: argparse.Namespace) -> dict:
    ns = daemon.ns
    return {"to_server": iperf3(ns, STACK_ADDRESS, args.seconds, False),
            "from_server": iperf3(ns, STACK_ADDRESS, args.seconds, True),
            "shim_client_sends": iperf3(ns, HOST_ADDRESS, args.seconds, False,
                                        KERNEL_IPERF_PORT, daemon.shim([])),
            "shim_client_receives": iperf3(ns, HOST_ADDRESS, args.seconds, True,
                                           KERNEL_IPERF_PORT, daemon.shim([])),
            "shim_client": pingpong(ns, daemon.shim([]), tool, HOST_ADDRESS, KERNEL_ECHO_PORT,
                                    args.pingpongs),
            "shim_server": pingpong(ns, [], tool, STACK_ADDRESS, ECHO_PORT, args.pingpongs)}


def measure_alternately(tool: Path, args: argparse.Namespace) -> tuple[dict, dict]:
    """Both set up side by side and measured in alternate rounds; the medians of the rounds."""
    client, server = benchlib.veth_pair()
    daemon = None
    try:
        start_kernel_side(client, server, tool)
        busy_poll = f"tap:\n  busy_poll: {args.busy_poll}us\n" if args.busy_poll else ""
        daemon = benchlib.Daemon(args.build, busy_poll)
        start_shim_side(daemon, tool)
        kernel_rounds, shim_rounds = [], []
        for _ in range(args.rounds):
            kernel_rounds.append(measure_kernel(client, tool, args))
            shim_rounds.append(measure_shim(daemon, tool, args))
        return benchlib.median_of(kernel_rounds), benchlib.median_of(shim_rounds)
    except Exception:
        if daemon is not None:
            for name in ("iperf3.out", "shim-echo.out"):
                path = daemon.scratch / name
                if path.exists():
                    print(f"--- {name}\n{path.read_text(errors='replace')[-2000:]}",
                          file=sys.stderr)
            print(f"--- tapstackd\n{daemon.log_tail()}", file=sys.stderr)
        raise
    finally:
        if daemon is not None:
            daemon.close()
        benchlib.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=benchlib.HERE.parent / "build")
    parser.add_argument("--seconds", type=int, default=10, help="per iperf3 run")
    parser.add_argument("--pingpongs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternate rounds; medians shown")
    parser.add_argument("--busy-poll", type=int, default=0, metavar="US",
                        help="run tapstackd with tap.busy_poll of US microseconds")
    parser.add_argument("--no-record", action="store_true", help="don't append to RESULTS.md")
    args = parser.parse_args()
    benchlib.require_root("bench_shim.py")
    tool = args.build / "bench" / "stream_tool"
    kernel, ours = measure_alternately(tool, args)
    rows = [
        ("iperf3 kernel client -> shimmed server (Gbit/s)", kernel["to_server"],
         ours["to_server"], True),
        ("iperf3 -R shimmed server -> kernel client (Gbit/s)", kernel["from_server"],
         ours["from_server"], True),
        ("iperf3 shimmed client -> kernel server (Gbit/s)", kernel["to_server"],
         ours["shim_client_sends"], True),
        ("iperf3 -R kernel server -> shimmed client (Gbit/s)", kernel["from_server"],
         ours["shim_client_receives"], True),
    ]
    for key, label in (("shim_client", "shimmed client -> kernel echo"),
                       ("shim_server", "kernel client -> shimmed echo")):
        for quantile in ("p50", "p99"):
            rows.append((f"ping-pong {label} {quantile} (us)", kernel[key][f"{quantile}_us"],
                         ours[key][f"{quantile}_us"], False))
    lines = benchlib.ratio_table(rows, ("kernel <-> kernel (veth)", "through the shim"))
    title = "Through the shim" + (f", tap.busy_poll {args.busy_poll}us" if args.busy_poll else "")
    benchlib.record(title, lines,
                    [f"iperf3 {args.seconds} s per direction, one flow; {args.pingpongs} "
                     f"ping-pongs; medians of {args.rounds} alternate rounds. The kernel "
                     "baseline is one client and one server: its figures appear in both rows "
                     "of a direction."], not args.no_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Scale: N concurrent idle connections to an echo service, with the kernel baseline in the same
run (issue 7 item 5; bench/README.md).

idle_connections processes (up to 15,000 connections, i.e. descriptors, each) open N connections
from the kernel at once, spread over several source addresses (one address has ~64,000
ephemeral ports towards one server port), hold them idle, then check every 100th with a 1-byte
echo. Measured: the time to establish them, and memory per connection:
  - tapstack: tapstackd's VmRSS (/proc/PID/status) after minus before, over N, against the
    built-in echo (the daemon's tcp.max_connections raised to fit N);
  - kernel: Slab in /proc/meminfo after minus before, halved (both ends of each connection are
    kernel sockets here), plus the echo server's VmRSS growth, over N, against an epoll echo
    server over a veth pair. Slab is machine-wide, so other activity on the machine blurs it.

  bench/bench_scale.py --build build [--connections 100000] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import benchlib
from benchlib import KERNEL_CLIENT, KERNEL_SERVER, STACK_ADDRESS, Namespace

ECHO_PORT = 7
# Connections per client address. With 1024-65535 as the ephemeral range, Linux's connect() finds
# free ports fast for the first half (it scans one parity of ports first) and crawls beyond
# ~32,000; 25,000 stays clear of that.
PER_SOURCE = 25_000
SETTLE_S = 1.0       # lets late ACKs and timers run before memory is read
# Descriptors per process: RLIMIT_NOFILE's hard limit may be low (20,000 here) and cannot be
# raised without CAP_SYS_RESOURCE, so several processes share the connections.
PER_PROCESS = 15_000


def slab_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Slab:"):
            return int(line.split()[1])
    raise RuntimeError("no Slab in /proc/meminfo")


def extra_sources(ns: Namespace, dev: str, first: str, count: int) -> list[str]:
    """`count` client addresses: `first` and more from .10 upwards on its /24, added to `dev`."""
    prefix = first.rsplit(".", 1)[0]
    sources = [first]
    for host in range(10, 10 + count - 1):
        sources.append(f"{prefix}.{host}")
        ns.run(["ip", "addr", "add", f"{prefix}.{host}/24", "dev", dev])
    return sources


class Holder:
    """One `idle_connections open` process, whose two JSON lines are read as they come."""

    def __init__(self, ns: Namespace, tool: Path, host: str, n: int, sources: list[str]) -> None:
        self.process = ns.spawn([str(tool), "open", host, str(ECHO_PORT), str(n),
                                 ",".join(sources)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)

    def line(self) -> dict:
        text = self.process.stdout.readline()
        if not text:
            raise RuntimeError(f"idle_connections exited {self.process.wait()}")
        return json.loads(text)

    def probe(self) -> dict:
        self.process.stdin.write("probe\n")
        self.process.stdin.flush()
        return self.line()

    def release(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def shares(n: int) -> list[int]:
    """N split among processes of at most PER_PROCESS connections (descriptors) each."""
    processes = (n + PER_PROCESS - 1) // PER_PROCESS
    return [n // processes + (1 if i < n % processes else 0) for i in range(processes)]


def hold(ns: Namespace, tool: Path, host: str, n: int, sources: list[str],
         memory_kib) -> dict:
    """Opens N connections from several processes at once, reads memory_kib() before and after,
    probes, releases. The time is from the first process's start to the last one's report."""
    before = memory_kib()
    started = time.monotonic()
    holders = [Holder(ns, tool, host, share, sources) for share in shares(n)]
    opened = [holder.line() for holder in holders]
    seconds = time.monotonic() - started
    time.sleep(SETTLE_S)
    after = memory_kib()
    probed = [holder.probe() for holder in holders]
    for holder in holders:
        holder.release()
    connections = sum(o["connections"] for o in opened)
    failed = sum(o["failed"] for o in opened)
    probes, echoed = sum(p["probed"] for p in probed), sum(p["echoed"] for p in probed)
    if connections != n or echoed != probes:
        raise RuntimeError(f"connections: {opened}, probes: {probed}")
    return {"connections": connections, "failed": failed, "seconds": seconds, "probed": probes,
            "echoed": echoed, "kib_per_connection": (after - before) / n}


def kernel_baseline(tool: Path, n: int, sources_needed: int) -> dict:
    client, server = benchlib.veth_pair()
    try:
        # SO_REUSEPORT servers, with room for an uneven hash spread of the connections.
        echoes = [server.spawn([str(tool), "serve", str(ECHO_PORT)])
                  for _ in range(len(shares(n)) + 1)]
        benchlib.wait_for_port(client, KERNEL_SERVER, ECHO_PORT)
        sources = extra_sources(client, "veth-c", KERNEL_CLIENT, sources_needed)
        return hold(client, tool, KERNEL_SERVER, n, sources,
                    lambda: slab_kib() / 2 + sum(benchlib.rss_kib(e.pid) for e in echoes))
    finally:
        benchlib.cleanup()


def tapstack(build: Path, tool: Path, n: int, sources_needed: int) -> dict:
    daemon = benchlib.Daemon(build, f"tcp:\n  max_connections: {n + 1000}\n")
    try:
        benchlib.wait_for_port(daemon.ns, STACK_ADDRESS, ECHO_PORT)
        sources = extra_sources(daemon.ns, "tap0", benchlib.HOST_ADDRESS, sources_needed)
        return hold(daemon.ns, tool, STACK_ADDRESS, n, sources,
                    lambda: benchlib.rss_kib(daemon.pid))
    except Exception:
        print(daemon.log_tail(), file=sys.stderr)
        raise
    finally:
        benchlib.cleanup()
        daemon.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=benchlib.HERE.parent / "build")
    parser.add_argument("--connections", type=int, default=100_000)
    parser.add_argument("--no-record", action="store_true", help="don't append to RESULTS.md")
    args = parser.parse_args()
    benchlib.require_root("bench_scale.py")
    n = args.connections
    benchlib.raise_fd_limit(PER_PROCESS + 1000)
    sources_needed = (n + PER_SOURCE - 1) // PER_SOURCE
    tool = args.build / "bench" / "idle_connections"
    kernel = kernel_baseline(tool, n, sources_needed)
    ours = tapstack(args.build, tool, n, sources_needed)
    rows = [(f"time to establish {n} connections (s)", kernel["seconds"], ours["seconds"],
             False),
            ("memory per idle connection (KiB)", kernel["kib_per_connection"],
             ours["kib_per_connection"], False)]
    lines = benchlib.ratio_table(rows, ("kernel echo (veth)", "tapstack built-in echo"))
    benchlib.record("Scale", lines,
                    [f"{n} connections from {sources_needed} client addresses, {len(shares(n))} "
                     "processes with at most 64 handshakes in flight each; every 100th echoed 1 "
                     "byte afterwards "
                     f"({ours['echoed']}/{ours['probed']} on tapstack). Memory: tapstack = "
                     "tapstackd VmRSS growth / N; kernel = (Slab growth / 2 + echo server VmRSS "
                     "growth) / N, Slab being machine-wide."], not args.no_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())

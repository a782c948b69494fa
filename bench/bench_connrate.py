#!/usr/bin/python3
"""Connection rate: short HTTP requests, each on a new connection (`ab` without -k), with the
kernel baseline in the same run (issue 7 item 4; bench/README.md).

Against: tapstackd's built-in HTTP service (GET /bytes/SIZE), and nginx under tapstack-run
(a SIZE-byte file); baseline: the same nginx configuration on the kernel, ab in another
namespace over a veth pair. ab runs in the daemon's namespace over tap0 for the first two.
Both servers answer HTTP/1.0 without keep-alive by closing the connection.

  bench/bench_connrate.py --build build [--requests 20000] [--concurrency 50] [--rounds 3]
                          [--no-record]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import benchlib
from benchlib import KERNEL_SERVER, STACK_ADDRESS, Namespace

NGINX_PORT = 8081
SIZE = 100  # response body bytes

# nginx as tests/integration/test_servers.py runs it: a master and two workers, every path it
# writes in the scratch directory. `user root`: the scratch directory is root's, and the workers
# must reach the daemon's IPC socket in it. No access log: it would cost the same on both sides
# but only add disk traffic to a CPU benchmark.
NGINX_CONF = """
user root;
master_process on;
worker_processes 2;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  keepalive_timeout 30s;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  server {{
    listen {port};
    root {root}/www;
  }}
}}
"""


def nginx_root(scratch: Path) -> Path:
    """A scratch directory with the config and the page (the built-in /bytes/N pattern)."""
    root = scratch / "nginx"
    (root / "www").mkdir(parents=True)
    (root / "www" / "page").write_bytes(bytes(i % 251 for i in range(SIZE)))
    (root / "nginx.conf").write_text(NGINX_CONF.format(root=root, port=NGINX_PORT))
    return root


def nginx_argv(root: Path) -> list[str]:
    return ["nginx", "-p", str(root), "-c", str(root / "nginx.conf"), "-e",
            str(root / "error.log")]


def ab(client: Namespace, url: str, args: argparse.Namespace) -> dict:
    """ab's requests per second and its p50/p99 request times; fails on any failed request."""
    report = client.run(["ab", "-q", "-n", str(args.requests), "-c", str(args.concurrency),
                         "-s", "30", url], timeout_s=300)

    def number(pattern: str) -> float:
        match = re.search(pattern, report)
        if match is None:
            raise RuntimeError(f"ab report without {pattern!r}:\n{report}")
        return float(match.group(1))

    if (number(r"Complete requests:\s+(\d+)") != args.requests
            or number(r"Failed requests:\s+(\d+)") != 0 or "Non-2xx" in report):
        raise RuntimeError(f"ab against {url} had failures:\n{report}")
    return {"rps": number(r"Requests per second:\s+([\d.]+)"),
            "p50_ms": number(r"\n\s+50%\s+(\d+)"), "p99_ms": number(r"\n\s+99%\s+(\d+)")}


def measure_alternately(args: argparse.Namespace) -> tuple[dict, dict]:
    """nginx on the kernel, the built-in HTTP and nginx under the shim set up side by side and
    measured in alternate rounds; the medians of the rounds."""
    client, server = benchlib.veth_pair()
    scratch = Path(f"/tmp/{server.name}")
    scratch.mkdir(mode=0o700)
    daemon = None
    try:
        server.spawn(nginx_argv(nginx_root(scratch)))
        daemon = benchlib.Daemon(args.build)
        daemon.ns.spawn(daemon.shim(nginx_argv(nginx_root(daemon.scratch))))
        benchlib.wait_for_port(client, KERNEL_SERVER, NGINX_PORT)
        benchlib.wait_for_port(daemon.ns, STACK_ADDRESS, 80)
        benchlib.wait_for_port(daemon.ns, STACK_ADDRESS, NGINX_PORT, timeout_s=30)
        kernel_rounds, our_rounds = [], []
        for _ in range(args.rounds):
            kernel_rounds.append(ab(client, f"http://{KERNEL_SERVER}:{NGINX_PORT}/page", args))
            our_rounds.append(
                {"builtin": ab(daemon.ns, f"http://{STACK_ADDRESS}/bytes/{SIZE}", args),
                 "nginx": ab(daemon.ns, f"http://{STACK_ADDRESS}:{NGINX_PORT}/page", args)})
        return benchlib.median_of(kernel_rounds), benchlib.median_of(our_rounds)
    except Exception:
        if daemon is not None:
            print(daemon.log_tail(), file=sys.stderr)
        raise
    finally:
        if daemon is not None:
            daemon.close()
        benchlib.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=benchlib.HERE.parent / "build")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="alternate rounds; medians shown")
    parser.add_argument("--no-record", action="store_true", help="don't append to RESULTS.md")
    args = parser.parse_args()
    benchlib.require_root("bench_connrate.py")
    kernel, ours = measure_alternately(args)
    rows = []
    for key, label in (("builtin", "built-in HTTP"), ("nginx", "nginx under tapstack-run")):
        rows += [(f"{label}: requests/s, new connection each", kernel["rps"], ours[key]["rps"],
                  True),
                 (f"{label}: request time p50 (ms)", kernel["p50_ms"], ours[key]["p50_ms"],
                  False),
                 (f"{label}: request time p99 (ms)", kernel["p99_ms"], ours[key]["p99_ms"],
                  False)]
    lines = benchlib.ratio_table(rows, ("nginx on the kernel (veth)", "tapstack"))
    benchlib.record("Connection rate", lines,
                    [f"ab -n {args.requests} -c {args.concurrency} (HTTP/1.0, no keep-alive), "
                     f"{SIZE}-byte bodies; medians of {args.rounds} alternate rounds; ab's times "
                     "are whole milliseconds. The kernel column (nginx on the kernel) is "
                     "compared with both tapstack rows."], not args.no_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())

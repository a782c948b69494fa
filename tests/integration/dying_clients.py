"""Run under tapstack-run: forks TOTAL clients, BATCH at a time; each opens a TCP listener, a
TCP connection to HOST:PORT with a byte sent, and a UDP socket with a datagram sent, tells the
parent, and is killed with SIGKILL. Prints `done N`; exits 1 when a batch did not get ready."""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
import time

READY_TIMEOUT_S = 20


def client(host: str, port: int, ready: int) -> None:
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen(4)
    out = socket.create_connection((host, port), timeout=10)
    out.sendall(b"x")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.sendto(b"y", (host, port))
    os.write(ready, b"r")
    time.sleep(READY_TIMEOUT_S * 3)  # killed long before


def batch(host: str, port: int, count: int) -> int:
    """Starts `count` clients, kills them once all are ready; returns how many got ready."""
    r, w = os.pipe()
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                client(host, port, w)
            finally:
                os._exit(1)
        pids.append(pid)
    os.close(w)
    ready = 0
    deadline = time.monotonic() + READY_TIMEOUT_S
    while ready < count and select.select([r], [], [], max(deadline - time.monotonic(), 0))[0]:
        chunk = os.read(r, count)
        if not chunk:
            break
        ready += len(chunk)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        os.waitpid(pid, 0)
    os.close(r)
    return ready


def main() -> int:
    host, port, total, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    done = 0
    while done < total:
        count = min(size, total - done)
        ready = batch(host, port, count)
        if ready != count:
            print(f"batch at {done}: {ready} of {count} clients got ready", flush=True)
            return 1
        done += count
    print(f"done {done}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two sides of the stalled-readers test (test_clients).

`server PORT COUNT`, under tapstack-run: listens on PORT and accepts COUNT connections, reading
nothing; on PORT+1 a listener with backlog 4 that never accepts. Prints `accepted COUNT`, then
holds everything until its stdin closes.

`writers HOST PORT COUNT`, in the kernel: opens COUNT connections to HOST:PORT, then writes to
every one until each blocks (several passes, since the stack drains into the program's channel
while we write), and opens COUNT // 4 more to HOST:PORT+1. Prints one JSON line with the bytes
written, then holds everything until its stdin closes.
"""

from __future__ import annotations

import json
import resource
import socket
import sys
import time

CHUNK = b"s" * 65536
IDLE_PASSES = 2  # passes in a row that write nothing: the connection is blocked


def raise_fd_limit(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = count + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(hard, need)))


def server(port: int, count: int) -> None:
    raise_fd_limit(count)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(4096)
    never = socket.socket()
    never.bind(("0.0.0.0", port + 1))
    never.listen(4)
    held = [listener.accept()[0] for _ in range(count)]
    print(f"accepted {len(held)}", flush=True)
    sys.stdin.read()


def fill(connections: list[socket.socket]) -> int:
    """Writes to every connection until it blocks: it took nothing in IDLE_PASSES passes in a
    row, half a second apart (the stack drains into the program's channel while we write)."""
    written = 0
    idle = {c: 0 for c in connections}
    while idle:
        for c in list(idle):
            moved = 0
            try:
                while True:
                    moved += c.send(CHUNK)
            except BlockingIOError:
                pass
            written += moved
            idle[c] = 0 if moved else idle[c] + 1
            if idle[c] == IDLE_PASSES:
                del idle[c]
        time.sleep(0.5)
    return written


def writers(host: str, port: int, count: int) -> None:
    raise_fd_limit(count + count // 4)
    connections = [socket.create_connection((host, port), timeout=30) for _ in range(count)]
    for c in connections:
        c.setblocking(False)
    written = fill(connections)
    unaccepted = []
    for _ in range(count // 4):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex((host, port + 1))
        unaccepted.append(c)
    print(json.dumps({"written": written, "connections": len(connections)}), flush=True)
    sys.stdin.read()


def main() -> int:
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), int(sys.argv[3]))
    else:
        writers(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

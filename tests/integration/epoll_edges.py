"""Event-API edge cases on a TCP connection to an echo server at argv[1]:argv[2] (issue 5):
edge- and level-triggered epoll, one fd in two epoll sets, an epoll fd inside another, and
select() on an fd near FD_SETSIZE. Prints the observed events as JSON; test_sockopts.py runs it
on the kernel's sockets and under tapstack-run and requires the same output (differential)."""

from __future__ import annotations

import json
import os
import select
import socket
import sys
import time

SETTLE_S = 0.3  # long enough for an echo over the namespace's links to come back


def events(poller: select.epoll, names: dict[int, str], timeout_s: float = SETTLE_S) -> list:
    return sorted([names.get(fd, "?"), mask] for fd, mask in poller.poll(timeout_s))


def echo(sock: socket.socket, data: bytes) -> None:
    sock.sendall(data)
    time.sleep(SETTLE_S)


def drain(sock: socket.socket) -> int:
    total = 0
    while True:
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            return total
        if not chunk:
            return total
        total += len(chunk)


def edge_triggered(sock: socket.socket, out: dict[str, object]) -> None:
    """epoll(7): EPOLLET reports a readiness change once, not again while data stays unread,
    and again when more data arrives."""
    poller = select.epoll()
    names = {sock.fileno(): "sock"}
    poller.register(sock, select.EPOLLIN | select.EPOLLET)
    echo(sock, b"a" * 10)
    out["et.first arrival"] = events(poller, names)
    out["et.unread, no new data"] = events(poller, names)
    echo(sock, b"b" * 10)
    out["et.second arrival"] = events(poller, names)
    out["et.drained bytes"] = drain(sock)
    out["et.after drain"] = events(poller, names)
    poller.close()


def level_triggered(sock: socket.socket, out: dict[str, object]) -> None:
    poller = select.epoll()
    names = {sock.fileno(): "sock"}
    poller.register(sock, select.EPOLLIN)
    echo(sock, b"c" * 10)
    out["lt.arrival"] = events(poller, names)
    out["lt.unread, still reported"] = events(poller, names)
    out["lt.drained bytes"] = drain(sock)
    out["lt.after drain"] = events(poller, names)
    poller.close()


def two_epoll_sets(sock: socket.socket, out: dict[str, object]) -> None:
    first, second = select.epoll(), select.epoll()
    names = {sock.fileno(): "sock"}
    first.register(sock, select.EPOLLIN)
    second.register(sock, select.EPOLLIN | select.EPOLLET)
    echo(sock, b"d" * 10)
    out["two sets.first (level)"] = events(first, names)
    out["two sets.second (edge)"] = events(second, names)
    out["two sets.second again"] = events(second, names)
    out["two sets.drained bytes"] = drain(sock)
    out["two sets.first after drain"] = events(first, names)
    first.close()
    second.close()


def nested_epoll(sock: socket.socket, out: dict[str, object]) -> None:
    """epoll(7): an epoll fd is itself pollable, readable when its set has ready events."""
    inner, outer = select.epoll(), select.epoll()
    names = {sock.fileno(): "sock", inner.fileno(): "inner"}
    inner.register(sock, select.EPOLLIN)
    outer.register(inner.fileno(), select.EPOLLIN)
    out["nested.idle"] = events(outer, names)
    echo(sock, b"e" * 10)
    out["nested.outer"] = events(outer, names)
    out["nested.inner"] = events(inner, names)
    out["nested.drained bytes"] = drain(sock)
    out["nested.outer after drain"] = events(outer, names)
    outer.close()
    inner.close()


def select_near_fd_setsize(sock: socket.socket, out: dict[str, object]) -> None:
    """select(2) takes fds below FD_SETSIZE (1024); 1000 is near the top of the set."""
    high = 1000
    os.dup2(sock.fileno(), high)
    readable, writable, _ = select.select([high], [high], [], SETTLE_S)
    out["select 1000.idle"] = [readable, writable]
    os.write(high, b"f" * 10)
    time.sleep(SETTLE_S)
    readable, writable, _ = select.select([high], [high], [], SETTLE_S)
    out["select 1000.after echo"] = [readable, writable]
    out["select 1000.read"] = os.read(high, 100).decode()
    readable, _, _ = select.select([high], [], [], SETTLE_S)
    out["select 1000.after read"] = readable
    os.close(high)


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((host, port), timeout=10)
    sock.setblocking(False)
    out: dict[str, object] = {}
    for case in (edge_triggered, level_triggered, two_epoll_sets, nested_epoll,
                 select_near_fd_setsize):
        case(sock, out)
    sock.close()
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Kernel-side TCP clients for the integration tests, run inside the test's namespace (the test
process itself lives in the root namespace). Each subcommand prints one JSON line of results and
exits 0 on success, 1 on a failed check. Every operation is bounded by --timeout.

  discard HOST PORT BYTES     send BYTES of the pattern to the discard service
  chargen HOST PORT BYTES     read BYTES from chargen and check them against the pattern
  echo HOST PORT CONNECTIONS  open CONNECTIONS concurrent connections to echo, send a distinct
                              message on each, check each echo, close them all
  connect HOST PORT           one connection, reports whether it succeeded (for SYN floods)

The pattern is the daemon's documented one: byte i of a stream is i mod 251.
"""

from __future__ import annotations

import argparse
import json
import resource
import selectors
import socket
import sys
import time

CYCLE = bytes(i % 251 for i in range(251))
CHUNK = CYCLE * 256  # 64256 bytes: a whole number of cycles, so every chunk starts at phase 0


def pattern_slice(offset: int, length: int) -> bytes:
    """Bytes [offset, offset + length) of the pattern."""
    phase = offset % 251
    repeats = (phase + length) // 251 + 1
    return (CYCLE * repeats)[phase:phase + length]


def discard(host: str, port: int, total: int, timeout: float) -> dict:
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sent = 0
        while sent < total:
            n = min(len(CHUNK), total - sent)
            sock.sendall(CHUNK[:n])
            sent += n
        sock.shutdown(socket.SHUT_WR)
        # discard never answers: the orderly close from the daemon ends the transfer.
        rest = sock.recv(1)
    elapsed = time.monotonic() - started
    return {"ok": rest == b"", "bytes": sent, "seconds": elapsed,
            "gbit_s": sent * 8 / elapsed / 1e9}


def chargen(host: str, port: int, total: int, timeout: float) -> dict:
    started = time.monotonic()
    received = 0
    mismatch_at = None
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        view = memoryview(bytearray(1 << 20))
        while received < total:
            n = sock.recv_into(view, min(len(view), total - received))
            if n == 0:
                break
            if mismatch_at is None and bytes(view[:n]) != pattern_slice(received, n):
                mismatch_at = received
            received += n
    elapsed = time.monotonic() - started
    return {"ok": received == total and mismatch_at is None, "bytes": received,
            "mismatch_at": mismatch_at, "seconds": elapsed,
            "gbit_s": received * 8 / elapsed / 1e9}


def echo(host: str, port: int, connections: int, timeout: float) -> dict:
    # One descriptor per connection: lift the soft limit (1024 by default) to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, connections + 64)), hard))
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    expected: dict[socket.socket, bytes] = {}
    received: dict[socket.socket, bytearray] = {}
    for i in range(connections):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex((host, port))
        expected[sock] = f"message {i} from connection {i}\n".encode() * 3
        received[sock] = bytearray()
        selector.register(sock, selectors.EVENT_WRITE)
    pending_connect = set(expected)
    complete = 0
    errors = 0
    while complete + errors < connections and time.monotonic() < deadline:
        for key, events in selector.select(timeout=1.0):
            sock = key.fileobj
            if sock in pending_connect and events & selectors.EVENT_WRITE:
                pending_connect.discard(sock)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    errors += 1
                    selector.unregister(sock)
                    continue
                sock.sendall(expected[sock])
                selector.modify(sock, selectors.EVENT_READ)
                continue
            data = sock.recv(65536)
            received[sock] += data
            if len(received[sock]) >= len(expected[sock]) or not data:
                selector.unregister(sock)
                if bytes(received[sock]) == expected[sock]:
                    complete += 1
                else:
                    errors += 1
    open_at_end = sum(1 for sock in expected if sock.fileno() >= 0)
    for sock in expected:
        sock.close()
    return {"ok": complete == connections, "complete": complete, "errors": errors,
            "open_at_end": open_at_end}


def connect(host: str, port: int, timeout: float) -> dict:
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"ping\n")
            answer = sock.recv(5)
        ok = answer == b"ping\n"
    except OSError as error:
        return {"ok": False, "error": str(error)}
    return {"ok": ok, "seconds": time.monotonic() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["discard", "chargen", "echo", "connect"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("amount", type=int, nargs="?", default=0)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    socket.setdefaulttimeout(args.timeout)
    if args.command == "discard":
        result = discard(args.host, args.port, args.amount, args.timeout)
    elif args.command == "chargen":
        result = chargen(args.host, args.port, args.amount, args.timeout)
    elif args.command == "echo":
        result = echo(args.host, args.port, args.amount, args.timeout)
    else:
        result = connect(args.host, args.port, args.timeout)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Run under tapstack-run: one socket call that blocks (MODE read, write, poll or connect)
while the test kills tapstackd. Prints `ready`, then one JSON line when the call returns:
{"first": outcome, "at": time.monotonic(), "next": outcome of the next call (socket())}.
An outcome is "ok", "eof", the errno name, or "poll timed out"."""

from __future__ import annotations

import errno
import json
import select
import socket
import sys
import time


def outcome(call) -> str:
    try:
        result = call()
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))
    return "eof" if result == b"" else result if isinstance(result, str) else "ok"


def blocking_call(mode: str, host: str, port: int):
    """Sets the socket up and returns the call that blocks."""
    if mode == "connect":  # a peer that never answers: the SYN is dropped past the gateway
        s = socket.socket()
        print("ready", flush=True)
        return lambda: s.connect((host, port))
    s = socket.create_connection((host, port), timeout=None)
    if mode == "read":
        print("ready", flush=True)
        return lambda: s.recv(4096)
    if mode == "write":  # the peer never reads: fills every buffer on the way, then blocks
        print("ready", flush=True)
        return lambda: s.sendall(b"w" * (64 << 20))
    if mode == "poll":
        s.setblocking(False)
        poller = select.poll()
        poller.register(s, select.POLLIN)
        print("ready", flush=True)
        return lambda: s.recv(4096) if poller.poll(30_000) else "poll timed out"
    raise SystemExit(f"unknown mode {mode}")


def main() -> int:
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    call = blocking_call(mode, host, port)
    first = outcome(call)
    at = time.monotonic()
    following = outcome(lambda: socket.socket().close())
    print(json.dumps({"first": first, "at": at, "next": following}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

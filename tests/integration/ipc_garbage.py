"""A hostile IPC client: connects to tapstackd's socket and sends the message named on the
command line, then reports whether the daemon closed the connection (it must, and only it)."""

from __future__ import annotations

import json
import socket
import struct
import sys

MAGIC = 0x54535031


def message(kind: str) -> bytes:
    if kind == "garbage":
        return b"\x00garbage that is no message at all" * 3
    if kind == "bad_length":  # a hello whose header claims more payload than the packet has
        return struct.pack(">IHHIII", MAGIC, 1, 1, 0, 1, 60000) + struct.pack(">HH", 1, 1)
    if kind == "bad_version":
        return struct.pack(">IHHIII", MAGIC, 99, 1, 0, 1, 4) + struct.pack(">HH", 99, 99)
    raise SystemExit(f"unknown kind {kind}")


def main() -> int:
    path, kind = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.settimeout(5)
    sock.connect(path)
    sock.send(message(kind))
    try:
        closed = sock.recv(65536) == b""
    except ConnectionResetError:
        closed = True
    print(json.dumps({"closed": closed}))
    return 0 if closed else 1


if __name__ == "__main__":
    sys.exit(main())

"""A client speaking ipc/PROTOCOL.md by hand, without libtapstack: for tests that forge what a
well-behaved client never sends (other clients' socket ids, stolen or foreign fds).

Run as a script it is the thief of test_clients: it receives a victim's data-channel fd over
an inherited Unix socket (SCM_RIGHTS), opens its own control connection, tries the victim's
sockets with it and prints what it got as one JSON object.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import struct
import sys

MAGIC = 0x54535031
HEADER = struct.Struct(">IHHIII")  # magic, version, type, flags, request_id, length
HAS_FD = 1
REPLY = 0x8000
EVENT = 0x8001

HELLO, SOCKET, BIND, LISTEN, CONNECT, SHUTDOWN, CLOSE = 1, 2, 3, 4, 5, 6, 7
GETSOCKNAME, GET_ERROR, ADMIN = 10, 12, 14
TCP, UDP = 1, 2


class Closed(Exception):
    """The daemon closed this client's control connection."""


class RawClient:
    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.next_request = 1

    def close(self) -> None:
        self.sock.close()

    def send(self, kind: int, payload: bytes, fd: int | None = None) -> int:
        request_id = self.next_request
        self.next_request += 1
        header = HEADER.pack(MAGIC, 1, kind, HAS_FD if fd is not None else 0, request_id,
                             len(payload))
        if fd is None:
            self.sock.send(header + payload)
        else:
            socket.send_fds(self.sock, [header + payload], [fd])
        return request_id

    def request(self, kind: int, payload: bytes, fd: int | None = None
                ) -> tuple[int, bytes, int | None]:
        """Sends one request; returns (errno, body, fd) of its reply. Events are skipped.
        Raises Closed when the daemon ends the connection instead of answering."""
        request_id = self.send(kind, payload, fd)
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, 65536, 1)
            except ConnectionResetError as error:
                raise Closed() from error
            if not data:
                raise Closed()
            _, _, kind_back, _, echoed, _ = HEADER.unpack_from(data)
            if kind_back == EVENT:
                continue
            if kind_back != REPLY or echoed != request_id:
                raise AssertionError(f"unexpected message type {kind_back:#x} id {echoed}")
            _, _, error = struct.unpack_from(">HHI", data, HEADER.size)
            return error, data[HEADER.size + 8:], (fds[0] if fds else None)

    def hello(self) -> int:
        error, body, _ = self.request(HELLO, struct.pack(">HH", 1, 1))
        if error:
            raise AssertionError(f"hello refused: {errno.errorcode.get(error, error)}")
        return struct.unpack_from(">HHI", body)[2]  # max_sockets

    def socket(self, kind: int = TCP) -> tuple[int, int, int | None]:
        """(errno, socket_id, fd)."""
        error, body, fd = self.request(SOCKET, struct.pack(">B3x", kind))
        return error, (struct.unpack_from(">I", body)[0] if not error else 0), fd

    def on_socket(self, kind: int, socket_id: int, fd: int | None, rest: bytes = b"") -> int:
        """A request naming a socket: its errno."""
        return self.request(kind, struct.pack(">I", socket_id) + rest, fd)[0]

    def bind(self, socket_id: int, fd: int, address: str, port: int) -> int:
        return self.on_socket(BIND, socket_id, fd, socket.inet_aton(address) +
                              struct.pack(">HH", port, 0))

    def listen(self, socket_id: int, fd: int, backlog: int = 8) -> int:
        return self.on_socket(LISTEN, socket_id, fd, struct.pack(">I", backlog))

    def connect(self, socket_id: int, fd: int, address: str, port: int) -> int:
        return self.on_socket(CONNECT, socket_id, fd, socket.inet_aton(address) +
                              struct.pack(">HH", port, 0))

    def getsockname(self, socket_id: int, fd: int | None) -> int:
        return self.on_socket(GETSOCKNAME, socket_id, fd)

    def get_error(self, socket_id: int, fd: int | None) -> int:
        return self.on_socket(GET_ERROR, socket_id, fd)

    def close_socket(self, socket_id: int, fd: int | None) -> int:
        return self.on_socket(CLOSE, socket_id, fd, bytes(4))

    def admin(self, command: str, offset: int = 0) -> tuple[int, bytes]:
        text = command.encode()
        error, body, _ = self.request(ADMIN, struct.pack(">IHH", offset, len(text), 0) + text)
        return error, body


def thief(path: str, victim_id: int, other_id: int, victim_command: str, carrier_fd: int) -> dict:
    """What a process holding one stolen data-channel fd of another client can do."""
    carrier = socket.socket(fileno=carrier_fd)
    _, fds, _, _ = socket.recv_fds(carrier, 16, 1)
    stolen = fds[0]
    client = RawClient(path)
    client.hello()
    _, pipe_w = os.pipe()
    outcome = {
        # Holding the fd is the capability (as with a kernel socket passed over SCM_RIGHTS).
        "own_stolen": client.getsockname(victim_id, stolen),
        "by_fd_alone": client.getsockname(0, stolen),
        # It names nothing else: the victim's other socket, even with the stolen fd.
        "other_with_stolen": client.get_error(other_id, stolen),
        "close_other_with_stolen": client.close_socket(other_id, stolen),
        "other_with_pipe": client.get_error(other_id, pipe_w),
        # The victim's control state (its admin answer) is its connection's, not the fd's.
        "victim_admin_continuation": client.admin(victim_command, offset=10)[0],
    }
    # The bytes waiting in the victim's socket are the fd's: whoever holds it reads them.
    os.set_blocking(stolen, True)
    outcome["read"] = os.read(stolen, 64).decode(errors="replace")
    return outcome


def main() -> int:
    if len(sys.argv) != 7 or sys.argv[1] != "thief":
        print("usage: ipc_raw.py thief SOCKET VICTIM_ID OTHER_ID COMMAND CARRIER_FD",
              file=sys.stderr)
        return 2
    result = thief(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
                   int(sys.argv[6]))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

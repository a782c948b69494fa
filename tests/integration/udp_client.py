"""UDP socket checks run under tapstack-run, inside the test's namespace, against a kernel-side
echo server (every datagram back to its source). Prints one JSON object {check: "ok" | failure
text}; exits 0 when every check passed.

  udp_client.py HOST ECHO_PORT CLOSED_PORT COUNT
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import random
import select
import socket
import struct
import sys
import termios

STACK_ADDRESS = "10.0.0.2"


def exchange(sock: socket.socket, payload: bytes, server: tuple[str, int]) -> int:
    """Sends until the echo comes back (at most 3 tries); returns the retries it took."""
    for attempt in range(3):
        sock.sendto(payload, server)
        try:
            data, source = sock.recvfrom(65535)
        except socket.timeout:
            continue
        assert source == server, f"reply from {source}"
        assert data == payload, f"{len(payload)}-byte datagram came back as {len(data)} bytes"
        return attempt
    raise AssertionError(f"no echo of a {len(payload)}-byte datagram after 3 tries")


def check_random_sizes(host: str, port: int, count: int) -> None:
    rng = random.Random(4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        retries = sum(exchange(sock, rng.randbytes(rng.randint(0, 8000)), (host, port))
                      for _ in range(count))
        # Nothing is lost on this path; a retry means a datagram went missing.
        assert retries == 0, f"{retries} datagrams needed a retry"


def check_names_and_type(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_DGRAM
        assert sock.getsockname() == ("0.0.0.0", 0), sock.getsockname()
        sock.connect((host, port))
        local = sock.getsockname()
        assert local[0] == STACK_ADDRESS and 32768 <= local[1] <= 60999, local
        assert sock.getpeername() == (host, port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.getpeername()
            raise AssertionError("getpeername on an unconnected socket worked")
        except OSError as error:
            assert error.errno == errno.ENOTCONN, error


def check_truncation_fionread_and_empty(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.connect((host, port))
        sock.send(b"x" * 100)
        assert select.select([sock], [], [], 5)[0], "no echo"
        pending = struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD, b"\0" * 4))[0]
        assert pending == 100, f"FIONREAD {pending}"
        assert sock.recv(10) == b"x" * 10  # the rest of the datagram is discarded
        sock.send(b"y" * 50)
        buffer = bytearray(10)
        n = sock.recv_into(buffer, 10, socket.MSG_TRUNC)
        assert n == 50, f"MSG_TRUNC gave {n}"
        sock.send(b"")
        assert sock.recv(100) == b"", "zero-length datagram"
        sock.send(b"after")
        assert sock.recv(100) == b"after"


def check_largest_and_too_large(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        exchange(sock, os.urandom(65507), (host, port))  # 45 fragments each way
        try:
            sock.sendto(b"z" * 65508, (host, port))
            raise AssertionError("a 65508-byte datagram was sent")
        except OSError as error:
            assert error.errno == errno.EMSGSIZE, error


def check_connected_refused(host: str, closed_port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.connect((host, closed_port))
        sock.send(b"anyone?")
        try:
            sock.recv(100)
            raise AssertionError("recv returned data from a closed port")
        except ConnectionRefusedError:
            pass
        except socket.timeout:
            raise AssertionError("no ECONNREFUSED within 5 s") from None


def check_unconnected_not_refused(host: str, closed_port: int) -> None:
    # udp(7): without connect, ICMP errors are not reported to the socket.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"anyone?", (host, closed_port))
        assert not select.select([sock], [], [], 0.5)[0], "an unconnected socket got an error"


def main() -> int:
    host, port, closed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    checks = {
        "random_sizes": lambda: check_random_sizes(host, port, count),
        "names_and_type": lambda: check_names_and_type(host, port),
        "truncation_fionread_and_empty": lambda: check_truncation_fionread_and_empty(host, port),
        "largest_and_too_large": lambda: check_largest_and_too_large(host, port),
        "connected_refused": lambda: check_connected_refused(host, closed),
        "unconnected_not_refused": lambda: check_unconnected_not_refused(host, closed),
    }
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # noqa: BLE001 - every failure is reported by name
            results[name] = f"{type(error).__name__}: {error}"
    print(json.dumps(results))
    return 0 if all(v == "ok" for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

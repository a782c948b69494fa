"""Socket API checks run under tapstack-run (the LD_PRELOAD shim), inside the test's namespace.
Each check compares what the program sees with what the kernel's own stack would give. Prints
one JSON object {check: "ok" | failure text}; exits 0 when every check passed.

  shim_client.py HOST OPEN_PORT CLOSED_PORT
HOST:OPEN_PORT is a kernel-side server that answers each line with the same line (echo);
CLOSED_PORT has no listener, so the kernel answers SYNs with RST.
"""

from __future__ import annotations

import errno
import json
import select
import socket
import struct
import sys


def check_blocking_connect_and_echo(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=10) as sock:
        local, peer = sock.getsockname(), sock.getpeername()
        assert peer == (host, port), peer
        assert local[0] == "10.0.0.2", f"local address {local} is not the stack's"
        sock.sendall(b"hello shim\n")
        assert sock.recv(100) == b"hello shim\n"


def check_refused_blocking() -> None:
    try:
        socket.create_connection((HOST, CLOSED), timeout=10)
    except ConnectionRefusedError:
        return
    raise AssertionError("connect to a closed port did not fail with ECONNREFUSED")


def check_refused_nonblocking() -> None:
    sock = socket.socket()
    sock.setblocking(False)
    result = sock.connect_ex((HOST, CLOSED))
    assert result == errno.EINPROGRESS, errno.errorcode.get(result, result)
    _, writable, _ = select.select([], [sock], [], 10)
    assert writable == [sock], "no POLLOUT after the handshake failed"
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    assert error == errno.ECONNREFUSED, errno.errorcode.get(error, error)
    sock.close()


def check_nonblocking_connect_completes() -> None:
    sock = socket.socket()
    sock.setblocking(False)
    assert sock.connect_ex((HOST, OPEN)) == errno.EINPROGRESS
    _, writable, _ = select.select([], [sock], [], 10)
    assert writable == [sock]
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    sock.setblocking(True)
    sock.sendall(b"after connect\n")
    assert sock.recv(100) == b"after connect\n"
    sock.close()


def check_options() -> None:
    with socket.create_connection((HOST, OPEN), timeout=10) as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        state = struct.unpack_from("B", info)[0]
        assert state == 1, f"TCP_INFO state {state}, expected 1 (ESTABLISHED)"
        mss = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
        assert 536 <= mss <= 1460, f"TCP_MAXSEG {mss} on a connection over an MTU of 1500"
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError as error:
            assert error.errno == errno.ENOPROTOOPT, error
        else:
            raise AssertionError("an unsupported option was accepted silently")


def check_listen_accept_loopback_through_stack() -> None:
    """A listener of ours, reached by a connection of ours: both ends on the stack."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", 7777))
    server.listen(8)
    assert server.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
    # Linux's default MSS while there is no connection (tcp(7)).
    assert server.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG) == 536
    assert server.getsockname() == ("0.0.0.0", 7777)
    client = socket.create_connection(("10.0.0.2", 7777), timeout=10)
    readable, _, _ = select.select([server], [], [], 10)
    assert readable == [server], "a pending connection did not make the listener readable"
    conn, peer = server.accept()
    assert peer == client.getsockname(), (peer, client.getsockname())
    client.sendall(b"x" * 100000)
    client.shutdown(socket.SHUT_WR)
    received = b""
    while chunk := conn.recv(65536):
        received += chunk
    assert received == b"x" * 100000, len(received)
    for s in (conn, client, server):
        s.close()


HOST, OPEN, CLOSED = "", 0, 0


def main() -> int:
    global HOST, OPEN, CLOSED
    HOST, OPEN, CLOSED = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    checks = {
        "blocking_connect_and_echo": lambda: check_blocking_connect_and_echo(HOST, OPEN),
        "refused_blocking": check_refused_blocking,
        "refused_nonblocking": check_refused_nonblocking,
        "nonblocking_connect_completes": check_nonblocking_connect_completes,
        "options": check_options,
        "listen_accept_through_stack": check_listen_accept_loopback_through_stack,
    }
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # report every check, not only the first failure
            results[name] = f"{type(error).__name__}: {error}"
    print(json.dumps(results))
    return 0 if all(v == "ok" for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

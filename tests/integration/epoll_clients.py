"""Run under tapstack-run: N non-blocking connections at once to an echo server, driven by
`selectors` (epoll). Each connection sends its own message and must get it back. Prints a JSON
summary; exits 0 when every connection succeeded within the time limit."""

from __future__ import annotations

import errno
import json
import selectors
import socket
import sys
import time


def main() -> int:
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    selector = selectors.DefaultSelector()
    assert type(selector).__name__ == "EpollSelector", type(selector).__name__
    pending: dict[socket.socket, bytes] = {}
    received: dict[socket.socket, bytearray] = {}
    connecting = set()
    for i in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        assert sock.connect_ex((host, port)) == errno.EINPROGRESS
        pending[sock] = f"connection {i}\n".encode() * 50
        received[sock] = bytearray()
        connecting.add(sock)
        selector.register(sock, selectors.EVENT_WRITE)
    done = failed = 0
    deadline = time.monotonic() + 30
    while done + failed < count and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            sock = key.fileobj
            if sock in connecting:
                connecting.discard(sock)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    failed += 1
                    selector.unregister(sock)
                    continue
                sock.sendall(pending[sock])
                selector.modify(sock, selectors.EVENT_READ)
                continue
            data = sock.recv(65536)
            received[sock] += data
            if not data or len(received[sock]) >= len(pending[sock]):
                selector.unregister(sock)
                if bytes(received[sock]) == pending[sock]:
                    done += 1
                else:
                    failed += 1
    for sock in pending:
        sock.close()
    print(json.dumps({"done": done, "failed": failed}))
    return 0 if done == count else 1


if __name__ == "__main__":
    sys.exit(main())

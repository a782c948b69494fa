"""The socket API's harder corners (issue 5), run once on the kernel's sockets and once under
tapstack-run by test_sockopts.py, against a kernel-side judge server that reports what the peer
saw. Prints one JSON object; both runs must print the same.

  api_edges.py HOST JUDGE_PORT ECHO_PORT

The judge (JUDGE in test_sockopts.py) reads a first line naming the case and answers on a second
connection-less channel: the client asks "report NAME" on a fresh connection and gets one line.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time


def judge_report(host: str, port: int, case: str) -> str:
    """What the judge saw of the last connection of `case` (it waits for that to end)."""
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(f"report {case}\n".encode())
        return s.makefile().readline().strip()


def case_unread_data_resets(host: str, port: int) -> dict:
    # RFC 9293 §3.10.4 / Linux: closing with received data unread sends RST, not FIN.
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"case unread\n")
    time.sleep(0.3)  # the judge's 1000 bytes arrive and stay unread
    s.close()
    return {"peer": judge_report(host, port, "unread")}


def case_linger_zero_resets(host: str, port: int) -> dict:
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"case linger\n")
    time.sleep(0.1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return {"peer": judge_report(host, port, "linger")}


def case_half_close(host: str, port: int) -> dict:
    # SHUT_WR: the peer reads our data then EOF, and may still answer.
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"case halfclose\nhello")
    s.shutdown(socket.SHUT_WR)
    answer = b""
    while chunk := s.recv(100):
        answer += chunk
    s.close()
    return {"answer": answer.decode(), "peer": judge_report(host, port, "halfclose")}


def case_peek_and_waitall(host: str, echo: int) -> dict:
    s = socket.create_connection((host, echo), timeout=10)
    s.settimeout(None)  # MSG_WAITALL waits only on a blocking socket
    s.sendall(b"abcdef")
    peeked = s.recv(3, socket.MSG_PEEK)
    first = s.recv(3)
    s.sendall(b"x" * 5000)  # arrives in several segments
    rest = s.recv(3 + 5000, socket.MSG_WAITALL)
    s.close()
    return {"peeked": peeked.decode(), "first": first.decode(), "waitall": len(rest)}


def case_dup_and_shut_read(host: str, echo: int) -> dict:
    s = socket.create_connection((host, echo), timeout=10)
    other = os.dup2(s.fileno(), 100)
    s.close()  # the dup keeps the socket
    d = socket.socket(fileno=other)
    d.settimeout(10)
    d.sendall(b"via dup")
    got = d.recv(100)
    d.shutdown(socket.SHUT_RD)
    after = d.recv(100)
    d.close()
    return {"dup": got.decode(), "after_shut_rd": after.decode()}


CHILD = """
import socket, sys
s = socket.socket(fileno=int(sys.argv[1]))
s.settimeout(10)
s.sendall(b"from the exec'd child")
print(s.recv(100).decode())
"""


def case_exec_and_fork(host: str, echo: int) -> dict:
    s = socket.create_connection((host, echo), timeout=10)
    child = subprocess.run([sys.executable, "-c", CHILD, str(s.fileno())],
                           pass_fds=(s.fileno(),), capture_output=True, text=True, timeout=20)
    pid = os.fork()
    if pid == 0:
        s.sendall(b"from the fork")
        os._exit(0 if s.recv(100) == b"from the fork" else 1)
    _, status = os.waitpid(pid, 0)
    s.sendall(b"parent still")
    parent = s.recv(100).decode()
    s.close()
    return {"exec": child.stdout.strip(), "fork_ok": os.waitstatus_to_exitcode(status) == 0,
            "parent": parent}


def case_threads(host: str, echo: int) -> dict:
    results = []

    def worker(n: int) -> None:
        with socket.create_connection((host, echo), timeout=20) as c:
            ok = 0
            for i in range(50):
                message = f"{n}:{i};".encode()
                c.sendall(message)
                got = b""
                while len(got) < len(message):
                    got += c.recv(len(message) - len(got))
                ok += got == message
            results.append(ok)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"threads": len(results), "echoed": sum(results)}


def main() -> int:
    host, judge, echo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cases = {
        "unread_data_resets": lambda: case_unread_data_resets(host, judge),
        "linger_zero_resets": lambda: case_linger_zero_resets(host, judge),
        "half_close": lambda: case_half_close(host, judge),
        "peek_and_waitall": lambda: case_peek_and_waitall(host, echo),
        "dup_and_shut_read": lambda: case_dup_and_shut_read(host, echo),
        "exec_and_fork": lambda: case_exec_and_fork(host, echo),
        "threads": lambda: case_threads(host, echo),
    }
    results = {}
    for name, case in cases.items():
        try:
            results[name] = case()
        except Exception as error:  # noqa: BLE001 - reported per case, compared by the test
            results[name] = f"{type(error).__name__}: {error}"
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

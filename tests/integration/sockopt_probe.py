"""Sets and gets socket options on TCP and UDP sockets (fresh, bound, listening, connected to an
echo server at argv[1]:argv[2]) and prints the results as JSON: each key names a socket state,
an option and a case; each value is the option's value or the errno name. Run once on the
kernel's sockets and once under tapstack-run, the two outputs are compared by test_sockopts.py
(a differential test, issue 5). Values that may rightly differ are recorded by their rule:
SO_RCVBUF/SO_SNDBUF as "doubled" (socket(7): the kernel doubles the request), TCP_INFO as the
sanity of its fields."""

from __future__ import annotations

import errno
import json
import select
import socket
import struct
import sys
import time

INT_OPTIONS = [
    ("SO_REUSEADDR", socket.SOL_SOCKET, socket.SO_REUSEADDR, [1, 0]),
    ("SO_REUSEPORT", socket.SOL_SOCKET, socket.SO_REUSEPORT, [1, 0]),
    ("SO_KEEPALIVE", socket.SOL_SOCKET, socket.SO_KEEPALIVE, [1, 0]),
    ("SO_RCVLOWAT", socket.SOL_SOCKET, socket.SO_RCVLOWAT, [100, 0, 1]),
    ("TCP_NODELAY", socket.IPPROTO_TCP, socket.TCP_NODELAY, [1, 0]),
    ("TCP_CORK", socket.IPPROTO_TCP, socket.TCP_CORK, [1, 0]),
    # tcp(7): 1..32767 seconds for the keepalive times, 1..127 probes.
    ("TCP_KEEPIDLE", socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, [60, 32767, 0, 32768, -5]),
    ("TCP_KEEPINTVL", socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, [10, 0, 32768]),
    ("TCP_KEEPCNT", socket.IPPROTO_TCP, socket.TCP_KEEPCNT, [5, 127, 0, 128]),
    ("TCP_USER_TIMEOUT", socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, [5000, 0, -1]),
]
GET_ONLY = [
    ("SO_ERROR", socket.SOL_SOCKET, socket.SO_ERROR),
    ("SO_TYPE", socket.SOL_SOCKET, socket.SO_TYPE),
    ("SO_DOMAIN", socket.SOL_SOCKET, socket.SO_DOMAIN),
    ("SO_ACCEPTCONN", socket.SOL_SOCKET, socket.SO_ACCEPTCONN),
]
BUFFERS = [("SO_RCVBUF", socket.SO_RCVBUF), ("SO_SNDBUF", socket.SO_SNDBUF)]
# An option Linux does not have at this level on any socket: both must say ENOPROTOOPT.
UNSUPPORTED = [("SOL_SOCKET_999", socket.SOL_SOCKET, 999), ("TCP_999", socket.IPPROTO_TCP, 999)]


def errno_name(error: OSError) -> str:
    return errno.errorcode.get(error.errno or 0, str(error.errno))


def attempt(action) -> object:
    try:
        return action()
    except OSError as error:
        return errno_name(error)


def set_int(sock: socket.socket, level: int, name: int, value: int) -> object:
    return attempt(lambda: sock.setsockopt(level, name, struct.pack("i", value)) or "ok")


def get_int(sock: socket.socket, level: int, name: int) -> object:
    return attempt(lambda: sock.getsockopt(level, name))


def probe_ints(sock: socket.socket, out: dict[str, object]) -> None:
    for label, level, name, values in INT_OPTIONS:
        out[f"{label}.default"] = get_int(sock, level, name)
        for value in values:
            out[f"{label}.set({value})"] = set_int(sock, level, name, value)
            out[f"{label}.after({value})"] = get_int(sock, level, name)
        # socket(7)/tcp(7): an int option shorter than an int is EINVAL.
        out[f"{label}.set(short)"] = attempt(lambda: sock.setsockopt(level, name, b"\x01\x00")
                                             or "ok")
        # getsockopt truncates a short buffer rather than failing.
        out[f"{label}.get(2 bytes)"] = attempt(lambda: sock.getsockopt(level, name, 2).hex())
    for label, level, name in GET_ONLY:
        out[f"{label}.get"] = get_int(sock, level, name)
        out[f"{label}.get(2 bytes)"] = attempt(lambda: sock.getsockopt(level, name, 2).hex())
        out[f"{label}.set(1)"] = set_int(sock, level, name, 1)
    for label, level, name in UNSUPPORTED:
        out[f"{label}.get"] = get_int(sock, level, name)
        out[f"{label}.set(1)"] = set_int(sock, level, name, 1)


def probe_buffers(sock: socket.socket, out: dict[str, object]) -> None:
    for label, name in BUFFERS:
        default = get_int(sock, socket.SOL_SOCKET, name)
        out[f"{label}.default positive"] = isinstance(default, int) and default > 0
        for request in (65536, 16384):
            out[f"{label}.set({request})"] = set_int(sock, socket.SOL_SOCKET, name, request)
            got = get_int(sock, socket.SOL_SOCKET, name)
            out[f"{label}.after({request}) doubled"] = got == 2 * request
        out[f"{label}.set(short)"] = attempt(
            lambda: sock.setsockopt(socket.SOL_SOCKET, name, b"\x01") or "ok")


def probe_linger(sock: socket.socket, out: dict[str, object]) -> None:
    level, name = socket.SOL_SOCKET, socket.SO_LINGER
    out["SO_LINGER.default"] = attempt(lambda: list(struct.unpack("ii", sock.getsockopt(
        level, name, 8))))
    for onoff, seconds in ((1, 5), (1, 0), (0, 0)):
        out[f"SO_LINGER.set({onoff},{seconds})"] = attempt(
            lambda: sock.setsockopt(level, name, struct.pack("ii", onoff, seconds)) or "ok")
        out[f"SO_LINGER.after({onoff},{seconds})"] = attempt(
            lambda: list(struct.unpack("ii", sock.getsockopt(level, name, 8))))
    out["SO_LINGER.set(int)"] = attempt(lambda: sock.setsockopt(level, name, 1) or "ok")


def probe_congestion(sock: socket.socket, out: dict[str, object]) -> None:
    level, name = socket.IPPROTO_TCP, socket.TCP_CONGESTION

    def get() -> object:
        return attempt(lambda: sock.getsockopt(level, name, 16).rstrip(b"\0").decode())
    for algorithm in (b"reno", b"cubic", b"no-such-cc"):
        label = algorithm.decode()
        out[f"TCP_CONGESTION.set({label})"] = attempt(
            lambda: sock.setsockopt(level, name, algorithm) or "ok")
        out[f"TCP_CONGESTION.after({label})"] = get()


def probe_tcp_info(sock: socket.socket, out: dict[str, object], prefix: str) -> None:
    """tcp(7) struct tcp_info: state is byte 0, then u32 fields from byte 8 (rto, ato, snd_mss,
    ..., rtt at byte 68). Only the fields' sanity is compared, never their values."""
    info = attempt(lambda: sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104))
    if isinstance(info, str):
        out[f"{prefix}"] = info
        return
    out[f"{prefix}.length"] = len(info)
    out[f"{prefix}.state"] = info[0]
    snd_mss, = struct.unpack_from("I", info, 16)
    rtt, = struct.unpack_from("I", info, 68)
    out[f"{prefix}.snd_mss positive"] = snd_mss > 0
    out[f"{prefix}.rtt positive"] = rtt > 0


def probe_rcvlowat(sock: socket.socket, peer_echo: bytes, out: dict[str, object]) -> None:
    """socket(7) SO_RCVLOWAT: with 100 set and 10 bytes queued, a blocking recv waits for more
    (here until SO_RCVTIMEO, then returns what it has); poll reports readable only at 100."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 100)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 300_000))
    sock.sendall(peer_echo[:10])
    time.sleep(0.3)  # the echo is back and queued
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    out["SO_RCVLOWAT.poll(10 queued)"] = [revents for _, revents in poller.poll(0)]
    started = time.monotonic()
    first = attempt(lambda: len(sock.recv(1000)))
    out["SO_RCVLOWAT.recv(10 queued)"] = first
    out["SO_RCVLOWAT.recv waited"] = time.monotonic() - started >= 0.25
    sock.sendall(peer_echo[10:])
    time.sleep(0.3)
    out["SO_RCVLOWAT.poll(100 queued)"] = [revents for _, revents in poller.poll(0)]
    out["SO_RCVLOWAT.recv(100 queued)"] = attempt(lambda: len(sock.recv(1000)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)


def probe_tcp(host: str, port: int, out: dict[str, object]) -> None:
    states: dict[str, socket.socket] = {"fresh": socket.socket()}
    states["bound"] = socket.socket()
    states["bound"].bind(("", 0))
    states["listening"] = socket.socket()
    states["listening"].bind(("", 0))
    states["listening"].listen(4)
    states["connected"] = socket.create_connection((host, port), timeout=10)
    states["connected"].settimeout(None)
    connected = states["connected"]
    message = bytes(range(110))
    connected.sendall(message * 10)  # traffic, so TCP_INFO has an RTT sample
    received = b""
    while len(received) < len(message) * 10:
        received += connected.recv(65536)
    out["tcp.connected.echo"] = received == message * 10
    for state, sock in states.items():
        section: dict[str, object] = {}
        probe_ints(sock, section)
        probe_buffers(sock, section)
        probe_linger(sock, section)
        probe_congestion(sock, section)
        out.update({f"tcp.{state}.{key}": value for key, value in section.items()})
    probe_tcp_info(connected, out, "tcp.connected.TCP_INFO")
    probe_tcp_info(states["listening"], out, "tcp.listening.TCP_INFO")
    section = {}
    probe_rcvlowat(connected, message, section)
    out.update({f"tcp.connected.{key}": value for key, value in section.items()})
    for sock in states.values():
        sock.close()


def probe_udp(out: dict[str, object]) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    section: dict[str, object] = {}
    for label, level, name in GET_ONLY:
        section[f"{label}.get"] = get_int(sock, level, name)
    for label, name in (("SO_BROADCAST", socket.SO_BROADCAST),
                        ("SO_REUSEADDR", socket.SO_REUSEADDR)):
        section[f"{label}.default"] = get_int(sock, socket.SOL_SOCKET, name)
        section[f"{label}.set(1)"] = set_int(sock, socket.SOL_SOCKET, name, 1)
        section[f"{label}.after(1)"] = get_int(sock, socket.SOL_SOCKET, name)
    probe_buffers(sock, section)
    # ip(7): TCP-level options on a UDP socket are ENOPROTOOPT.
    section["TCP_NODELAY.set(1)"] = set_int(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    section["TCP_NODELAY.get"] = get_int(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY)
    out.update({f"udp.fresh.{key}": value for key, value in section.items()})
    sock.close()


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    out: dict[str, object] = {}
    probe_tcp(host, port, out)
    probe_udp(out)
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

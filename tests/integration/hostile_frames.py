"""Hostile frames against tapstackd, for test_hostile.py (issue 8).

Runs INSIDE the test's network namespace (`ip netns exec NS /usr/bin/python3 hostile_frames.py
CASE ...`) and prints one JSON object: how many frames it sent and what it saw the stack send
back ("replies": frames from the stack matching the case, e.g. RSTs or echo replies).

Frames are built with scapy and written through one AF_PACKET socket bound to the kernel side of
the TAP device, so the daemon receives them exactly as built. The socket is opened before anything
is sent, so replies cannot slip past it.

Cases that need a TCP peer the kernel knows nothing about use a spoofed neighbour, PEER_IP: the
stack learns its MAC (ours) from an ARP request, and the kernel, which does not own PEER_IP and
does not forward, ignores the stack's answers instead of resetting them. The RFC 5961 case uses a
real kernel connection instead and learns its sequence numbers from the captured frames.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import struct
import sys
import time
from pathlib import Path

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_RR, IPOption_Timestamp
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

sys.path.insert(0, str(Path(__file__).resolve().parent))
import craft_frames  # noqa: E402  (runt frames take craft_frames' TUN + tc mirred path)

ETH_P_ALL = 0x0003
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; root may exceed rmem_max
PACKET_OUTGOING = 4
PEER_IP = "10.0.0.77"  # a spoofed on-link peer nobody else answers for
SPOOF_MAC = "02:66:66:66:66:66"
EXPERIMENTAL_ETHERTYPE = 0x88B5  # IEEE 802 local experimental ethertype
HTTP_PORT = 80
ECHO_PORT = 7
CLOSED_PORT = 1
FLAGS = {"syn_fin": "SF", "null": "", "xmas": "FPU"}


def interface_mac(interface: str) -> str:
    return Path(f"/sys/class/net/{interface}/address").read_text().strip()


class Link:
    """The AF_PACKET socket on the kernel side of the TAP: send frames, read the stack's."""

    def __init__(self, interface: str, stack_mac: str, stack_ip: str, host_ip: str) -> None:
        self.interface = interface
        self.stack_mac = stack_mac
        self.stack_ip = stack_ip
        self.host_ip = host_ip
        self.host_mac = interface_mac(interface)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((interface, 0))
        # The background transfer shares the link: room for its frames between our reads.
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        self.host_ip_bytes = socket.inet_aton(host_ip)
        self.sent = 0

    def ether(self) -> Ether:
        return Ether(dst=self.stack_mac, src=self.host_mac)

    def ip(self, src: str | None = None, **fields) -> IP:
        return IP(src=src or self.host_ip, dst=self.stack_ip, **fields)

    def send(self, frame) -> None:
        self.sock.send(bytes(frame))
        self.sent += 1

    def send_all(self, frames: list, pace_per_s: int = 0) -> None:
        start = time.monotonic()
        for i, frame in enumerate(frames):
            if pace_per_s and i > (time.monotonic() - start) * pace_per_s:
                time.sleep(max(0.0, i / pace_per_s - (time.monotonic() - start)))
            self.send(frame)

    def received(self, seconds: float, keep, until=None) -> list:
        """Frames from the stack during `seconds` (or until `until(frames)`) passing `keep`."""
        frames = []
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self.sock.settimeout(remaining)
            try:
                data, address = self.sock.recvfrom(65535)
            except TimeoutError:
                break
            if address[2] == PACKET_OUTGOING or self.is_transfer_data(data):
                continue
            packet = Ether(data)
            self.answer_arp_for_peer(packet)
            if keep(packet):
                frames.append(packet)
                if until is not None and until(frames):
                    break
        return frames

    def is_transfer_data(self, frame: bytes) -> bool:
        """A data segment of the test's background HTTP transfer (no case looks for those):
        skipped before scapy parses it, which is slow enough to fall behind the transfer."""
        return (len(frame) > 200 and frame[12:14] == b"\x08\x00" and frame[23] == 6
                and frame[30:34] == self.host_ip_bytes
                and frame[14 + (frame[14] & 0x0F) * 4:][:2] == HTTP_PORT.to_bytes(2, "big"))

    def answer_arp_for_peer(self, packet) -> None:
        """Plays PEER_IP's part in ARP: the stack re-resolves it (RFC 1122 §2.3.2.1)."""
        if ARP in packet and packet[ARP].op == 1 and packet[ARP].pdst == PEER_IP:
            self.send(Ether(dst=packet[ARP].hwsrc, src=self.host_mac)
                      / ARP(op=2, hwsrc=self.host_mac, psrc=PEER_IP, hwdst=packet[ARP].hwsrc,
                            pdst=packet[ARP].psrc))

    def teach_peer(self) -> None:
        """An ARP request from PEER_IP for the stack: it answers and learns PEER_IP -> our MAC."""
        for _ in range(3):  # RFC 1122 §2.3.2.1: ARP requests may be lost; retry like a host
            self.send(Ether(dst="ff:ff:ff:ff:ff:ff", src=self.host_mac)
                      / ARP(op=1, hwsrc=self.host_mac, psrc=PEER_IP, pdst=self.stack_ip))
            if self.received(1.0, lambda p: ARP in p and p[ARP].op == 2
                             and p[ARP].pdst == PEER_IP, until=lambda f: True):
                return
        raise SystemExit("the stack did not answer the ARP requests from the spoofed peer")


def tcp_from(packet, src: str, sport: int) -> bool:
    return (TCP in packet and IP in packet and packet[IP].src == src
            and packet[TCP].sport == sport)


# ---- stateless frames: header errors at each layer ------------------------------------------

def header_frames(link: Link, case: str, count: int) -> list:
    """`count` frames of one malformed kind (see the test for the counter each must raise)."""
    e, ip = link.ether, link.ip
    echo = ICMP(type=8, id=0x6873, seq=1) / Raw(b"hostile")
    builders = {
        "eth_unknown_ethertype": lambda i: Ether(dst=link.stack_mac, src=link.host_mac,
                                                 type=EXPERIMENTAL_ETHERTYPE) / Raw(bytes(46)),
        "eth_vlan_tagged": lambda i: e() / Dot1Q(vlan=5) / ip(id=i) / echo,
        "arp_truncated": lambda i: bytes(e() / ARP(op=1, psrc=link.host_ip,
                                                   pdst=link.stack_ip))[:14 + 20],
        # Hardware and protocol addresses of 16 bytes each: no Ethernet/IPv4 ARP (RFC 826).
        "arp_oversized_addresses": lambda i: Ether(dst=link.stack_mac, src=link.host_mac,
                                                   type=0x0806)
        / Raw(struct.pack("!HHBBH", 1, 0x0800, 16, 16, 1) + bytes(64)),
        "ipv4_truncated": lambda i: bytes(e() / ip(id=i) / echo)[:14 + 16],
        "ipv4_ihl_beyond_packet": lambda i: bytes(e() / ip(id=i, ihl=15) / echo)[:14 + 40],
        "ipv4_ihl_below_minimum": lambda i: e() / ip(id=i, ihl=3) / echo,
        "ipv4_total_length_below_header": lambda i: e() / ip(id=i, len=12) / echo,
        "icmp_truncated": lambda i: e() / ip(id=i, proto=1) / Raw(b"\x08\x00\xf7"),
        "icmp_unknown_type": lambda i: e() / ip(id=i) / ICMP(type=42, code=0) / Raw(b"x" * 8),
        "udp_truncated": lambda i: e() / ip(id=i, proto=17) / Raw(b"\x30\x39\x00\x07"),
        "udp_length_beyond_datagram": lambda i: e() / ip(id=i) / UDP(sport=12345, dport=7,
                                                                   len=400) / Raw(b"x" * 16),
        "udp_length_below_header": lambda i: e() / ip(id=i) / UDP(sport=12345, dport=7,
                                                                len=4) / Raw(b"x" * 16),
        "tcp_truncated": lambda i: e() / ip(id=i, proto=6) / Raw(b"\x30\x39\x00\x50" + bytes(8)),
        "tcp_data_offset_beyond_segment": lambda i: e() / ip(id=i) / TCP(
            sport=40000 + i, dport=HTTP_PORT, flags="S", dataofs=15),
        "tcp_data_offset_below_minimum": lambda i: e() / ip(id=i) / TCP(
            sport=40000 + i, dport=HTTP_PORT, flags="S", dataofs=3),
        # Options ride in the first payload bytes under a data offset that covers them.
        "tcp_option_length_zero": lambda i: e() / ip(id=i) / TCP(
            sport=40000 + i, dport=HTTP_PORT, flags="S", dataofs=6) / Raw(b"\x02\x00\x05\xb4"),
        "tcp_option_beyond_header": lambda i: e() / ip(id=i) / TCP(
            sport=40000 + i, dport=HTTP_PORT, flags="S", dataofs=6) / Raw(b"\x01\x01\x08\x0a"),
    }
    build = builders[case]
    return [build(i) for i in range(count)]


def ip_option_frames(link: Link, case: str, count: int) -> list:
    """Echo requests carrying IP options. RFC 1122 §3.2.1.8: options the stack does not
    implement are ignored; the bad-length kinds are malformed (RFC 791 §3.1 option format)."""
    options = {
        "ip_option_record_route": [IPOption_RR(routers=["0.0.0.0"] * 4)],
        "ip_option_timestamp": [IPOption_Timestamp(flg=0, timestamp=[0, 0, 0])],
        # Record route with length 0, and one whose length runs past the header.
        "ip_option_length_zero": Raw(b"\x07\x00\x04\x00"),
        "ip_option_length_beyond_header": Raw(b"\x44\x28\x05\x00"),
    }[case]
    frames = []
    for i in range(count):
        header = link.ip(id=0x1000 + i, options=options)
        frames.append(link.ether() / header / ICMP(type=8, id=0x6f70, seq=i) / Raw(b"options!"))
    return frames


def send_header_case(link: Link, case: str, count: int) -> dict:
    if case.startswith("ip_option"):
        link.send_all(ip_option_frames(link, case, count))
        replies = link.received(2.0, lambda p: ICMP in p and p[ICMP].type == 0
                                and p[ICMP].id == 0x6F70, until=lambda f: len(f) >= count)
    elif case == "eth_runt":
        craft_frames.send_runts(link.interface, count)
        return {"sent": count, "replies": 0}
    else:
        link.send_all(header_frames(link, case, count))
        replies = link.received(1.0, lambda p: IP in p and p[IP].src == link.stack_ip
                                and TCP in p and p[TCP].flags.R)
    return {"sent": link.sent, "replies": len(replies)}


# ---- TCP flag combinations ------------------------------------------------------------------

def send_flag_case(link: Link, case: str, count: int) -> dict:
    """`case` is FLAGS-name + "_open" (port 80, listening) or "_closed" (port 1)."""
    name, _, which = case.rpartition("_")
    port = HTTP_PORT if which == "open" else CLOSED_PORT
    frames = [link.ether() / link.ip() / TCP(sport=30000 + i, dport=port, flags=FLAGS[name],
                                             seq=random.getrandbits(32))
              for i in range(count)]
    link.send_all(frames)
    ours = range(30000, 30000 + count)  # not the background transfer's segments
    replies = link.received(1.5, lambda p: IP in p and p[IP].src == link.stack_ip
                            and TCP in p and p[TCP].sport == port and p[TCP].dport in ours)
    return {"sent": link.sent, "replies": len(replies),
            "reply_flags": sorted({str(p[TCP].flags) for p in replies})}


# ---- fragments ------------------------------------------------------------------------------

def fragment(link: Link, ident: int, offset_bytes: int, more: bool, payload: bytes, proto: int,
             src: str | None = None):
    return (link.ether() / link.ip(src=src, id=ident, proto=proto, frag=offset_bytes // 8,
                                   flags="MF" if more else 0) / Raw(payload))


def send_fragment_case(link: Link, case: str, count: int) -> dict:
    # A 72-byte UDP datagram to a closed port, checksum 0 (none, RFC 768): whole, it would be
    # counted as udp_rx_no_port, which the teardrop test expects not to see.
    udp = bytes(UDP(sport=5000, dport=9999, len=8 + 64, chksum=0) / Raw(b"t" * 64))
    replies = []
    if case == "teardrop":
        # The classic: the last fragment starts inside the first (offset 24 < 48).
        for i in range(count):
            link.send(fragment(link, 0x7d00 + i, 0, True, udp[:48], 17))
            link.send(fragment(link, 0x7d00 + i, 24, False, udp[24:], 17))
    elif case == "tiny_first_fragment":
        # RFC 1858 §3: the first fragment carries 8 bytes (ports and sequence number only), so the
        # flags lie in the second. Reassembled, it is a SYN to port 80, answered by a SYN-ACK.
        link.teach_peer()
        for i in range(count):
            syn = bytes(link.ip(src=PEER_IP) / TCP(sport=20000 + i, dport=HTTP_PORT, flags="S",
                                                   seq=1000 + i))[20:]
            link.send(fragment(link, 0x7e00 + i, 0, True, syn[:8], 6, src=PEER_IP))
            link.send(fragment(link, 0x7e00 + i, 8, False, syn[8:], 6, src=PEER_IP))
        replies = link.received(2.0, lambda p: TCP in p and p[TCP].flags == "SA"
                                and p[IP].dst == PEER_IP, until=lambda f: len(f) >= count)
    elif case == "fragment_flood":
        # First fragments of datagrams that never complete, 1480 bytes each, distinct ids.
        chunk = bytes(1480)
        link.send_all([fragment(link, i & 0xFFFF, 0, True, chunk, 17) for i in range(count)],
                      pace_per_s=20000)
    elif case == "ping_of_death":
        # RFC 791 §3.1: fragments whose end lies beyond 65535 bytes.
        for i in range(count):
            link.send(fragment(link, 0x7f00 + i, 0, True, bytes(ICMP(type=8)) + bytes(1472), 1))
            link.send(fragment(link, 0x7f00 + i, 65528, False, bytes(64), 1))
    return {"sent": link.sent, "replies": len(replies)}


# ---- TCP connections driven frame by frame --------------------------------------------------

class Peer:
    """One TCP connection from PEER_IP to the stack, each segment built by hand."""

    def __init__(self, link: Link, sport: int, dport: int = HTTP_PORT) -> None:
        self.link, self.sport, self.dport = link, sport, dport
        self.snd_nxt = random.getrandbits(32)  # ours
        self.rcv_nxt = 0  # the stack's next sequence number
        self.data = bytearray()  # in-order bytes from the stack

    def segment(self, flags: str, seq: int | None = None, ack: int | None = None,
                window: int = 65535, options=None, payload: bytes = b""):
        tcp = TCP(sport=self.sport, dport=self.dport, flags=flags,
                  seq=self.snd_nxt if seq is None else seq % (1 << 32),
                  ack=self.rcv_nxt if ack is None else ack % (1 << 32),
                  window=window, options=options or [])
        return self.link.ether() / self.link.ip(src=PEER_IP) / tcp / Raw(payload)

    def from_stack(self, packet) -> bool:
        return (tcp_from(packet, self.link.stack_ip, self.dport) and packet[IP].dst == PEER_IP
                and packet[TCP].dport == self.sport)

    def connect(self, options, window: int) -> dict:
        self.link.send(self.segment("S", window=65535, options=options))
        answers = self.link.received(2.0, lambda p: self.from_stack(p) and p[TCP].flags == "SA",
                                     until=lambda f: True)
        if not answers:
            raise SystemExit("no SYN-ACK from the stack")
        self.snd_nxt += 1
        self.rcv_nxt = answers[0][TCP].seq + 1
        self.link.send(self.segment("A", window=window))
        return dict(answers[0][TCP].options)

    def send_data(self, payload: bytes, window: int) -> None:
        self.link.send(self.segment("PA", window=window, payload=payload))
        self.snd_nxt += len(payload)

    def receive(self, seconds: float, window: int, wanted: int) -> list:
        """Reads the stack's segments, ACKing in-order data, until `wanted` bytes or `seconds`."""
        segments = []
        deadline = time.monotonic() + seconds
        while len(self.data) < wanted and (left := deadline - time.monotonic()) > 0:
            for packet in self.link.received(min(left, 0.05), self.from_stack):
                segments.append(packet)
                payload = bytes(packet[TCP].payload)
                if payload and packet[TCP].seq == self.rcv_nxt % (1 << 32):
                    self.data += payload
                    self.rcv_nxt += len(payload)
                    self.link.send(self.segment("A", window=window))
        return segments

    def reset(self) -> None:
        self.link.send(self.segment("R", ack=0))


def http_get(size: int) -> bytes:
    return f"GET /bytes/{size} HTTP/1.0\r\nHost: hostile\r\n\r\n".encode()


def send_option_case(link: Link, count: int) -> dict:
    """Bad MSS (1: the stack's floor is 64), window scale 15 (RFC 7323 §2.3: used as 14) and a
    SACK-permitted of the wrong length (ignored; a good one follows) in the SYN; then, on the
    established connection, SACK blocks far outside the window, a SACK option whose length is
    no whole number of blocks, and one of length 1 (malformed, RFC 9293 §3.1)."""
    link.teach_peer()
    peer = Peer(link, 34000 + random.randrange(1000))
    offered = peer.connect([("MSS", 1), ("WScale", 15), (4, b"\x00"), ("SAckOK", b"")],
                           window=1)
    size = 3000
    peer.send_data(http_get(size), window=1)
    segments = peer.receive(3.0, window=1, wanted=size)
    body_ok = bytes(peer.data).endswith(bytes(i % 251 for i in range(size)))
    far = [(peer.rcv_nxt + (1 << 30) + edge) % (1 << 32) for edge in (0, 640)]
    for i in range(count):
        link.send(peer.segment("A", window=1, options=[("SAck", tuple(far))]))
        link.send(peer.segment("A", window=1, options=[(5, bytes(6))]))
    for i in range(count):
        # data offset 6: the payload's first 4 bytes are the options: SACK kind with length 1.
        frame = peer.segment("A", window=1, payload=b"\x05\x01\x01\x01")
        frame[TCP].dataofs = 6
        link.send(frame)
    peer.reset()
    sizes = [len(bytes(p[TCP].payload)) for p in segments]
    return {"sent": link.sent, "syn_ack_options": sorted(offered), "body_ok": body_ok,
            "received": len(peer.data), "max_segment": max(sizes, default=0)}


def send_zero_window_case(link: Link, count: int) -> dict:
    """The request arrives with a zero window: the stack may only probe (RFC 9293 §3.8.6.1),
    with backoff, until the window opens; then the response arrives whole."""
    link.teach_peer()
    peer = Peer(link, 36000 + random.randrange(1000))
    peer.connect([("MSS", 1460)], window=0)
    size = 20000
    peer.send_data(http_get(size), window=0)
    quiet = link.received(4.0, peer.from_stack)
    carrying_data = [p for p in quiet if len(bytes(p[TCP].payload)) > 1]
    for _ in range(count):  # a storm of zero-window ACKs changes nothing
        link.send(peer.segment("A", window=0))
    peer.link.send(peer.segment("A", window=65535))
    peer.receive(5.0, window=65535, wanted=size)
    body_ok = bytes(peer.data).endswith(bytes(i % 251 for i in range(size)))
    peer.reset()
    return {"sent": link.sent, "while_closed": len(quiet), "data_while_closed": len(carrying_data),
            "body_ok": body_ok, "received": len(peer.data)}


def send_ack_storm_case(link: Link, count: int) -> dict:
    """ACKs for data never sent (RFC 5961 §5.2), then pure ACKs far outside the window
    (RFC 9293 §3.10.7.4), `count` of each; reports how many segments the stack sent back."""
    link.teach_peer()
    peer = Peer(link, 38000 + random.randrange(1000))
    peer.connect([("MSS", 1460)], window=65535)
    unsent = [peer.segment("A", ack=peer.rcv_nxt + 100000) for _ in range(count)]
    outside = [peer.segment("A", seq=peer.snd_nxt + (1 << 30)) for _ in range(count)]
    start = time.monotonic()
    link.send_all(unsent, pace_per_s=10000)
    answers_unsent = link.received(1.0, peer.from_stack)
    middle = time.monotonic()
    link.send_all(outside, pace_per_s=10000)
    answers_outside = link.received(1.0, peer.from_stack)
    end = time.monotonic()
    # The connection still works: a request gets its response.
    size = 5000
    peer.send_data(http_get(size), window=65535)
    peer.receive(5.0, window=65535, wanted=size)
    body_ok = bytes(peer.data).endswith(bytes(i % 251 for i in range(size)))
    peer.reset()
    return {"sent": link.sent, "answers_unsent": len(answers_unsent),
            "answers_outside": len(answers_outside), "body_ok": body_ok,
            "seconds_unsent": round(middle - start, 2), "seconds_outside": round(end - middle, 2)}


# ---- RFC 5961 against a real kernel connection ----------------------------------------------

def send_blind_attack_case(link: Link, count: int) -> dict:
    """A kernel socket connects to the echo service; its sequence numbers are read off the wire.
    Then: RSTs far outside the window (dropped silently), RSTs in the window but not at RCV.NXT
    (challenge ACK, RFC 5961 §3.2) and SYNs (challenge ACK, §4.2). The connection must survive."""
    conn = socket.create_connection((link.stack_ip, ECHO_PORT), timeout=5)
    host_port = conn.getsockname()[1]
    conn.sendall(b"before")
    echoed = conn.recv(64)

    def from_stack(p) -> bool:
        return tcp_from(p, link.stack_ip, ECHO_PORT) and p[TCP].dport == host_port

    # The stack's ACK of a probe byte tells its RCV.NXT; a fresh capture sees it.
    conn.sendall(b"!")
    seen = link.received(2.0, lambda p: from_stack(p) and len(bytes(p[TCP].payload)) == 1,
                         until=lambda f: True)
    conn.recv(1)
    if not seen:
        raise SystemExit("did not see the stack echo the probe byte")
    rcv_nxt = seen[0][TCP].ack  # the stack's RCV.NXT
    stack_seq = seen[0][TCP].seq + 1

    def forged(flags: str, seq: int):
        return (link.ether() / link.ip() / TCP(sport=host_port, dport=ECHO_PORT, flags=flags,
                                                seq=seq % (1 << 32), ack=stack_seq, window=502))

    for _ in range(count):
        link.send(forged("R", rcv_nxt + (1 << 31) - 7))
    for i in range(count):
        link.send(forged("R", rcv_nxt + 1 + i))
    for i in range(count):
        link.send(forged("S", rcv_nxt + 100 + i))
    challenges = link.received(1.0, lambda p: from_stack(p) and p[TCP].flags == "A")
    conn.sendall(b"after")
    after = conn.recv(64)
    conn.close()
    return {"sent": link.sent, "before": echoed.decode(), "after": after.decode(),
            "challenge_acks_seen": len(challenges)}


# ---- floods ---------------------------------------------------------------------------------

def send_echo_flood(link: Link, count: int, seconds: float) -> dict:
    frames = [bytes(link.ether() / link.ip(id=i & 0xFFFF)
                    / ICMP(type=8, id=0x666C, seq=i & 0xFFFF) / Raw(b"flood" * 8))
              for i in range(count)]
    start = time.monotonic()
    link.send_all(frames, pace_per_s=int(count / seconds))
    elapsed = time.monotonic() - start
    replies = link.received(1.0, lambda p: ICMP in p and p[ICMP].type == 0
                            and p[ICMP].id == 0x666C)
    return {"sent": link.sent, "seconds": round(elapsed, 2), "replies_after_flood": len(replies)}


def send_gratuitous_arp(link: Link, count: int) -> dict:
    """Gratuitous ARP (request and reply forms, RFC 5227 §3) claiming the stack's own address
    for another MAC; the stack must keep its address and defend it (RFC 5227 §2.4 (b))."""
    for i in range(count):
        op = 1 if i % 2 == 0 else 2
        link.send(Ether(dst="ff:ff:ff:ff:ff:ff", src=SPOOF_MAC)
                  / ARP(op=op, hwsrc=SPOOF_MAC, psrc=link.stack_ip, hwdst="00:00:00:00:00:00",
                        pdst=link.stack_ip))
    defended = link.received(1.0, lambda p: ARP in p and p[ARP].psrc == link.stack_ip
                             and p[ARP].hwsrc == link.stack_mac)
    return {"sent": link.sent, "defences_seen": len(defended)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case")
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--interface", required=True)
    parser.add_argument("--stack-mac", required=True)
    parser.add_argument("--stack-ip", required=True)
    parser.add_argument("--host-ip", required=True)
    args = parser.parse_args()
    random.seed(args.case)
    link = Link(args.interface, args.stack_mac, args.stack_ip, args.host_ip)
    case, count = args.case, args.count
    if case == "tcp_options":
        result = send_option_case(link, count)
    elif case == "zero_window":
        result = send_zero_window_case(link, count)
    elif case == "ack_storm":
        result = send_ack_storm_case(link, count)
    elif case == "blind_attack":
        result = send_blind_attack_case(link, count)
    elif case == "echo_flood":
        result = send_echo_flood(link, count, args.seconds)
    elif case == "gratuitous_arp":
        result = send_gratuitous_arp(link, count)
    elif case in ("teardrop", "tiny_first_fragment", "fragment_flood", "ping_of_death"):
        result = send_fragment_case(link, case, count)
    elif case.endswith(("_open", "_closed")):
        result = send_flag_case(link, case, count)
    else:
        result = send_header_case(link, case, count)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

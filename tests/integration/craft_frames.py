"""Sends crafted, mostly malformed, frames to tapstackd over the kernel side of its TAP device.

Runs INSIDE the test's network namespace (`ip netns exec NS /usr/bin/python3 craft_frames.py ...`)
and prints one JSON object: {"sent": N, "unreachable": K}, K being the ICMP protocol-unreachable
messages seen for the `unknown_protocol` case (0 for the others).

Frames are built with scapy and written through one AF_PACKET socket bound to the TAP device, so
the kernel passes them to the daemon exactly as built (the TAP driver adds no padding). The socket
is opened before anything is sent, so replies cannot slip past it.

Linux refuses AF_PACKET frames shorter than an Ethernet header (dev_validate_header), so a runt
frame takes another way: it is written into a helper TUN device whose ingress is redirected by tc
mirred to the TAP device's egress, which hands it to the daemon unchanged.

Checks follow RFC 791 §3.1 (header fields), RFC 1122 §3.2.1.1-3.2.1.2 (silently discard bad
version, header length, total length, checksum), RFC 792 (ICMP checksum) and RFC 1122 §3.2.2.1
(protocol unreachable for an unknown protocol).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import socket
import struct
import subprocess
import time

from scapy.layers.inet import ICMP, IP, IPerror
from scapy.layers.l2 import Ether
from scapy.packet import Raw

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

ETH_HEADER = 14
IPV4_CHECKSUM_OFFSET = ETH_HEADER + 10
ICMP_CHECKSUM_OFFSET = ETH_HEADER + 20 + 2
EXPERIMENTAL_PROTOCOL = 253  # RFC 3692: for experimentation, never assigned
RUNT_DEVICE = "runt0"
RUNT_LENGTH = 10  # bytes: shorter than the 14-byte Ethernet header


def interface_mac(interface: str) -> str:
    with open(f"/sys/class/net/{interface}/address") as f:
        return f.read().strip()


class Crafter:
    def __init__(self, interface: str, stack_mac: str, host_ip: str, stack_ip: str) -> None:
        self.interface = interface
        self.stack_mac = stack_mac
        self.host_mac = interface_mac(interface)
        self.host_ip = host_ip
        self.stack_ip = stack_ip

    def ether(self) -> Ether:
        return Ether(dst=self.stack_mac, src=self.host_mac)

    def echo_request(self, seq: int, **ip_fields) -> bytearray:
        """A well-formed echo request frame; IP fields may be overridden."""
        packet = (
            self.ether()
            / IP(src=self.host_ip, dst=self.stack_ip, **ip_fields)
            / ICMP(type=8, id=0x7473, seq=seq)
            / Raw(b"tapstack-integration-test-frame!")
        )
        return bytearray(bytes(packet))

    def frame(self, case: str, seq: int) -> bytes:
        if case == "bad_ip_checksum":
            frame = self.echo_request(seq)
            frame[IPV4_CHECKSUM_OFFSET] ^= 0xFF
            return bytes(frame)
        if case == "bad_total_length":
            # Header checksum is valid for the lying length: only the length is wrong.
            return bytes(self.echo_request(seq, len=200))
        if case == "truncated_ip_header":
            return bytes(self.echo_request(seq)[: ETH_HEADER + 12])
        if case == "bad_ihl":
            return bytes(self.echo_request(seq, ihl=4))
        if case == "bad_icmp_checksum":
            frame = self.echo_request(seq)
            frame[ICMP_CHECKSUM_OFFSET] ^= 0xFF
            return bytes(frame)
        if case == "unknown_protocol":
            packet = (
                self.ether()
                / IP(src=self.host_ip, dst=self.stack_ip, proto=EXPERIMENTAL_PROTOCOL, id=seq)
                / Raw(b"unknown transport payload")
            )
            return bytes(packet)
        raise ValueError(f"unknown case {case}")

    def is_protocol_unreachable(self, data: bytes) -> bool:
        """RFC 792: type 3 code 2, quoting the offending datagram's header."""
        packet = Ether(data)
        if ICMP not in packet or packet[IP].src != self.stack_ip or packet[IP].dst != self.host_ip:
            return False
        icmp = packet[ICMP]
        if icmp.type != 3 or icmp.code != 2 or IPerror not in packet:
            return False
        quoted = packet[IPerror]
        return quoted.proto == EXPERIMENTAL_PROTOCOL and quoted.dst == self.stack_ip


def send_frames(crafter: Crafter, case: str, count: int, listen_s: float) -> dict:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((crafter.interface, 0))
    for seq in range(count):
        sock.send(crafter.frame(case, seq))
    unreachable = 0
    if case == "unknown_protocol":
        unreachable = count_protocol_unreachable(sock, crafter, count, listen_s)
    sock.close()
    return {"sent": count, "unreachable": unreachable}


def count_protocol_unreachable(
    sock: socket.socket, crafter: Crafter, wanted: int, listen_s: float
) -> int:
    """Counts protocol-unreachable messages from the stack until `wanted` or `listen_s` passes."""
    seen = 0
    deadline = time.monotonic() + listen_s
    while seen < wanted:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            data, address = sock.recvfrom(65535)
        except TimeoutError:
            break
        if address[2] != PACKET_OUTGOING and crafter.is_protocol_unreachable(data):
            seen += 1
    return seen


def send_runts(interface: str, count: int) -> dict:
    """Runt frames through a TUN device redirected onto the TAP device's egress (see above)."""
    tun = os.open("/dev/net/tun", os.O_RDWR)
    try:
        fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", RUNT_DEVICE.encode(), IFF_TUN | IFF_NO_PI))
        for command in (
            ["ip", "link", "set", RUNT_DEVICE, "up"],
            ["tc", "qdisc", "add", "dev", RUNT_DEVICE, "clsact"],
            ["tc", "filter", "add", "dev", RUNT_DEVICE, "ingress", "protocol", "all",
             "u32", "match", "u32", "0", "0",
             "action", "mirred", "egress", "redirect", "dev", interface],
        ):
            subprocess.run(command, check=True, timeout=10)
        # The TUN driver wants an IP version nibble in the first byte.
        runt = bytes([0x45]) + bytes(RUNT_LENGTH - 1)
        for _ in range(count):
            os.write(tun, runt)
    finally:
        os.close(tun)  # the non-persistent TUN device, qdisc and filter go away with it
    return {"sent": count, "unreachable": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=[
        "bad_ip_checksum", "bad_total_length", "truncated_ip_header", "bad_ihl",
        "bad_icmp_checksum", "unknown_protocol", "runt_ethernet"])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--interface", required=True)
    parser.add_argument("--stack-mac", required=True)
    parser.add_argument("--stack-ip", required=True)
    parser.add_argument("--host-ip", required=True)
    parser.add_argument("--listen", type=float, default=3.0, help="seconds to wait for replies")
    args = parser.parse_args()
    if args.case == "runt_ethernet":
        result = send_runts(args.interface, args.count)
    else:
        crafter = Crafter(args.interface, args.stack_mac, args.host_ip, args.stack_ip)
        result = send_frames(crafter, args.case, args.count, args.listen)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

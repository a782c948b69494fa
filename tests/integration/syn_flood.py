"""A bounded SYN flood from inside the test namespace: `count` SYNs from spoofed sources
(10.0.0.100-199, which nobody answers ARP for) to the stack's port, paced at `rate` per second
and at most `seconds` long. Frames are built once with scapy and sent through one AF_PACKET
socket; half-open connections from these sources never complete, so the daemon's SYN queue
(syn_backlog) fills and SYN cookies must take over. Prints `flooding` when sending starts."""

from __future__ import annotations

import argparse
import json
import random
import socket
import time

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--stack-mac", required=True)
    parser.add_argument("--stack-ip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=50000, help="SYNs in total, at most")
    parser.add_argument("--rate", type=int, default=5000, help="SYNs per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="flood duration, at most")
    args = parser.parse_args()
    with open(f"/sys/class/net/{args.interface}/address") as f:
        host_mac = f.read().strip()
    rng = random.Random(1)
    frames = []
    for i in range(2000):  # distinct SYNs, sent round robin
        source = f"10.0.0.{100 + i % 100}"
        frame = (Ether(dst=args.stack_mac, src=host_mac)
                 / IP(src=source, dst=args.stack_ip)
                 / TCP(sport=1024 + rng.randrange(60000), dport=args.port, flags="S",
                       seq=rng.randrange(1 << 32), options=[("MSS", 1460)]))
        frames.append(bytes(frame))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((args.interface, 0))
    print("flooding", flush=True)  # the test starts its connections now
    start = time.monotonic()
    sent = 0
    while sent < args.count:
        elapsed = time.monotonic() - start
        if elapsed > args.seconds:
            break
        if sent > elapsed * args.rate:  # pace: bursts of at most a few ms worth
            time.sleep(0.002)
            continue
        sock.send(frames[sent % len(frames)])
        sent += 1
    print(json.dumps({"sent": sent}))


if __name__ == "__main__":
    main()

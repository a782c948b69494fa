"""Crafted frames against tapstackd: each malformed frame is dropped and counted under its
reason, exactly once (RFC 1122 §3.2.1.1-3.2.1.2: silently discard; RFC 792: ICMP checksum;
RFC 1122 §3.2.2.1: protocol unreachable), and the stack still answers ping afterwards."""

from __future__ import annotations

import json

from netns import (
    DAEMON_MAC, HERE, HOST_ADDRESS, PYTHON, STACK_ADDRESS, TAP, DaemonTestCase)

FRAMES = 5  # crafted frames per case


class MalformedFrameTest(DaemonTestCase):
    def craft(self, case: str, count: int = FRAMES) -> dict:
        """Sends `count` frames of `case` from inside the namespace (craft_frames.py)."""
        completed = self.namespace.run([
            PYTHON, str(HERE / "craft_frames.py"), case, "--count", str(count),
            "--interface", TAP, "--stack-mac", DAEMON_MAC,
            "--stack-ip", STACK_ADDRESS, "--host-ip", HOST_ADDRESS])
        self.assertEqual(completed.returncode, 0, completed.stdout + completed.stderr)
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def assert_dropped(self, case: str, counter: str) -> None:
        """`FRAMES` frames of `case` count exactly `FRAMES` under `counter`; none is answered."""
        self.craft(case)
        ping = self.assert_ping_works()
        counters = self.stop_daemon()
        self.assertEqual(counters[counter], FRAMES, counter)
        self.assertEqual(counters["icmp_tx_echo_replies"], ping.received)

    def test_bad_ipv4_header_checksum(self) -> None:
        self.assert_dropped("bad_ip_checksum", "ipv4_drop_bad_checksum")

    def test_total_length_beyond_frame(self) -> None:
        self.assert_dropped("bad_total_length", "ipv4_drop_bad_total_length")

    def test_frame_ends_inside_ipv4_header(self) -> None:
        self.assert_dropped("truncated_ip_header", "ipv4_drop_truncated")

    def test_ihl_below_five(self) -> None:
        self.assert_dropped("bad_ihl", "ipv4_drop_bad_ihl")

    def test_bad_icmp_checksum(self) -> None:
        self.assert_dropped("bad_icmp_checksum", "icmp_drop_bad_checksum")

    def test_runt_ethernet_frame(self) -> None:
        self.assert_dropped("runt_ethernet", "eth_drop_truncated")

    def test_unknown_protocol_gets_protocol_unreachable(self) -> None:
        result = self.craft("unknown_protocol")
        self.assert_ping_works()
        counters = self.stop_daemon()
        self.assertEqual(counters["ipv4_drop_unknown_protocol"], FRAMES)
        # ICMP errors may be rate limited (RFC 1812 §4.3.2.8); each is either sent or counted.
        self.assertGreaterEqual(result["unreachable"], 1)
        self.assertEqual(counters["icmp_tx_dest_unreachable"], result["unreachable"])
        self.assertEqual(counters["icmp_tx_dest_unreachable"] + counters["icmp_tx_rate_limited"],
                         FRAMES)

"""The kernel's ping against tapstackd: ARP (RFC 826), IPv4 with fragmentation and reassembly
(RFC 791 §3.2, RFC 815), ICMP echo (RFC 792, RFC 1122 §3.2.2.6), and the counter dumps."""

from __future__ import annotations

import re

from netns import DAEMON_MAC, STACK_ADDRESS, TAP, DaemonTestCase

NEIGHBOUR_LINE = re.compile(r"lladdr (?P<mac>[0-9a-f:]{17}) (?:\w+ )*?(?P<state>[A-Z]+)\s*$")


class PingTest(DaemonTestCase):
    def test_200_fast_pings_without_loss(self) -> None:
        result = self.ping("-c", "200", "-i", "0.01", deadline_s=30)
        self.assertEqual(result.transmitted, 200, result.output)
        self.assertIn(" 0% packet loss", result.output)
        counters = self.stop_daemon()
        self.assertEqual(counters["icmp_rx_echo_requests"], 200)
        self.assertEqual(counters["icmp_tx_echo_replies"], 200)

    def test_8000_byte_ping_is_fragmented_both_ways(self) -> None:
        # 8008 bytes of ICMP in a 1500-byte MTU: the kernel sends 6 fragments, the reply too.
        result = self.ping("-c", "3", "-s", "8000", deadline_s=15)
        self.assertGreaterEqual(result.received, 3, result.output)
        counters = self.stop_daemon()
        self.assertGreaterEqual(counters["ipv4_frag_reassembled"], 3)
        self.assertGreaterEqual(counters["ipv4_tx_fragmented"], 3)
        for drop in ("ipv4_frag_drop_timeout", "ipv4_frag_drop_memory_cap",
                     "ipv4_frag_drop_bad_fragment", "ipv4_frag_drop_overlap",
                     "ipv4_frag_drop_too_big", "ipv4_tx_drop_too_big"):
            self.assertEqual(counters[drop], 0, drop)

    def test_kernel_neighbour_entry_has_daemon_mac(self) -> None:
        self.assert_ping_works()
        shown = self.namespace.run(["ip", "neigh", "show", STACK_ADDRESS, "dev", TAP])
        self.assertEqual(shown.returncode, 0, shown.stderr)
        match = NEIGHBOUR_LINE.search(shown.stdout.strip())
        self.assertIsNotNone(match, f"no neighbour entry for {STACK_ADDRESS}: {shown.stdout!r}")
        self.assertEqual(match.group("mac"), DAEMON_MAC)
        self.assertIn(match.group("state"), {"REACHABLE", "STALE", "DELAY"})
        counters = self.stop_daemon()
        self.assertGreaterEqual(counters["arp_tx_replies"], 1)

    def test_sigusr1_dumps_counters_and_daemon_keeps_running(self) -> None:
        first = self.ping("-c", "3", "-i", "0.2", deadline_s=10)
        self.assertTrue(first.loss_free, first.output)
        counters = self.daemon.dump_counters()
        self.assertEqual(counters["icmp_tx_echo_replies"], 3)
        self.assertTrue(self.daemon.running())
        second = self.ping("-c", "2", "-i", "0.2", deadline_s=10)
        self.assertTrue(second.loss_free, second.output)
        final = self.stop_daemon()
        self.assertEqual(final["icmp_tx_echo_replies"], 5)

"""TCP against the Linux kernel: the built-in services (HTTP, echo, discard, chargen) reached
from the kernel side of the TAP with curl and Python sockets, clean and under random loss
(nftables `numgen random` rules on the kernel side), and under a bounded SYN flood."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import subprocess

from netns import DAEMON_MAC, HERE, PYTHON, STACK_ADDRESS, TAP, DaemonTestCase

CYCLE = bytes(i % 251 for i in range(251))
MB = 1_000_000


def pattern_sha256(length: int) -> str:
    """SHA-256 of the first `length` bytes of the pattern (byte i = i mod 251)."""
    digest = hashlib.sha256()
    block = CYCLE * 4096
    whole, rest = divmod(length, len(block))
    for _ in range(whole):
        digest.update(block)
    digest.update(block[:rest])
    return digest.hexdigest()


class TcpTestCase(DaemonTestCase):
    """Helpers: kernel-side clients (tcp_tool.py, curl) and nftables loss, all in the namespace."""

    def tool(self, *args: str, timeout_s: float = 300) -> dict:
        completed = self.namespace.run(
            [PYTHON, str(HERE / "tcp_tool.py"), *args, "--timeout", str(timeout_s)],
            timeout_s=timeout_s + 30)
        lines = completed.stdout.strip().splitlines()
        self.assertTrue(lines, f"tcp_tool printed nothing: {completed.stderr}")
        result = json.loads(lines[-1])
        self.assertEqual(completed.returncode, 0, f"{result}\n{completed.stderr}")
        return result

    def curl(self, *args: str, timeout_s: float = 300) -> str:
        completed = self.namespace.run(
            ["curl", "--silent", "--show-error", "--fail", "--max-time", str(timeout_s), *args],
            timeout_s=timeout_s + 30)
        self.assertEqual(completed.returncode, 0, completed.stderr + self.daemon.log_tail())
        return completed.stdout

    def curl_sha256(self, url: str, timeout_s: float = 300) -> str:
        """Fetches `url` with curl and hashes the body inside the namespace (no temp file)."""
        completed = self.namespace.run(
            ["sh", "-c", f"curl --silent --show-error --fail --max-time {timeout_s} '{url}'"
                         " | sha256sum"], timeout_s=timeout_s + 30)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        return completed.stdout.split()[0]

    def impair(self, percent: int) -> None:
        """Drops `percent`% of packets at random in each direction on the kernel side."""
        rules = f"""
        table inet tapstack_loss {{
          chain to_stack {{ type filter hook output priority 0; oifname "{TAP}" numgen random mod 100 < {percent} drop; }}
          chain from_stack {{ type filter hook input priority 0; iifname "{TAP}" numgen random mod 100 < {percent} drop; }}
        }}"""
        with tempfile.NamedTemporaryFile("w", suffix=".nft", delete=False) as file:
            file.write(rules)
        self.addCleanup(os.unlink, file.name)
        completed = self.namespace.run(["nft", "-f", file.name])
        self.assertEqual(completed.returncode, 0, completed.stderr)



class TcpServicesTest(TcpTestCase):
    # --- HTTP ------------------------------------------------------------------------------

    def test_status_page(self) -> None:
        body = self.curl(f"http://{STACK_ADDRESS}/")
        self.assertIn("tapstack", body)
        counters = self.stop_daemon()
        self.assertGreaterEqual(counters["tcp_passive_opens"], 1)
        self.assertEqual(counters["tcp_estab_resets"], 0)

    def test_download_100_mb_sha256(self) -> None:
        size = 100 * MB
        self.assertEqual(self.curl_sha256(f"http://{STACK_ADDRESS}/bytes/{size}"),
                         pattern_sha256(size))

    def test_upload_100_mb_to_sink(self) -> None:
        size = 100 * MB
        upload = Path(tempfile.mkdtemp(prefix="tapstack-up-")) / "upload.bin"
        self.addCleanup(os.rmdir, upload.parent)  # cleanups run last-in first-out
        self.addCleanup(os.unlink, upload)
        with open(upload, "wb") as file:
            block = CYCLE * 4096
            written = 0
            while written < size:
                n = min(len(block), size - written)
                file.write(block[:n])
                written += n
        answer = self.curl("--data-binary", f"@{upload}", f"http://{STACK_ADDRESS}/sink")
        self.assertEqual(answer.split(), [str(size), pattern_sha256(size)])

    def test_keep_alive_reuses_one_connection(self) -> None:
        url = f"http://{STACK_ADDRESS}/bytes/1000"
        self.curl(url, url, url, "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null")
        counters = self.stop_daemon()
        self.assertEqual(counters["tcp_passive_opens"], 1)

    # --- discard, chargen, echo ------------------------------------------------------------

    def test_1_gb_into_discard(self) -> None:
        result = self.tool("discard", STACK_ADDRESS, "9", str(1000 * MB))
        print(f"\n  discard: {result['gbit_s']:.2f} Gbit/s", end="")

    def test_1_gb_out_of_chargen(self) -> None:
        result = self.tool("chargen", STACK_ADDRESS, "19", str(1000 * MB))
        print(f"\n  chargen: {result['gbit_s']:.2f} Gbit/s", end="")

    def test_1000_concurrent_echo_connections(self) -> None:
        result = self.tool("echo", STACK_ADDRESS, "7", "1000", timeout_s=120)
        self.assertEqual(result["complete"], 1000)

    # --- offloads (virtio-net header: TSO and checksum offload both ways) ----------------

    def test_offloads_carry_64_kb_segments_both_ways(self) -> None:
        self.assertIn("offloads on", self.daemon.log())
        size = 100 * MB
        self.assertEqual(self.curl_sha256(f"http://{STACK_ADDRESS}/bytes/{size}"),
                         pattern_sha256(size))
        self.tool("discard", STACK_ADDRESS, "9", str(size))
        # DESIGN.md §4: TAP reads are poll-driven; none may fall back to io-wq worker threads
        # (iou-wrk), which linger for seconds after use, so they would still be seen here.
        tasks = Path(f"/proc/{self.daemon.process.pid}/task")
        names = [(task / "comm").read_text().strip() for task in tasks.iterdir()]
        self.assertFalse([name for name in names if name.startswith("iou-wrk")], names)
        counters = self.stop_daemon()
        # The stack handed the kernel segments to cut, and took segments the kernel did not
        # cut, with checksums neither side computed.
        self.assertGreater(counters["tap_tx_gso_frames"], 0)
        self.assertGreater(counters["ipv4_tx_gso_packets"], 0)
        self.assertGreater(counters["tap_rx_gso_frames"], 0)
        self.assertGreater(counters["ipv4_rx_checksum_offloaded"], 0)
        self.assertEqual(counters["tcp_drop_bad_checksum"], 0)
        self.assertEqual(counters["tap_tx_errors"], 0)

    # --- under loss ------------------------------------------------------------------------

    def transfers_under_loss(self, percent: int, size: int) -> None:
        self.impair(percent)
        self.assertEqual(self.curl_sha256(f"http://{STACK_ADDRESS}/bytes/{size}"),
                         pattern_sha256(size))
        self.tool("discard", STACK_ADDRESS, "9", str(size))
        self.tool("chargen", STACK_ADDRESS, "19", str(size))
        counters = self.stop_daemon()
        self.assertGreater(counters["tcp_retransmitted_segments"], 0)
        # The one reset: the chargen client closes with data still arriving, so its kernel
        # answers with RST (RFC 2525 §2.17), as it would to any chargen server.
        self.assertEqual(counters["tcp_estab_resets"], 1)

    def test_transfers_under_1_percent_loss(self) -> None:
        self.transfers_under_loss(1, 100 * MB)

    def test_transfers_under_5_percent_loss(self) -> None:
        self.transfers_under_loss(5, 20 * MB)

    # --- SYN flood ---------------------------------------------------------------------------

    def test_connections_succeed_during_a_syn_flood(self) -> None:
        flood = subprocess.Popen(self.namespace.command([
            PYTHON, str(HERE / "syn_flood.py"), "--interface", TAP, "--stack-mac", DAEMON_MAC,
            "--stack-ip", STACK_ADDRESS, "--port", "7", "--seconds", "15"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: flood.poll() is None and flood.kill())
        self.assertEqual(flood.stdout.readline().strip(), "flooding")
        try:
            for _ in range(10):
                self.tool("connect", STACK_ADDRESS, "7", timeout_s=10)
        finally:
            out, err = flood.communicate(timeout=60)
        self.assertEqual(flood.returncode, 0, err)
        self.assertGreater(json.loads(out.strip().splitlines()[-1])["sent"], 5000)
        self.assert_ping_works()
        counters = self.stop_daemon()
        self.assertGreater(counters["tcp_syncookies_sent"], 0)


class TcpWithoutOffloadsTest(TcpTestCase):
    """The path without the virtio-net header (tap.offloads: false, and what kernels without
    offloads get): MTU-sized frames, every checksum computed and checked by the stack."""

    daemon_config = "tap:\n  offloads: false\n"

    def test_transfers_without_offloads(self) -> None:
        self.assertIn("offloads off", self.daemon.log())
        size = 100 * MB
        self.assertEqual(self.curl_sha256(f"http://{STACK_ADDRESS}/bytes/{size}"),
                         pattern_sha256(size))
        self.tool("discard", STACK_ADDRESS, "9", str(size))
        self.tool("chargen", STACK_ADDRESS, "19", str(size))
        counters = self.stop_daemon()
        self.assertEqual(counters["tap_tx_gso_frames"], 0)
        self.assertEqual(counters["tap_rx_gso_frames"], 0)
        self.assertEqual(counters["ipv4_rx_checksum_offloaded"], 0)
        self.assertEqual(counters["tcp_drop_bad_checksum"], 0)


IMPAIRED_LINK = """
fault_injection:
  seed: 7
  rx: {delay: 5ms, jitter: 1ms, reorder: 2, duplicate: 1, corrupt: 0.5, drop: 1}
  tx: {delay: 5ms, jitter: 1ms, reorder: 2, duplicate: 1, corrupt: 0.5, drop: 1}
"""


class TcpImpairedLinkTest(TcpTestCase):
    """The same services through the daemon's own fault injection on its TAP path: delay with
    jitter, reordering, duplication, corruption and loss in both directions."""

    daemon_config = IMPAIRED_LINK

    def test_transfers_over_an_impaired_link(self) -> None:
        self.assertIn("fault injection on", self.daemon.log())
        size = 20 * MB
        self.assertEqual(self.curl_sha256(f"http://{STACK_ADDRESS}/bytes/{size}"),
                         pattern_sha256(size))
        self.tool("discard", STACK_ADDRESS, "9", str(size))
        self.tool("chargen", STACK_ADDRESS, "19", str(size))
        counters = self.stop_daemon()
        self.assertGreater(counters["tcp_retransmitted_segments"], 0)
        self.assertGreater(counters["tcp_rx_out_of_order"], 0)
        # Injected corruption must meet real checksums: offloads are off under faults.
        self.assertIn("offloads off", self.daemon.log())
        self.assertGreater(counters["tcp_drop_bad_checksum"], 0)


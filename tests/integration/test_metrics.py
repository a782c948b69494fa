"""The Prometheus metrics endpoint (`metrics.listen`): scraped with curl over its Unix socket
and over TCP on the namespace's loopback, every line of the answer parsed by the rules of the
text exposition format, and the values checked against what the test did."""

from __future__ import annotations

import re
import stat
import subprocess
import unittest
from dataclasses import dataclass, field

import netns
from netns import DaemonTestCase

TCP_LISTEN = "127.0.0.1:9465"

_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
_HELP = re.compile(rf"^# HELP ({_NAME}) (.*)$")
_TYPE = re.compile(rf"^# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)$")
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})? (\S+)$")
_LABEL = re.compile(rf'({_NAME})="((?:[^"\\]|\\.)*)"(,|$)')


@dataclass
class Exposition:
    """A parsed scrape: each family's type and help, and every sample by name and labels."""

    types: dict[str, str] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, tuple(sorted(labels.items())))]


def parse_labels(text: str) -> tuple[tuple[str, str], ...]:
    labels = []
    position = 0
    while position < len(text):
        match = _LABEL.match(text, position)
        if match is None:
            raise ValueError(f"bad labels {text!r} at {position}")
        labels.append((match.group(1), match.group(2)))
        position = match.end()
    return tuple(sorted(labels))


def parse_exposition(text: str) -> Exposition:
    """Parses the text format, failing on any line that breaks its rules or ours: a sample
    without a TYPE before it, a repeated TYPE or sample, a counter not named *_total."""
    parsed = Exposition()
    if not text.endswith("\n"):
        raise ValueError("the last line does not end with a line feed")
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"line {number}: {line!r}"
        if match := _HELP.match(line):
            parsed.helps[match.group(1)] = match.group(2)
        elif match := _TYPE.match(line):
            name, kind = match.groups()
            if name in parsed.types:
                raise ValueError(f"second TYPE for {name}, {where}")
            if kind == "counter" and not name.endswith("_total"):
                raise ValueError(f"counter not named *_total, {where}")
            parsed.types[name] = kind
        elif match := _SAMPLE.match(line):
            name, labels, value = match.groups()
            if name not in parsed.types:
                raise ValueError(f"sample without a TYPE, {where}")
            key = (name, parse_labels(labels or ""))
            if key in parsed.samples:
                raise ValueError(f"repeated sample, {where}")
            parsed.samples[key] = float(value)
        else:
            raise ValueError(f"not a HELP, TYPE or sample line, {where}")
    return parsed


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: str


class MetricsCase(DaemonTestCase):
    """A daemon whose metrics listen where metrics_listen() says, set in a config file."""

    def metrics_listen(self) -> str:
        raise NotImplementedError

    def before_daemon_start(self) -> tuple[str, ...]:
        config = self.scratch / "tapstackd.yaml"
        config.write_text(f'metrics:\n  listen: "{self.metrics_listen()}"\n')
        return ("--config", str(config))

    def curl(self, url: str, *options: str) -> HttpAnswer:
        """Fetches `url` from inside the namespace; the status line and headers are parsed."""
        # Bytes, not text: text mode would turn the CRLFs that end HTTP header lines into LFs.
        done = subprocess.run(
            self.namespace.command(["curl", "-sS", "-i", "--max-time", "10", *options, url]),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)
        self.assertEqual(done.returncode, 0,
                         f"curl failed: {done.stderr.decode()}\n{self.daemon.log_tail()}")
        head, _, body = done.stdout.decode().partition("\r\n\r\n")
        status_line, *header_lines = head.split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return HttpAnswer(int(status_line.split()[1]), headers, body)

    def assert_a_complete_scrape(self, answer: HttpAnswer, pings: int) -> None:
        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.headers["content-type"], "text/plain; version=0.0.4")
        self.assertEqual(int(answer.headers["content-length"]), len(answer.body.encode()))
        metrics = parse_exposition(answer.body)
        for name in netns.counter_names():  # every stack counter, counted or not
            self.assertEqual(metrics.types.get(f"tapstack_{name}_total"), "counter", name)
        self.assertGreaterEqual(metrics.value("tapstack_icmp_rx_echo_requests_total"), pings)
        self.assertGreaterEqual(metrics.value("tapstack_icmp_tx_echo_replies_total"), pings)
        self.assertGreater(metrics.value("tapstack_tap_rx_frames_total", interface=netns.TAP), 0)
        self.assertIn("tapstack_ipc_clients_accepted_total", metrics.types)
        self.assertEqual(metrics.value("tapstack_up"), 1)
        self.assertGreaterEqual(metrics.value("tapstack_tcp_sockets"), 4)  # the services
        for gauge in ("tcp_connections", "udp_sockets", "ipc_clients", "ipc_sockets",
                      "start_time_seconds"):
            self.assertEqual(metrics.types[f"tapstack_{gauge}"], "gauge", gauge)


class MetricsUnixSocketTest(MetricsCase):
    def metrics_listen(self) -> str:
        return str(self.scratch / "metrics.sock")

    def scrape(self, path: str = "/metrics", *options: str) -> HttpAnswer:
        return self.curl(f"http://localhost{path}", "--unix-socket", self.metrics_listen(),
                         *options)

    def test_a_scrape_after_pings_counts_them(self) -> None:
        result = self.ping("-c", "3", "-i", "0.2")
        self.assertTrue(result.loss_free, result.output)
        self.assert_a_complete_scrape(self.scrape(), pings=3)
        self.assertIn("info: metrics on unix:" + self.metrics_listen(), self.daemon.log())

    def test_values_are_read_at_each_scrape(self) -> None:
        first = parse_exposition(self.scrape().body)
        self.assert_ping_works()
        second = parse_exposition(self.scrape().body)
        name = "tapstack_icmp_rx_echo_requests_total"
        self.assertEqual(second.value(name), first.value(name) + 1)

    def test_other_paths_are_404_and_other_methods_405(self) -> None:
        self.assertEqual(self.scrape("/").status, 404)
        self.assertEqual(self.scrape("/metrics/other").status, 404)
        post = self.scrape("/metrics", "-X", "POST", "--data", "x")
        self.assertEqual(post.status, 405)
        self.assertEqual(post.headers["allow"], "GET, HEAD")

    def test_the_socket_is_0660_and_removed_at_stop(self) -> None:
        mode = (self.scratch / "metrics.sock").stat().st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o660)
        self.stop_daemon()
        self.assertFalse((self.scratch / "metrics.sock").exists())


class MetricsTcpTest(MetricsCase):
    def metrics_listen(self) -> str:
        return TCP_LISTEN

    def before_daemon_start(self) -> tuple[str, ...]:
        # A new namespace's loopback is down, without 127.0.0.1 to bind to.
        up = self.namespace.run(["ip", "link", "set", "lo", "up"])
        self.assertEqual(up.returncode, 0, up.stderr)
        return super().before_daemon_start()

    def test_a_scrape_over_tcp_on_the_kernel_loopback(self) -> None:
        # The listener is the daemon's kernel socket in the namespace, not one of the stack's.
        self.assert_ping_works()
        self.assert_a_complete_scrape(self.curl(f"http://{TCP_LISTEN}/metrics"), pings=1)
        self.assertIn(f"info: metrics on {TCP_LISTEN}", self.daemon.log())


class ExpositionParserTest(unittest.TestCase):
    """The parser above must reject what it is there to catch."""

    def test_rejects_broken_expositions(self) -> None:
        good = "# HELP a_total h\n# TYPE a_total counter\na_total{x=\"1\"} 2\n"
        self.assertEqual(parse_exposition(good).value("a_total", x="1"), 2)
        for bad in ("a_total 1\n",  # no TYPE
                    "# TYPE a counter\na 1\n",  # counter without _total
                    "# TYPE a gauge\na 1\na 2\n",  # repeated sample
                    "# TYPE a gauge\na{x=1} 1\n",  # unquoted label value
                    "# TYPE a gauge\na 1",  # no final line feed
                    "# TYPE a gauge\nhello\n"):
            with self.assertRaises(ValueError, msg=bad):
                parse_exposition(bad)


if __name__ == "__main__":
    raise SystemExit("run through run.py")

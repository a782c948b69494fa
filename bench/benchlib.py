"""What every benchmark in bench/ shares: private namespaces, a veth pair for the kernel baseline,
a tapstackd in its own namespace, stopping only the processes a script started, and appending a
table with the date, commit, command and load to RESULTS.md (bench/README.md).

Nothing here configures the root namespace. Every namespace and process is registered when it is
made and removed by cleanup() (the scripts call it in a finally block, and atexit does too)."""

from __future__ import annotations

import atexit
import datetime
import os
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT_S = 300
STOP_TIMEOUT_S = 10

# The kernel baseline: two namespaces joined by a veth pair.
KERNEL_CLIENT, KERNEL_SERVER = "10.9.0.1", "10.9.0.2"
# tapstackd's namespace: the stack on 10.0.0.2, the kernel's side of tap0 on 10.0.0.1.
STACK_ADDRESS, HOST_ADDRESS = "10.0.0.2", "10.0.0.1"

_namespaces: list["Namespace"] = []
_processes: list[subprocess.Popen] = []


def descendants(pid: int) -> list[int]:
    """The live descendants of `pid` (children of every thread), from /proc."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:  # the task ended meanwhile
                continue
            found += children
            pending += children
    return found


def stop(process: subprocess.Popen) -> None:
    """Ends a process this script started, by its PID, then any descendants it left (nginx's
    workers), by theirs."""
    children = descendants(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for child in children:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:  # it ended with its parent
            pass


class Namespace:
    def __init__(self, tag: str) -> None:
        self.name = f"tsbench-{os.getpid()}-{tag}-{secrets.token_hex(2)}"
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=TIMEOUT_S)
        _namespaces.append(self)
        self.run(["ip", "link", "set", "lo", "up"])
        # A wide ephemeral range and TIME-WAIT reuse for outgoing connections: the connection
        # benchmarks open tens of thousands. Both are per namespace, the same on either side.
        self.run(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65535"])
        self.run(["sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1"])

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: list[str], timeout_s: float = TIMEOUT_S) -> str:
        done = subprocess.run(self.command(argv), capture_output=True, text=True,
                              timeout=timeout_s)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    def spawn(self, argv: list[str], log: Path | None = None, **pipes) -> subprocess.Popen:
        """A background process; `ip netns exec` execs in place, so its PID is the program's.
        Output goes to `log` (or nowhere); `pipes` may override stdin/stdout (and set text)."""
        out = open(log, "wb") if log else subprocess.DEVNULL
        options = {"stdin": subprocess.DEVNULL, "stdout": out,
                   "stderr": subprocess.STDOUT if log else out, **pipes}
        process = subprocess.Popen(self.command(argv), **options)
        _processes.append(process)
        return process

    def delete(self) -> None:
        if self in _namespaces:
            _namespaces.remove(self)
            subprocess.run(["ip", "netns", "delete", self.name], check=False, timeout=TIMEOUT_S)


def cleanup() -> None:
    """Stops every process and deletes every namespace this script made; safe to call twice."""
    while _processes:
        stop(_processes.pop())
    while _namespaces:
        _namespaces[-1].delete()


atexit.register(cleanup)


def _exit_on_sigterm(signum: int, frame) -> None:
    """SIGTERM (run-all's timeout) unwinds through the scripts' finally blocks and atexit, so that
    namespaces are deleted; Python's default would end the process at once."""
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _exit_on_sigterm)


def veth_pair() -> tuple[Namespace, Namespace]:
    """Client and server namespaces joined by a veth pair: KERNEL_CLIENT <-> KERNEL_SERVER."""
    client, server = Namespace("client"), Namespace("server")
    subprocess.run(["ip", "link", "add", "veth-c", "netns", client.name, "type", "veth", "peer",
                    "name", "veth-s", "netns", server.name], check=True, timeout=TIMEOUT_S)
    for ns, dev, address in ((client, "veth-c", KERNEL_CLIENT), (server, "veth-s",
                                                                 KERNEL_SERVER)):
        ns.run(["ip", "addr", "add", f"{address}/24", "dev", dev])
        ns.run(["ip", "link", "set", dev, "up"])
    return client, server


class Daemon:
    """tapstackd in its own namespace owning tap0, with an optional YAML config applied over the
    defaults; `ipc_socket` is what tapstack-run needs."""

    def __init__(self, build: Path, config: str = "") -> None:
        self.build = build
        self.ns = Namespace("tap")
        self.scratch = Path(f"/tmp/{self.ns.name}")
        self.scratch.mkdir(mode=0o700)
        self.ipc_socket = self.scratch / "ipc.sock"
        self.log = self.scratch / "tapstackd.log"
        argv = [str(build / "daemon" / "tapstackd"), "--tap", "tap0", "--address",
                f"{STACK_ADDRESS}/24", "--host-address", f"{HOST_ADDRESS}/24", "--gateway",
                HOST_ADDRESS, "--ipc-socket", str(self.ipc_socket), "--log-level", "warn"]
        if config:
            (self.scratch / "tapstackd.yaml").write_text(config)
            argv += ["--config", str(self.scratch / "tapstackd.yaml")]
        self.process = self.ns.spawn(argv, self.log)
        self.pid = self.process.pid
        try:
            self.wait_ready()
        except BaseException:
            self.close()
            raise

    def wait_ready(self, timeout_s: float = 30) -> None:
        """Until the IPC socket exists (shimmed programs fail without it) and the stack answers
        on the built-in echo port (or its TAP device is up, when echo is off)."""
        deadline = time.monotonic() + timeout_s
        while not self.ipc_socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tapstackd did not start:\n{self.log_tail()}")
            time.sleep(0.05)
        wait_for_port(self.ns, STACK_ADDRESS, 7, timeout_s=max(deadline - time.monotonic(), 1))

    def shim(self, argv: list[str]) -> list[str]:
        """`argv` under tapstack-run, to run with self.ns.run or self.ns.spawn."""
        return ["env", f"TAPSTACK_SOCKET={self.ipc_socket}",
                str(self.build / "shim" / "tapstack-run"), *argv]

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def close(self) -> None:
        stop(self.process)
        self.ns.delete()
        shutil.rmtree(self.scratch, ignore_errors=True)


def wait_for_port(ns: Namespace, host: str, port: int, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        probe = subprocess.run(ns.command(["bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"]),
                               capture_output=True)
        if probe.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{host}:{port} does not answer within {timeout_s} s")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/PID/stat (proc(5))."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def raise_fd_limit(wanted: int) -> None:
    """RLIMIT_NOFILE for this process and its children, up to the hard limit unless this process
    may raise that (CAP_SYS_RESOURCE): the scale benchmark needs a descriptor per connection."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(wanted, hard)))
    except (ValueError, PermissionError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def median_of(rounds: list[dict]) -> dict:
    """The median of every number over rounds of results with the same (nested) keys: on a
    shared machine one round can be slowed by someone else's build."""
    first = rounds[0]
    if isinstance(first, dict):
        return {key: median_of([r[key] for r in rounds]) for key in first}
    return statistics.median(rounds)


def ratio_table(rows: list[tuple[str, float, float, bool]], columns: tuple[str, str]) -> list[str]:
    """rows: (label, kernel, tapstack, higher_is_better). Ratio above 1: tapstack is better."""
    lines = [f"| measurement | {columns[0]} | {columns[1]} | ratio |", "|---|---|---|---|"]
    for label, kernel, ours, higher_better in rows:
        if kernel and ours:
            ratio = f"{ours / kernel if higher_better else kernel / ours:.2f}"
        else:
            ratio = "n/a"
        lines.append(f"| {label} | {kernel:.2f} | {ours:.2f} | {ratio} |")
    lines += ["", "Ratio: above 1 means tapstack is better (throughput: tapstack / kernel; "
              "latency, time, memory and CPU: kernel / tapstack)."]
    return lines


def record(title: str, lines: list[str], notes: list[str], enabled: bool) -> None:
    """Prints the table and, if enabled, appends it to RESULTS.md with date, commit, command and
    the load average (these machines are shared)."""
    print("\n\n".join([title, "\n".join(lines), *notes]))
    if not enabled:
        return
    commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    changed = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain", "--", ".",
                              ":!bench/RESULTS.md"], capture_output=True, text=True).stdout
    if changed.strip():
        commit += " with uncommitted changes"
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "`bench/" + Path(sys.argv[0]).name + " " + " ".join(sys.argv[1:]) + "`"
    if os.environ.get("TAPSTACK_BENCH_RUN_ALL"):  # set by run-all to its own command line
        command += f" (run by `{os.environ['TAPSTACK_BENCH_RUN_ALL']}`)"
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with open(HERE / "RESULTS.md", "a") as results:
        results.write(f"\n## {title}: {stamp}, commit {commit}\n\n{command}; load average at "
                      f"the end {load} (2 cores)\n\n")
        results.write("\n\n".join(["\n".join(lines), *notes]) + "\n")


def require_root(script: str) -> None:
    if os.geteuid() != 0:
        sys.exit(f"{script} needs root (network namespaces, TAP)")

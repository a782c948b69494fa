"""Run on the kernel side: COUNT concurrent TCP connections to an echo server at HOST:PORT. Each
sends SIZE random bytes of its own while reading, and must get exactly those bytes back before
the time limit. Prints a JSON summary; exits 0 when every connection got its echo."""

from __future__ import annotations

import asyncio
import json
import os
import sys

TIME_LIMIT_S = 60.0


async def one_client(host: str, port: int, size: int) -> str:
    payload = os.urandom(size)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(payload)
        # Reading while the writer drains: a large payload would otherwise fill both directions.
        drained = asyncio.ensure_future(writer.drain())
        echoed = await reader.readexactly(size)
        await drained
        return "ok" if echoed == payload else "mismatch"
    finally:
        writer.close()


async def run(host: str, port: int, count: int, size: int) -> dict[str, int]:
    tasks = [asyncio.ensure_future(one_client(host, port, size)) for _ in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=TIME_LIMIT_S)
    summary = {"ok": 0, "mismatch": 0, "error": 0, "timed_out": len(pending)}
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            summary["error"] += 1
            summary.setdefault("first_error", repr(task.exception()))
        else:
            summary[task.result()] += 1
    return summary


def main() -> int:
    host, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    summary = asyncio.run(run(host, port, count, size))
    print(json.dumps(summary))
    return 0 if summary["ok"] == count else 1


if __name__ == "__main__":
    sys.exit(main())

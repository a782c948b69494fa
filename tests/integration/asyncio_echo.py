"""An asyncio TCP echo server on 0.0.0.0:PORT (run under tapstack-run by test_servers). Prints
`ready` once it listens; echoes every connection until the peer closes."""

from __future__ import annotations

import asyncio
import sys

BACKLOG = 512  # the test opens a few hundred connections at once


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(echo, "0.0.0.0", port, backlog=BACKLOG)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

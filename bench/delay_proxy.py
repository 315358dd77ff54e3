"""A TCP proxy that delays every chunk, both ways, by a fixed time.

Put between the services and MariaDB it stretches every round trip of a
transaction (``SELECT``, ``UPDATE``, ``COMMIT``) by twice the delay, which is how
published oversell reports made a check-then-write race show up reliably.
Order within a connection is kept; chunks are delayed, not serialised, so the
throughput of a connection is unchanged. Loopback only.

    python bench/delay_proxy.py --listen 13306 --target 3306 --delay-ms 3
"""

from __future__ import annotations

import argparse
import asyncio
import time


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        while chunk := await reader.read(65536):
            await queue.put((time.monotonic() + delay, chunk))
        await queue.put((0.0, b""))

    async def write() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def serve(listen: int, target: int, delay: float) -> None:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, upstream_writer, delay), pump(upstream_reader, client_writer, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", type=int, default=3306)
    parser.add_argument("--delay-ms", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(serve(args.listen, args.target, args.delay_ms / 1000))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A TCP forwarder for the multi-host tests: a test device, not part of the
product.

    relay.py [--delay-ms MS] LISTEN_ADDR:PORT=TARGET_ADDR:PORT...

Every connection accepted on a LISTEN address gets its own connection to
its TARGET, and bytes are copied both ways. With --delay-ms, each chunk
read is held MS milliseconds before it is written on (in each direction,
so a round trip through one relay gains twice MS): the kernel here has
no `netem` queueing discipline, so latency is added by the relay while
packet loss comes from iptables (tests/e2e/netns.py). Order is kept and
an end of stream is passed on after the data before it; a connection
that fails closes its peer. Prints `{"event":"ready"}` (a JSON line, as
the programs do) once every address listens, and `{"event":"stopped"}`
when its standard input ends.

It serves two purposes (docs/deployment.md, "The embedded broker on
several hosts"): librdkafka's mock cluster listens on 127.0.0.1 only and
advertises that address, so each host forwards its own 127.0.0.1:PORT to
the broker's host, where a second relay forwards the host's address to
the broker's loopback; and it is where latency is added.
"""

import argparse
import asyncio
import sys


def address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


async def pump(reader, writer, delay):
    """Copies READER to WRITER, each chunk DELAY seconds late."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.ensure_future(send())
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data or None))
            if not data:
                break
        await sender
    finally:
        if not sender.done():
            sender.cancel()


async def serve(listen, target, delay):
    async def connected(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(*target)
        except OSError:
            client_writer.close()
            return
        ways = [asyncio.ensure_future(pump(client_reader, server_writer, delay)),
                asyncio.ensure_future(pump(server_reader, client_writer, delay))]
        try:
            # Both directions end on their own (a half-close is passed on);
            # a failure in either closes both.
            done, _ = await asyncio.wait(ways, return_when=asyncio.FIRST_EXCEPTION)
            if any(w.exception() for w in done if not w.cancelled()):
                for w in ways:
                    w.cancel()
            else:
                await asyncio.gather(*ways, return_exceptions=True)
        finally:
            for w in (client_writer, server_writer):
                w.close()

    return await asyncio.start_server(connected, *listen, reuse_address=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("routes", nargs="+", metavar="LISTEN=TARGET")
    args = parser.parse_args()
    delay = args.delay_ms / 1000.0
    servers = []
    for route in args.routes:
        listen, _, target = route.partition("=")
        servers.append(await serve(address(listen), address(target), delay))
    print('{"event":"ready"}', flush=True)
    # Ends with its standard input (or when killed).
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for server in servers:
        server.close()
    print('{"event":"stopped"}', flush=True)


if __name__ == "__main__":
    asyncio.run(main())

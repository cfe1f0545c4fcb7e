#!/usr/bin/env python3
"""Peers of bench/relay_load.sh (issue 7, load): many idle mutual-TLS SIP connections.
  upstream PORT CERT KEY CA         TLS server on 127.0.0.1:PORT requiring a client certificate;
                                    answers each connection's OPTIONS with 200 OK, then holds it
  clients ADDR:PORT N CERT KEY      opens N connections (at most CONCURRENCY handshakes at once,
                                    source addresses 127.0.0.2.. so ephemeral ports never run
                                    short), sends one OPTIONS on each and reads the 200 OK: the
                                    pair is then established end to end. Prints one JSON line,
                                    then holds every connection until stdin closes.
Standard library only; every wait is bounded (TIMEOUT seconds per connection)."""
import asyncio, json, os, ssl, sys, time

CONCURRENCY = int(os.environ.get("CONCURRENCY", "64"))
TIMEOUT = float(os.environ.get("TIMEOUT", "30"))
PER_SOURCE = 20000  # connections per 127.0.0.x source address (ephemeral range 32768-60999)


def options(i):
    return ("OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-load-{i}\r\n"
            "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
            f"Call-ID: load-{i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


async def upstream(port, cert, key, ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_REQUIRED

    async def serve(reader, writer):
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            call_id = next((l for l in request.split(b"\r\n") if l.startswith(b"Call-ID:")), b"Call-ID: x")
            writer.write(b"SIP/2.0 200 OK\r\n" + call_id + b"\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            while await reader.read(4096):
                pass
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port, ssl=ctx, backlog=4096)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


async def clients(addr, n, cert, key):
    host, port = addr.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert, key)
    gate = asyncio.Semaphore(CONCURRENCY)
    held, errors = [], {}

    async def one(i):
        async with gate:
            try:
                source = f"127.0.0.{2 + i // PER_SOURCE}"
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, int(port), ssl=ctx, local_addr=(source, 0)), TIMEOUT)
                writer.write(options(i))
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
                held.append(writer)
            except Exception as e:  # counted and reported, the run goes on
                what = f"{type(e).__name__}: {e}"[:100]
                errors[what] = errors.get(what, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    seconds = time.perf_counter() - t0
    print(json.dumps({"requested": n, "established": len(held), "seconds": round(seconds, 2),
                      "pairs_per_s": round(len(held) / seconds, 1), "errors": errors}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for w in held:
        w.close()


if __name__ == "__main__":
    if sys.argv[1] == "upstream":
        asyncio.run(upstream(int(sys.argv[2]), *sys.argv[3:6]))
    else:
        asyncio.run(clients(sys.argv[2], int(sys.argv[3]), *sys.argv[4:6]))

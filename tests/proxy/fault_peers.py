#!/usr/bin/env python3
"""Both peers of the relay fault test (relay_faults.test.cpp), written with asyncio and ssl.

  upstream  The Lync side: a TLS server on 127.0.0.1 that requires a client certificate and
            answers SIP. What it does on a connection depends on the Call-ID of the first
            message (KIND-INDEX): `dies` sends half a response then resets; `good` answers
            every request with a 16 KiB body until the client closes; anything else gets
            200 OK. One JSON line per connection (kind, peer port, SHA-256 of the bytes
            received and sent) goes to --log when it ends.
  clients   The UM side and the faults: --count connections, a mix of KINDS (see PLAN), at
            most --parallel at once, each from its own loopback address 127.42.X.Y so the
            relay's events can be told apart; plus one well-behaved connection that streams
            SIP both ways for as long as the faults run. Prints one JSON object: what each
            connection saw.

Every wait is bounded (--timeout per connection; the whole run by the caller's `timeout`)."""
import argparse, asyncio, hashlib, json, os, random, socket, ssl, struct, sys, time

PLAN = [  # (kind, connections per 100)
    ("ok", 70), ("rst_handshake", 6), ("garbage", 3), ("garbage_tls", 3), ("refused", 6), ("dies", 6), ("headers", 5),
    ("slowloris", 1),
]
BIG_MESSAGES = 2          # 10 MB SIP messages; the rest of the 1,000 are spread over PLAN
BIG_BODY = 10 * 1024 * 1024
MANY_HEADERS = 10_000
GOOD_BODY = 16 * 1024     # under siptap's 64 KiB decoding limit: every message is decoded
GOOD_MAX_MESSAGES = 2000  # bounds the well-behaved stream (32 MB each way)


def sip(first_line, call_id, body=b"", extra=b""):
    head = (f"{first_line}\r\nVia: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-{call_id}\r\n"
            f"From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 {first_line.split(' ')[0]}\r\n").encode()
    return head + extra + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def response(call_id, body=b""):
    return sip("SIP/2.0 200 OK", call_id, body)


async def read_message(reader):
    """One SIP message as raw bytes, or b"" at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial:
            raise
        return b""
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            length = int(value)
    return head + (await reader.readexactly(length) if length else b"")


def call_id_of(message):
    for line in message.split(b"\r\n"):
        if line.lower().startswith(b"call-id:"):
            return line.split(b":", 1)[1].strip().decode()
    return "?"


def reset(writer):
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# ---------------------------------------------------------------- upstream

async def serve(reader, writer, log):
    peer_port = writer.get_extra_info("peername")[1]
    received, sent = hashlib.sha256(), hashlib.sha256()
    entry = {"peer_port": peer_port, "kind": None}
    try:
        first = await asyncio.wait_for(read_message(reader), 30)
        if not first:
            return
        tag = call_id_of(first)
        entry["kind"], entry["tag"] = tag.split("-")[0], tag
        received.update(first)
        if entry["kind"] == "dies":  # half a response, then the upstream goes away
            writer.write(b"SIP/2.0 200 OK\r\nCall-ID: " + tag.encode() + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
            reset(writer)
            return
        message = first
        while message:
            body = os.urandom(GOOD_BODY // 2).hex().encode() if entry["kind"] == "good" else b""
            out = response(call_id_of(message), body)
            sent.update(out)
            writer.write(out)
            await writer.drain()
            message = await asyncio.wait_for(read_message(reader), 30)
            received.update(message)
        writer.close()
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ssl.SSLError) as e:
        entry["error"] = type(e).__name__
        writer.transport.abort()
    finally:
        entry["received_sha"], entry["sent_sha"] = received.hexdigest(), sent.hexdigest()
        log.write(json.dumps(entry) + "\n")
        log.flush()


async def upstream_main(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(a.pki, "lync.pem"), os.path.join(a.pki, "lync.key"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(os.path.join(a.pki, "ca.pem"))
    with open(a.log, "a") as log:
        server = await asyncio.start_server(lambda r, w: serve(r, w, log), "127.0.0.1", a.port, ssl=ctx,
                                            limit=1 << 20, backlog=1024)
        async with server:
            await asyncio.sleep(a.lifetime)


# ---------------------------------------------------------------- clients

def client_hello():
    """The bytes of a real ClientHello, to send raw."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class Clients:
    def __init__(self, a):
        self.a = a
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.check_hostname, self.ctx.verify_mode = False, ssl.CERT_NONE
        self.ctx.load_cert_chain(os.path.join(a.pki, "um.pem"), os.path.join(a.pki, "um.key"))
        self.hello = client_hello()
        self.faults_done = asyncio.Event()

    def source(self, index):
        return f"127.42.{index // 250}.{index % 250 + 1}"

    async def tls(self, index, port):
        return await asyncio.open_connection("127.0.0.1", port, ssl=self.ctx, local_addr=(self.source(index), 0),
                                             limit=1 << 20)

    async def raw(self, index):
        return await asyncio.open_connection("127.0.0.1", self.a.proxy, local_addr=(self.source(index), 0))

    async def read_to_end(self, reader, limit):
        """How the peer ended the connection: eof (FIN or close_notify), rst, or timeout."""
        try:
            while await asyncio.wait_for(reader.read(65536), limit):
                pass
            return "eof"
        except ConnectionResetError:
            return "rst"
        except asyncio.TimeoutError:
            return "timeout"
        except (OSError, ssl.SSLError) as e:
            return type(e).__name__

    async def run_one(self, kind, index):
        r = {"kind": kind, "index": index, "src_ip": self.source(index), "outcome": None}
        tag = f"{kind}-{index}"
        t = self.a.timeout
        try:
            if kind in ("rst_handshake", "garbage", "garbage_tls", "slowloris"):
                reader, writer = await self.raw(index)
            else:
                reader, writer = await self.tls(index, self.a.refusing if kind == "refused" else self.a.proxy)
            if kind == "rst_handshake":
                writer.write(self.hello[: len(self.hello) // 2])
                await writer.drain()
                await asyncio.sleep(0.05)
                reset(writer)
                r["outcome"] = "reset"
                return r
            if kind in ("garbage", "garbage_tls"):  # not TLS at all; a handshake record of junk
                junk = os.urandom(200)
                # `garbage` is no record header: after 0x00 a random 0x03 (one run in ten among
                # 30 connections) would read as TLS's version byte, and OpenSSL answers that
                # with an alert instead of closing.
                writer.write(b"\x00\x00" + junk[1:] if kind == "garbage" else b"\x16\x03\x01\x00\xc8" + junk)
                await writer.drain()
                r["outcome"] = await self.read_to_end(reader, t)
            elif kind == "slowloris":
                for byte in self.hello[: int(t)]:  # one byte a second, until siptap gives up
                    writer.write(bytes([byte]))
                    if reader.at_eof():
                        break
                    try:
                        if await asyncio.wait_for(reader.read(1), 1.0) == b"":
                            break
                    except asyncio.TimeoutError:
                        continue
                r["outcome"] = "closed" if reader.at_eof() else "open"
            else:
                body, extra = b"", b""
                if kind == "big":
                    body = b"v=0\r\n" + b"a" * (BIG_BODY - 5)
                elif kind == "headers":
                    extra = b"a:1\r\n" * MANY_HEADERS
                message = sip("MESSAGE sip:lync01.contoso.com SIP/2.0" if body or extra
                              else "OPTIONS sip:lync01.contoso.com SIP/2.0", tag, body, extra)
                r["sent_sha"] = hashlib.sha256(message).hexdigest()
                writer.write(message)
                await writer.drain()
                answer = await asyncio.wait_for(read_message(reader), t)
                r["outcome"] = answer.split(b"\r\n")[0].decode() if answer else "eof"
                writer.close()
        except ConnectionResetError:
            r["outcome"] = "rst"
        except asyncio.IncompleteReadError:
            r["outcome"] = "eof"
        except ssl.SSLError as e:
            r["outcome"] = "ssl:" + (e.reason or str(e))
        except (OSError, asyncio.TimeoutError) as e:
            r["outcome"] = type(e).__name__
        try:
            writer.transport.abort()
        except Exception:
            pass
        return r

    async def good(self, index):
        """Streams SIP both ways (requests and responses with 16 KiB bodies, 8 in flight)
        until the faults are done, then closes with close_notify."""
        r = {"kind": "good", "index": index, "src_ip": self.source(index), "messages": 0}
        sent, received = hashlib.sha256(), hashlib.sha256()
        reader, writer = await self.tls(index, self.a.proxy)
        window = asyncio.Semaphore(8)

        async def read_responses():
            while True:
                answer = await read_message(reader)
                if not answer:
                    return
                received.update(answer)
                r["responses"] = r.get("responses", 0) + 1
                window.release()

        responses = asyncio.ensure_future(read_responses())
        try:
            while r["messages"] < GOOD_MAX_MESSAGES and not (self.faults_done.is_set() and r["messages"] >= 50):
                await asyncio.wait_for(window.acquire(), self.a.timeout)
                message = sip("MESSAGE sip:lync01.contoso.com SIP/2.0", f"good-{index}-{r['messages']}",
                              os.urandom(GOOD_BODY // 2).hex().encode())
                sent.update(message)
                writer.write(message)
                r["messages"] += 1
                await writer.drain()
                await asyncio.sleep(0.005)  # leave the CPU to the faults: this one is to last as long as they do
            for _ in range(8):  # every response is in once the whole window is free again
                await asyncio.wait_for(window.acquire(), self.a.timeout)
            responses.cancel()
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), self.a.timeout)
            r["outcome"] = "done"
        except Exception as e:  # reported, the test fails on it
            r["outcome"] = "%s: %s" % (type(e).__name__, e)
            responses.cancel()
        r["sent_sha"], r["received_sha"] = sent.hexdigest(), received.hexdigest()
        return r

    async def main(self):
        kinds = [k for k, n in PLAN for _ in range(n)]
        plan = ["big"] * BIG_MESSAGES + [kinds[i % len(kinds)] for i in range(self.a.count - 1 - BIG_MESSAGES)]
        random.Random(5061).shuffle(plan)
        gate = asyncio.Semaphore(self.a.parallel)

        async def one(kind, index):
            async with gate:
                return await self.run_one(kind, index)

        good = asyncio.ensure_future(self.good(0))
        started = time.monotonic()
        results = await asyncio.gather(*(one(kind, i + 1) for i, kind in enumerate(plan)))
        fault_seconds = time.monotonic() - started
        self.faults_done.set()
        results.append(await good)
        return {"connections": results, "fault_seconds": round(fault_seconds, 2)}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    u = sub.add_parser("upstream")
    u.add_argument("--port", type=int, required=True)
    u.add_argument("--pki", required=True)
    u.add_argument("--log", required=True)
    u.add_argument("--lifetime", type=float, default=120)
    c = sub.add_parser("clients")
    c.add_argument("--proxy", type=int, required=True)
    c.add_argument("--refusing", type=int, required=True)
    c.add_argument("--pki", required=True)
    c.add_argument("--count", type=int, default=1000)
    c.add_argument("--parallel", type=int, default=40)
    c.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()
    if a.role == "upstream":
        asyncio.run(upstream_main(a))
    else:
        print(json.dumps(asyncio.run(Clients(a).main())), flush=True)


if __name__ == "__main__":
    sys.exit(main())

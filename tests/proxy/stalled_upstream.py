#!/usr/bin/env python3
"""For the relay tests: does a forged handshake that waits for the upstream hold up others?
Runs a TLS 1.2 upstream on 127.0.0.1:UPSTREAM_PORT (requiring a client certificate signed by
--client-ca) that, on its FIRST connection only, holds its last handshake flight (ChangeCipherSpec
+ Finished, its answer to our certificate) for --stall seconds; every connection then answers
one request with 200 OK. Then opens client 1 to RELAY, and --gap seconds later client 2, each
with --cert/--key, and prints one JSON line: how long each client's handshake and request took
and whether it got the 200 OK. Bounded: every socket has a timeout."""
import argparse, json, socket, ssl, threading, time


def serve(conn, ctx, stall):
    conn.settimeout(15)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
    try:
        while True:
            try:
                tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            flight = outgoing.read()
            if done and stall:
                time.sleep(stall)  # siptap's handshake with us waits for this flight
            if flight:
                conn.sendall(flight)
            if done:
                break
            data = conn.recv(65536)
            if not data:
                return
            incoming.write(data)
        request = b""
        while b"\r\n\r\n" not in request:
            try:
                request += tls.read(65536)
            except ssl.SSLWantReadError:
                data = conn.recv(65536)
                if not data:
                    return
                incoming.write(data)
        tls.write(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        conn.sendall(outgoing.read())
        while conn.recv(65536):
            pass
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def upstream(port, ctx, stall, ready):
    listener = socket.create_server(("127.0.0.1", port))
    listener.settimeout(20)
    ready.set()
    for i in range(2):
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(conn, ctx, stall if i == 0 else 0), daemon=True).start()


def client(relay, ctx, request, result):
    host, port = relay.rsplit(":", 1)
    t0 = time.monotonic()
    try:
        with ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=15)) as tls:
            result["handshake_s"] = round(time.monotonic() - t0, 3)
            tls.sendall(request)
            result["answer"] = tls.recv(65536).decode(errors="replace").split("\r\n")[0]
    except (OSError, ssl.SSLError) as e:
        result["error"] = str(e)
    result["total_s"] = round(time.monotonic() - t0, 3)


def main():
    p = argparse.ArgumentParser()
    for name in ("--upstream-port", "--relay", "--server-cert", "--server-key", "--client-ca", "--cert", "--key",
                 "--send"):
        p.add_argument(name, required=True)
    p.add_argument("--stall", type=float, default=3.0)
    p.add_argument("--gap", type=float, default=0.5)
    a = p.parse_args()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # the answer to our certificate is a flight
    server_ctx.load_cert_chain(a.server_cert, a.server_key)
    server_ctx.load_verify_locations(a.client_ca)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    client_ctx.load_cert_chain(a.cert, a.key)
    request = open(a.send, "rb").read()

    ready = threading.Event()
    threading.Thread(target=upstream, args=(int(a.upstream_port), server_ctx, a.stall, ready), daemon=True).start()
    ready.wait(5)
    results = [{}, {}]
    first = threading.Thread(target=client, args=(a.relay, client_ctx, request, results[0]))
    first.start()
    time.sleep(a.gap)
    client(a.relay, client_ctx, request, results[1])
    first.join(30)
    print(json.dumps({"first": results[0], "second": results[1]}))


if __name__ == "__main__":
    main()

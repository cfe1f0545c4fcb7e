#!/usr/bin/env python3
"""Client side of bench/relay_bench.sh: SIP OPTIONS over mutual TLS against ADDR:PORT.
  latency N   N sequential request/response round trips on one connection: p50/p99 in us
  burst N     N requests pipelined on one connection, all responses read: transactions/s
  idle K      open K TLS connections (one OPTIONS answered on each), hold them until stdin closes
Prints one JSON line."""
import json, socket, ssl, statistics, sys, time

addr, mode, n, cert, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
host, port = addr.rsplit(":", 1)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(cert, key)


def request(i):
    return ("OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-bench-{i}\r\n"
            "From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
            f"Call-ID: bench-{i}\r\nCSeq: {i + 1} OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


def connect():
    s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_responses(s, count, buf=b""):
    got = 0
    while got < count:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit("connection closed after %d responses" % got)
            buf += chunk
        _, buf = buf.split(b"\r\n\r\n", 1)  # Content-Length: 0 responses
        got += 1
    return buf


out = {"mode": mode, "n": n}
if mode == "latency":
    s = connect()
    samples, buf = [], b""
    for i in range(n):
        t0 = time.perf_counter_ns()
        s.sendall(request(i))
        buf = read_responses(s, 1, buf)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples = samples[n // 10:]  # warm-up
    samples.sort()
    out.update(p50_us=round(statistics.median(samples), 1), p99_us=round(samples[int(len(samples) * 0.99) - 1], 1))
elif mode == "burst":
    s = connect()
    data = b"".join(request(i) for i in range(n))
    t0 = time.perf_counter()
    s.sendall(data)
    read_responses(s, n)
    out["transactions_per_s"] = round(n / (time.perf_counter() - t0))
elif mode == "idle":
    conns = []
    for i in range(n):
        c = connect()
        c.sendall(request(i))
        read_responses(c, 1)
        conns.append(c)
    print(json.dumps({"mode": mode, "open": len(conns)}), flush=True)
    sys.stdin.read()
    sys.exit(0)
print(json.dumps(out), flush=True)

#!/usr/bin/env python3
"""Peers for pcaps/make_um_redirect_pcaps.sh: the Exchange 2013+ UM call router redirect.

A Lync-like client (127.0.0.2, certificate lync01.contoso.com) calls the Exchange UM call
router (127.0.0.3:5061, certificate exch01.contoso.com) over mutual TLS 1.2. The router
answers the INVITE with "302 Moved Temporarily" whose Contact names the UM worker (port 5065,
transport=Tls); the client ACKs the 302 and opens a new TLS connection to the worker, as
Lync does.

  um_redirect_peers.py run SCENARIO --pki DIR --out DIR   prints {"client_ports": [...]}
  um_redirect_peers.py list

  tls-um-redirect              Contact <sip:...@exch01.contoso.com:5065;transport=Tls>; the
                               worker (127.0.0.3:5065, same certificate, as on one Exchange
                               2016 server) answers the INVITE with 200 OK; ACK, BYE, 200 OK.
  tls-um-redirect-not-followed Contact <sip:...@127.0.0.4:5065;transport=Tls>; nothing listens
                               there (a worker behind a firewall, or not running): the client's
                               connection is refused with a TCP reset and the call ends.

Writes OUT/SCENARIO.keys (NSS key log of both sides) and OUT/SCENARIO.sent.txt (the SIP
messages sent, in order). Every socket wait is bounded; traffic stays on 127.0.0.x.
"""
import json
import os
import socket
import ssl
import sys
import threading

CLIENT_IP, ROUTER_IP, ROUTER_PORT, WORKER_PORT = "127.0.0.2", "127.0.0.3", 5061, 5065
FQDN = "exch01.contoso.com"
TIMEOUT = 10.0
SCENARIOS = {
    "tls-um-redirect": dict(contact_host=FQDN, worker_ip=ROUTER_IP, worker=True),
    "tls-um-redirect-not-followed": dict(contact_host="127.0.0.4", worker_ip="127.0.0.4", worker=False),
}
CALL_ID = "6f1c2d9e84b04a3e@lync01.contoso.com"


def sip(lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def request(method, uri, cseq, branch, local_port):
    return sip([
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/TLS {CLIENT_IP}:{local_port};branch=z9hG4bK{branch}",
        "Max-Forwards: 70",
        "From: <sip:alice@contoso.com>;tag=3f9a1",
        "To: <sip:+14255550100@contoso.com>" + (";tag=um77" if method == "BYE" else ""),
        f"Call-ID: {CALL_ID}",
        f"CSeq: {cseq} {method}",
        "Contact: <sip:lync01.contoso.com:5061;transport=tls>",
        "User-Agent: RTCC/6.0.0.0 MediationServer",
        "Content-Length: 0",
    ])


def response(req, status, reason, extra=()):
    """A response echoing the request's Via, From, To, Call-ID and CSeq."""
    head = req.decode(errors="replace").split("\r\n")
    keep = [h for h in head[1:] if h.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    keep = [h + ";tag=um77" if h.lower().startswith("to:") and "tag=" not in h else h for h in keep]
    return sip([f"SIP/2.0 {status} {reason}"] + keep + list(extra) +
               ["Server: RTCC/6.0.0.0 MSExchangeUM-CallRouter/15.1", "Content-Length: 0"])


def read_message(conn):
    """One SIP message (no body: every message here has Content-Length 0)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("peer closed before a whole SIP message")
        data += chunk
        if len(data) > 65536:
            raise ValueError("SIP message too long")
    return data


def server_context(pki, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    ctx.load_cert_chain(os.path.join(pki, "um-good.chain.pem"), os.path.join(pki, "um-good.key"))
    ctx.load_verify_locations(os.path.join(pki, "contoso-root-ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, as between Lync and Exchange UM
    ctx.keylog_filename = keylog
    return ctx


def client_context(pki, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(pki, "lync01.chain.pem"), os.path.join(pki, "lync01.key"))
    ctx.load_verify_locations(os.path.join(pki, "contoso-root-ca.pem"))
    ctx.keylog_filename = keylog
    return ctx


def listen(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    return s


def serve(listener, ctx, answer, errors):
    """Accepts one connection and answers each request with answer(req) until the client leaves."""
    try:
        raw, _ = listener.accept()
        raw.settimeout(TIMEOUT)
        with ctx.wrap_socket(raw, server_side=True) as conn:
            while True:
                try:
                    req = read_message(conn)
                except (ConnectionError, ssl.SSLError):
                    break
                reply = answer(req)
                if reply:
                    conn.sendall(reply)
            conn.unwrap()
    except Exception as e:  # reported by the main thread
        errors.append(f"server {listener.getsockname()}: {e!r}")


def router_answer(contact_host):
    def answer(req):
        if req.startswith(b"INVITE"):
            return response(req, 302, "Moved Temporarily",
                            [f"Contact: <sip:+14255550100@{contact_host}:{WORKER_PORT};transport=Tls>"])
        return None  # ACK of the 302
    return answer


def worker_answer(req):
    if req.startswith(b"ACK"):
        return None
    return response(req, 200, "OK", [f"Contact: <sip:{FQDN}:{WORKER_PORT};transport=Tls>"])


def client_connect(ctx, ip, port):
    raw = socket.create_connection((ip, port), timeout=TIMEOUT, source_address=(CLIENT_IP, 0))
    return ctx.wrap_socket(raw, server_hostname=FQDN)


def run(name, pki, out):
    sc = SCENARIOS[name]
    keys = os.path.join(out, name + ".keys")
    open(keys, "w").close()
    sent, errors, ports, threads = [], [], [], []
    sctx, cctx = server_context(pki, keys), client_context(pki, keys)
    listeners = [(listen(ROUTER_IP, ROUTER_PORT), router_answer(sc["contact_host"]))]
    if sc["worker"]:
        listeners.append((listen(sc["worker_ip"], WORKER_PORT), worker_answer))
    for listener, answer in listeners:
        t = threading.Thread(target=serve, args=(listener, sctx, answer, errors))
        t.start()
        threads.append(t)

    def send(conn, data):
        conn.sendall(data)
        sent.append(data.decode())

    router = client_connect(cctx, ROUTER_IP, ROUTER_PORT)
    ports.append(router.getsockname()[1])
    target = f"sip:+14255550100@{FQDN};user=phone"
    send(router, request("INVITE", target, 1, "r1", ports[0]))
    redirect = read_message(router)
    if not redirect.startswith(b"SIP/2.0 302"):
        raise RuntimeError(f"expected a 302, got {redirect[:40]!r}")
    send(router, request("ACK", target, 1, "r1", ports[0]))
    try:
        worker = client_connect(cctx, sc["worker_ip"], WORKER_PORT)
    except ConnectionRefusedError:
        worker = None
        print(f"{name}: worker {sc['worker_ip']}:{WORKER_PORT} refused the connection", file=sys.stderr)
    if worker:
        ports.append(worker.getsockname()[1])
        send(worker, request("INVITE", target, 2, "w2", ports[1]))
        if not read_message(worker).startswith(b"SIP/2.0 200"):
            raise RuntimeError("the worker did not answer 200 OK")
        send(worker, request("ACK", target, 2, "w2", ports[1]))
        send(worker, request("BYE", target, 3, "w3", ports[1]))
        read_message(worker)
        worker.unwrap().close()
    router.unwrap().close()
    for t in threads:
        t.join(TIMEOUT * 2)
    for listener, _ in listeners:
        listener.close()
    if errors or any(t.is_alive() for t in threads):
        raise RuntimeError("; ".join(errors) or "a server did not finish")
    with open(os.path.join(out, name + ".sent.txt"), "w") as f:
        f.write("\n".join(sent))
    print(json.dumps({"client_ports": ports}))


def main(argv):
    if argv[:1] == ["list"]:
        print("\n".join(SCENARIOS))
        return 0
    if len(argv) == 6 and argv[0] == "run" and argv[1] in SCENARIOS and argv[2] == "--pki" and argv[4] == "--out":
        run(argv[1], argv[3], argv[5])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

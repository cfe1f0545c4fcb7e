#!/usr/bin/env python3
"""A healthy SIP-over-TLS connection for the live test: OPTIONS answered with 200 OK, then the
client's close_notify, then the server's FIN first and the client's after it (as Schannel).

  tls_goodbye_peers.py VERSION PKI_DIR GO_FILE     VERSION: 1.2 or 1.3

Listens on 127.0.0.1 port 0, prints the port, waits (bounded) for GO_FILE to exist (the test
creates it once siptap is capturing), then runs both peers. Exits 0 when the exchange went as
described. Every wait is bounded.
"""
import os
import socket
import ssl
import sys
import threading
import time

TIMEOUT = 10.0
OPTIONS = (b"OPTIONS sip:lync01.contoso.com:5061;transport=Tls SIP/2.0\r\nVIA: SIP/2.0/TLS 127.0.0.1;"
           b"branch=z9hG4bK1\r\nFROM: <sip:exch01.contoso.com>;tag=1\r\nTO: <sip:lync01.contoso.com>\r\n"
           b"CALL-ID: goodbye-1\r\nCSEQ: 1 OPTIONS\r\nMAX-FORWARDS: 70\r\nCONTENT-LENGTH: 0\r\n\r\n")
OK = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:exch01.contoso.com>;tag=1"
      b"\r\nTo: <sip:lync01.contoso.com>;tag=9\r\nCall-ID: goodbye-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")


def read_until(conn, marker):
    data = b""
    while marker not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise RuntimeError("peer closed before %r" % marker)
        data += chunk
    return data


def serve(lsock, ctx, errors):
    try:
        sock, _ = lsock.accept()
        sock.settimeout(TIMEOUT)
        conn = ctx.wrap_socket(sock, server_side=True)
        read_until(conn, b"\r\n\r\n")
        conn.sendall(OK)
        if conn.recv(4096) != b"":  # the client's close_notify ends the TLS stream
            raise RuntimeError("expected close_notify")
        conn.shutdown(socket.SHUT_WR)  # a bare FIN: no close_notify of its own (TCP shutdown only)
        conn.close()
    except Exception as e:  # noqa: BLE001
        errors.append("server: %r" % e)


def main(version, pki, go_file):
    v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = sctx.maximum_version = v
    sctx.load_cert_chain(os.path.join(pki, "lync01.chain.pem"), os.path.join(pki, "lync01.key"))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.minimum_version = cctx.maximum_version = v
    cctx.load_verify_locations(os.path.join(pki, "contoso-root-ca.pem"))
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(TIMEOUT)
    print(lsock.getsockname()[1], flush=True)
    deadline = time.monotonic() + 20
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            sys.exit("tls_goodbye_peers.py: %s never appeared" % go_file)
        time.sleep(0.05)
    errors = []
    th = threading.Thread(target=serve, args=(lsock, sctx, errors), daemon=True)
    th.start()
    sock = socket.create_connection(lsock.getsockname(), timeout=TIMEOUT)
    conn = cctx.wrap_socket(sock, server_hostname="lync01.contoso.com")
    conn.sendall(OPTIONS)
    read_until(conn, b"\r\n\r\n")
    try:
        conn.unwrap()  # sends close_notify, then waits (bounded) for the server's answer
    except ssl.SSLEOFError:
        pass  # the answer is the server's bare FIN, as expected
    conn.close()  # only now the client's FIN
    th.join(TIMEOUT)
    if errors or th.is_alive():
        sys.exit("tls_goodbye_peers.py: %s" % (errors or "server hung"))


if __name__ == "__main__":
    main(*sys.argv[1:4])

#!/usr/bin/env python3
"""Real TLS peers for the siptap sample captures (Python 3 standard library only).

A Lync-like SIP/TLS server on 127.0.0.3:5061 and an Exchange-UM-like client bound to
127.0.0.2 talk mutual TLS on loopback while make_tls_pcaps.sh records them with dumpcap.

Both peers drive OpenSSL through ssl.SSLObject + MemoryBIO over plain sockets, so this
script alone decides what reaches the wire and when:
  * the TLS records OpenSSL produces (including fatal alerts) are flushed to the socket;
  * a "bare FIN" is socket.shutdown(SHUT_WR) with no TLS close_notify;
  * a reset is SO_LINGER {1, 0} followed by close();
  * a clean close is SSL_shutdown (close_notify) followed by a FIN.

Lync-like server: requires a client certificate and trusts only the Contoso root (OpenSSL
checks the chain including dates and sends the fatal alert itself). After a successful
handshake it reads the SIP request and compares the peer certificate's subject CN (never the
SAN) with the configured trusted server FQDN; a wildcard or other CN makes it close the TCP
connection with a bare FIN and no SIP response ("The peer is not a configured server on this
network interface"). A matching CN gets a Lync-style 200 OK to OPTIONS.

Exchange-UM-like client: UCMA-style OPTIONS (capitalised header names), SNI
lync01.contoso.com, sends its chain (leaf, issuing CA, root). On a response it closes with
close_notify then FIN; on EOF or reset from the server it just closes the socket.

Usage:
  tls_peers.py run SCENARIO --pki DIR --out DIR     run one scenario (both peers)
  tls_peers.py check --dir DIR [SCENARIO...]       check the captures with tshark
  tls_peers.py list                                 list scenario names
Writes OUT/SCENARIO.keys (NSS key log of both peers, merged) and OUT/SCENARIO.sent.txt
(JSON lines, one per plaintext write: from, src, dst, len, bytes_b64, text) and prints a
one-line JSON summary on stdout. Every wait is bounded; traffic only goes to 127.0.0.x.
"""

import argparse
import base64
import ctypes
import ctypes.util
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

CLIENT_IP = "127.0.0.2"
SERVER_IP = "127.0.0.3"
SERVER_PORT = 5061
SERVER_FQDN = "lync01.contoso.com"           # SNI and Request-URI host
TRUSTED_SERVER_FQDN = "exch01.contoso.com"   # the UM server Lync is configured to trust
UM_FQDN = "exch01.contoso.com"

ACCEPT_TIMEOUT = 15.0
IO_TIMEOUT = 5.0
DRAIN_TIMEOUT = 2.0
TICKET_WAIT = 0.3
MAX_SIP = 64 * 1024

SSL_OP_NO_ENCRYPT_THEN_MAC = 1 << 19         # OpenSSL 3.x; ssl module has no name for it

TLS10 = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1)
TLS11 = (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1)
TLS12 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
TLS13 = (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)

# name -> scenario parameters
SCENARIOS = {
    "tls-good": dict(
        versions=TLS12, cipher="ECDHE-RSA-AES256-GCM-SHA384", um_cert="um-good", requests=1),
    "tls-wildcard-incident": dict(
        versions=TLS12, cipher="ECDHE-RSA-AES256-GCM-SHA384", um_cert="um-wildcard", requests=1),
    "tls-untrusted-ca": dict(
        versions=TLS12, cipher="ECDHE-RSA-AES256-GCM-SHA384", um_cert="um-untrusted", requests=1),
    "tls-expired-cert": dict(
        versions=TLS12, cipher="ECDHE-RSA-AES256-GCM-SHA384", um_cert="um-expired", requests=1),
    "tls-no-client-cert": dict(
        versions=TLS12, cipher="ECDHE-RSA-AES256-GCM-SHA384", um_cert=None, requests=1),
    "tls-reset-mid-dialog": dict(
        versions=TLS12, cipher="ECDHE-RSA-AES256-GCM-SHA384", um_cert="um-good", requests=2,
        reset_at_request=2),
    "tls13-wildcard-incident": dict(
        versions=TLS13, cipher=None, um_cert="um-wildcard", requests=1),
    "tls12-chacha-good": dict(
        versions=TLS12, cipher="ECDHE-RSA-CHACHA20-POLY1305", um_cert="um-good", requests=1),
    "tls12-cbc-good": dict(
        versions=TLS12, cipher="ECDHE-RSA-AES128-SHA256", um_cert="um-good", requests=1,
        no_etm=True),
    # What Windows Server 2008 R2 / 2012 (Schannel) negotiate with old peers: TLS 1.0 and 1.1,
    # RSA key exchange first in their cipher order, no encrypt-then-MAC. OpenSSL 3 allows
    # TLS < 1.2, SHA-1 signatures and 3DES only at security level 0, on both sides.
    "tls10-rsa-aes128-sha": dict(
        versions=TLS10, cipher="AES128-SHA:@SECLEVEL=0", um_cert="um-good", requests=1,
        no_etm=True, seclevel0=True),
    "tls11-rsa-aes256-sha": dict(
        versions=TLS11, cipher="AES256-SHA:@SECLEVEL=0", um_cert="um-good", requests=1,
        no_etm=True, seclevel0=True),
    "tls11-ecdhe-aes256-sha": dict(
        versions=TLS11, cipher="ECDHE-RSA-AES256-SHA:@SECLEVEL=0", um_cert="um-good", requests=1,
        no_etm=True, seclevel0=True),
    # TLS 1.2 RSA key exchange, then a second connection that resumes the session by its id
    # (abbreviated handshake: no certificate, no key exchange), as Schannel clients do.
    "tls12-rsa-resumed": dict(
        versions=TLS12, cipher="AES128-SHA:@SECLEVEL=0", um_cert="um-good", requests=1,
        no_etm=True, seclevel0=True, connections=2),
    # The same with a session ticket (RFC 5077) instead of the server's session cache.
    "tls12-rsa-ticket-resumed": dict(
        versions=TLS12, cipher="AES128-SHA:@SECLEVEL=0", um_cert="um-good", requests=1,
        no_etm=True, seclevel0=True, connections=2, tickets=True),
}


def log(who, msg):
    sys.stderr.write("[%s %s] %s\n" % (time.strftime("%H:%M:%S"), who, msg))
    sys.stderr.flush()


class Recorder:
    """Every plaintext write of either peer, in the order the writes happened."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, who, src, dst, data):
        with self.lock:
            self.items.append({
                "from": who, "src": src, "dst": dst, "len": len(data),
                "bytes_b64": base64.b64encode(data).decode("ascii"),
                "text": data.decode("utf-8", "replace"),
            })

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            for item in self.items:
                f.write(json.dumps(item, sort_keys=False) + "\n")


class PeerClosed(Exception):
    """The raw TCP stream ended (how = 'eof' or 'rst')."""

    def __init__(self, how):
        super().__init__(how)
        self.how = how


class CloseNotify(Exception):
    """The peer sent a TLS close_notify."""


class TlsConn:
    """OpenSSL via MemoryBIO on a plain socket: we own every byte that is sent."""

    def __init__(self, who, sock, ctx, server_side, server_hostname=None, session=None):
        self.who = who
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=server_side,
                                server_hostname=server_hostname, session=session)
        self.local = "%s:%d" % sock.getsockname()[:2]
        self.remote = "%s:%d" % sock.getpeername()[:2]
        self.raw_eof = False

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def fill(self, deadline):
        """Move bytes from the socket into OpenSSL; raise PeerClosed on EOF/RST."""
        if self.raw_eof:
            raise PeerClosed("eof")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("%s: timed out" % self.who)
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            raise PeerClosed("rst")
        except socket.timeout:
            raise TimeoutError("%s: timed out" % self.who)
        if not data:
            self.raw_eof = True
            raise PeerClosed("eof")
        self.inc.write(data)

    def handshake(self, timeout=IO_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                self.fill(deadline)
            except ssl.SSLError:
                self.flush()          # a fatal alert from OpenSSL goes out first
                raise

    def read(self, deadline):
        """Some plaintext; raises CloseNotify, PeerClosed or TimeoutError."""
        while True:
            try:
                data = self.obj.read(65536)
            except ssl.SSLWantReadError:
                self.flush()
                self.fill(deadline)
                continue
            except ssl.SSLZeroReturnError:
                raise CloseNotify()
            self.flush()
            if not data:
                raise CloseNotify()
            return data

    def write(self, data, recorder):
        recorder.add(self.who, self.local, self.remote, data)
        self.obj.write(data)
        self.flush()

    def close_notify(self):
        try:
            self.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass
        self.flush()

    def bare_fin_and_close(self):
        """TCP FIN without any TLS record, wait (bounded) for the peer's FIN, close."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        drain(self.sock, DRAIN_TIMEOUT)
        self.sock.close()

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def drain(sock, timeout):
    """Read and discard until EOF/RST/timeout."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout"
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return "eof"
        except socket.timeout:
            return "timeout"
        except OSError:
            return "rst"


def read_sip_message(conn, buf, timeout=IO_TIMEOUT):
    """One SIP message (headers + Content-Length body). Returns (message, rest)."""
    deadline = time.monotonic() + timeout
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("utf-8", "replace")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() in ("content-length", "l"):
                    length = int(value.strip() or "0")
            total = end + 4 + length
            if len(buf) >= total:
                return buf[:total], buf[total:]
        if len(buf) > MAX_SIP:
            raise ValueError("SIP message too large")
        buf += conn.read(deadline)


def sip_headers(msg):
    lines = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers


def header(headers, name):
    for n, v in headers:
        if n.lower() == name.lower():
            return v
    return None


def token(seed, n):
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


# ---------------------------------------------------------------- Lync-like server

def ssl_ctx_pointer(ctx):
    """libssl and the SSL_CTX* held by CPython's PySSLContext (first field after
    PyObject_HEAD), after checking that the pointer really is this context."""
    libssl = ctypes.CDLL(ctypes.util.find_library("ssl") or "libssl.so.3")
    libssl.SSL_CTX_get_options.restype = ctypes.c_uint64
    libssl.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
    ptr = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
    if not ptr or libssl.SSL_CTX_get_options(ptr) != ctx.options:
        raise RuntimeError("SSL_CTX pointer check failed")
    return libssl, ptr


def set_quiet_shutdown(ctx):
    """SSL_shutdown then sends nothing but marks the session as cleanly ended: OpenSSL drops
    a session from its cache when the connection ends without a shutdown, and the server
    here ends with a bare FIN, as Lync does; a session to resume must stay cached."""
    libssl, ptr = ssl_ctx_pointer(ctx)
    libssl.SSL_CTX_set_quiet_shutdown.restype = None
    libssl.SSL_CTX_set_quiet_shutdown.argtypes = [ctypes.c_void_p, ctypes.c_int]
    libssl.SSL_CTX_set_quiet_shutdown(ptr, 1)


def set_client_ca_list(ctx, cafile):
    """Put the trusted root's name into CertificateRequest.certificate_authorities.

    Python's ssl module has no API for SSL_CTX_set_client_CA_list; use ctypes on the
    SSL_CTX* held by CPython's PySSLContext (first field after PyObject_HEAD), after
    checking that the pointer really is this context. Failure only logs a warning.
    """
    try:
        libssl, ptr = ssl_ctx_pointer(ctx)
        libssl.SSL_load_client_CA_file.restype = ctypes.c_void_p
        libssl.SSL_load_client_CA_file.argtypes = [ctypes.c_char_p]
        libssl.SSL_CTX_set_client_CA_list.restype = None
        libssl.SSL_CTX_set_client_CA_list.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        names = libssl.SSL_load_client_CA_file(cafile.encode())
        if not names:
            raise RuntimeError("SSL_load_client_CA_file failed")
        libssl.SSL_CTX_set_client_CA_list(ptr, names)
        return True
    except Exception as e:  # noqa: BLE001 - cosmetic feature
        log("server", "warning: CertificateRequest will list no CA names (%s)" % e)
        return False


def server_context(pki, sc, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version, ctx.maximum_version = sc["versions"]
    if sc["cipher"]:
        ctx.set_ciphers(sc["cipher"])
    ctx.load_cert_chain(os.path.join(pki, "lync01.chain.pem"), os.path.join(pki, "lync01.key"))
    ctx.verify_mode = ssl.CERT_REQUIRED       # mutual TLS; no certificate -> fatal alert
    ctx.load_verify_locations(cafile=os.path.join(pki, "contoso-root-ca.pem"))
    if not sc.get("tickets"):
        ctx.options |= ssl.OP_NO_TICKET       # TLS 1.2: session ids only, as Schannel
    if sc.get("no_etm"):
        ctx.options |= SSL_OP_NO_ENCRYPT_THEN_MAC
    ctx.keylog_filename = keylog
    set_client_ca_list(ctx, os.path.join(pki, "contoso-root-ca.pem"))
    if sc.get("connections", 1) > 1:
        set_quiet_shutdown(ctx)
    return ctx


def peer_subject_cn(conn):
    cert = conn.obj.getpeercert() or {}
    for rdn in cert.get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return value
    return None


def ok_response(req, headers, conn, n):
    via = header(headers, "via") or ""
    rport = conn.remote.rsplit(":", 1)[1]
    rip = conn.remote.rsplit(":", 1)[0]
    via += ";received=%s;ms-received-port=%s;ms-received-cid=%s" % (
        rip, rport, token("cid" + conn.remote, 8).upper())
    to = header(headers, "to") or ""
    if ";tag=" not in to:
        to += ";tag=" + token("totag" + (header(headers, "call-id") or ""), 32).upper()
    lines = [
        "SIP/2.0 200 OK",
        "Via: " + via,
        "From: " + (header(headers, "from") or ""),
        "To: " + to,
        "Call-ID: " + (header(headers, "call-id") or ""),
        "CSeq: " + (header(headers, "cseq") or ""),
        "Allow: INVITE, BYE, ACK, CANCEL, INFO, UPDATE, MESSAGE, NOTIFY, OPTIONS, REFER, "
        "PRACK, SUBSCRIBE, BENOTIFY, SERVICE",
        "Accept: application/sdp",
        "Supported: ms-benotify, ms-dialog-route-set-update, ms-forking, "
        "ms-keepalive-deregister, ms-safe-transfer",
        "Server: RTC/6.0",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def run_server(lsock, ctx, sc, rec, result):
    who = "server"
    try:
        lsock.settimeout(ACCEPT_TIMEOUT)
        sock, addr = lsock.accept()
        if not addr[0].startswith("127."):
            sock.close()
            raise RuntimeError("unexpected peer %r" % (addr,))
        log(who, "accepted %s:%d" % addr)
        conn = TlsConn(who, sock, ctx, server_side=True)
        try:
            conn.handshake()
        except ssl.SSLError as e:
            # the fatal alert is already on the wire; Lync drops the connection
            conn.bare_fin_and_close()
            log(who, "handshake failed, fatal alert sent, connection closed: %s" % e.reason)
            result["server"] = "alert:%s" % e.reason
            return
        except PeerClosed as e:
            result["server"] = "peer-closed-in-handshake:%s" % e.how
            sock.close()
            return
        log(who, "handshake done: %s %s" % (conn.obj.version(), conn.obj.cipher()[0]))
        cn = peer_subject_cn(conn)
        buf = b""
        nreq = 0
        while True:
            try:
                msg, buf = read_sip_message(conn, buf)
            except CloseNotify:
                log(who, "close_notify from client; closing with a bare FIN")
                result["server"] = "close_notify-received"
                if sc.get("connections", 1) > 1:
                    conn.obj.unwrap()         # quiet: nothing on the wire, session kept
                conn.bare_fin_and_close()
                return
            except PeerClosed as e:
                log(who, "client closed (%s)" % e.how)
                result["server"] = "peer-closed:%s" % e.how
                sock.close()
                return
            nreq += 1
            start, headers = sip_headers(msg)
            log(who, "received %r" % start)
            if cn != TRUSTED_SERVER_FQDN:
                why = "wildcard subject CN" if cn and cn.startswith("*") else "CN mismatch"
                log(who, "peer CN=%r is not %r (%s): The peer is not a configured server on "
                         "this network interface; closing with a bare FIN" %
                    (cn, TRUSTED_SERVER_FQDN, why))
                result["server"] = "rejected-cn:%s" % cn
                conn.bare_fin_and_close()
                return
            if nreq == sc.get("reset_at_request"):
                log(who, "resetting the connection (SO_LINGER 0)")
                result["server"] = "reset"
                conn.reset()
                return
            if start.split(" ", 1)[0] == "OPTIONS":
                conn.write(ok_response(start, headers, conn, nreq), rec)
                log(who, "sent 200 OK")
    except Exception as e:  # noqa: BLE001
        log(who, "error: %r" % e)
        result["server"] = "error:%r" % e


# ---------------------------------------------------------------- Exchange-UM-like client

def client_context(pki, sc, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version, ctx.maximum_version = sc["versions"]
    ctx.load_verify_locations(cafile=os.path.join(pki, "contoso-root-ca.pem"))
    ctx.check_hostname = True
    if sc.get("seclevel0"):
        ctx.set_ciphers(sc["cipher"])
    if sc["um_cert"]:
        # leaf, issuing CA, root: the chain as a Windows client sends it
        ctx.load_cert_chain(os.path.join(pki, sc["um_cert"] + ".chain.pem"),
                            os.path.join(pki, sc["um_cert"] + ".key"))
    if hasattr(ssl, "OP_IGNORE_UNEXPECTED_EOF"):
        ctx.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
    if sc.get("no_etm"):
        ctx.options |= SSL_OP_NO_ENCRYPT_THEN_MAC
    ctx.keylog_filename = keylog
    return ctx


def options_request(name, local_port, cseq):
    seed = "%s-%d" % (name, cseq)
    lines = [
        "OPTIONS sip:%s:%d;transport=Tls SIP/2.0" % (SERVER_FQDN, SERVER_PORT),
        "FROM: <sip:%s>;tag=%s" % (UM_FQDN, token("tag" + name, 8)),
        "TO: <sip:%s>" % SERVER_FQDN,
        "CSEQ: %d OPTIONS" % cseq,
        "CALL-ID: %s" % token("callid" + name, 32),
        "MAX-FORWARDS: 70",
        "VIA: SIP/2.0/TLS %s:%d;branch=z9hG4bK%s" % (CLIENT_IP, local_port,
                                                     token("branch" + seed, 8)),
        "CONTACT: <sip:%s:%d;transport=Tls;maddr=%s>" % (UM_FQDN, SERVER_PORT, UM_FQDN),
        "USER-AGENT: RTCC/4.0.0.0 MSExchangeUM/14.0",
        "CONTENT-LENGTH: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def run_client(name, ctx, sc, rec, result, index=0, session=None):
    """One connection; returns its TLS session (for the next connection to resume)."""
    who = "client"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((CLIENT_IP, 0))
    result.setdefault("client_ports", []).append(sock.getsockname()[1])
    result["client_port"] = result["client_ports"][0]
    sock.settimeout(IO_TIMEOUT)
    sock.connect((SERVER_IP, SERVER_PORT))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    log(who, "connected from %s:%d" % sock.getsockname())
    conn = TlsConn(who, sock, ctx, server_side=False, server_hostname=SERVER_FQDN, session=session)
    try:
        conn.handshake()
    except ssl.SSLError as e:
        # alert received: give the server a moment (bounded) to drop the connection first
        how = drain(sock, 0.5)
        log(who, "handshake failed: %s; server then: %s; closing" % (e.reason or e, how))
        result["client"] = "handshake-failed:%s" % (e.reason or e)
        sock.close()
        return
    except PeerClosed as e:
        result["client"] = "peer-closed-in-handshake:%s" % e.how
        sock.close()
        return
    log(who, "handshake done: %s %s%s" % (conn.obj.version(), conn.obj.cipher()[0],
                                          " (resumed)" if conn.obj.session_reused else ""))
    if session is not None:
        result.setdefault("resumed", []).append(bool(conn.obj.session_reused))
    if conn.obj.version() == "TLSv1.3":
        # let the server's NewSessionTickets arrive before the request (bounded)
        try:
            conn.read(time.monotonic() + TICKET_WAIT)
        except TimeoutError:
            pass
    buf = b""
    first = index * sc["requests"] + 1
    for cseq in range(first, first + sc["requests"]):
        if cseq > first:
            time.sleep(0.5)
        conn.write(options_request(name, result["client_ports"][-1], cseq), rec)
        log(who, "sent OPTIONS CSeq %d" % cseq)
        try:
            resp, buf = read_sip_message(conn, buf)
        except PeerClosed as e:
            log(who, "server closed the connection (%s) without a response; closing" % e.how)
            result["client"] = "server-closed:%s" % e.how
            sock.close()
            return
        except CloseNotify:
            result["client"] = "server-close_notify"
            conn.close_notify()
            conn.bare_fin_and_close()
            return
        except TimeoutError:
            result["client"] = "timeout"
            sock.close()
            return
        log(who, "received %r" % resp.split(b"\r\n", 1)[0].decode())
    log(who, "closing: close_notify then FIN")
    result["client"] = "clean-close"
    tls_session = conn.obj.session
    conn.close_notify()
    conn.bare_fin_and_close()
    return tls_session


# ---------------------------------------------------------------- driver

def merge_keylogs(paths, out):
    seen, lines, header_line = set(), [], None
    for p in paths:
        if not os.path.exists(p):
            continue
        with open(p, encoding="ascii") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                if line.startswith("#"):
                    header_line = header_line or line
                    continue
                if line not in seen:
                    seen.add(line)
                    lines.append(line)
        os.unlink(p)
    with open(out, "w", encoding="ascii") as f:
        if header_line:
            f.write(header_line + "\n")
        for line in lines:
            f.write(line + "\n")
    return len(lines)


def run(name, pki, outdir):
    sc = SCENARIOS[name]
    rec = Recorder()
    result = {"scenario": name}
    skeys = os.path.join(outdir, name + ".server.keys.tmp")
    ckeys = os.path.join(outdir, name + ".client.keys.tmp")
    for p in (skeys, ckeys):
        if os.path.exists(p):
            os.unlink(p)
    sctx = server_context(pki, sc, skeys)
    cctx = client_context(pki, sc, ckeys)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((SERVER_IP, SERVER_PORT))
    lsock.listen(1)
    session = None
    for index in range(sc.get("connections", 1)):
        th = threading.Thread(target=run_server, args=(lsock, sctx, sc, rec, result), daemon=True)
        th.start()
        try:
            session = run_client(name, cctx, sc, rec, result, index, session)
        except Exception as e:  # noqa: BLE001
            log("client", "error: %r" % e)
            result["client"] = "error:%r" % e
        th.join(ACCEPT_TIMEOUT + 3 * IO_TIMEOUT)
        if th.is_alive():
            result["server"] = "hung"
            break
    lsock.close()
    if sc.get("connections", 1) > 1 and not all(result.get("resumed") or [False]):
        result["client"] = "error:the session was not resumed"
    result["key_lines"] = merge_keylogs([ckeys, skeys], os.path.join(outdir, name + ".keys"))
    rec.write(os.path.join(outdir, name + ".sent.txt"))
    result["sent_records"] = len(rec.items)
    print(json.dumps(result), flush=True)
    return 0 if "error" not in json.dumps(result) and result.get("server") != "hung" else 1

# ---------------------------------------------------------------- capture checks (tshark)

# what each capture must show: ServerHello cipher suite, plaintext alert from the server,
# decrypted SIP (method/status, CSeq number) in order, and how the connection ends
EXPECT = {
    "tls-good": dict(cipher=0xC030, alert=None, sip=["OPTIONS 1", "200 1"], end="client-close_notify"),
    "tls-wildcard-incident": dict(cipher=0xC030, alert=None, sip=["OPTIONS 1"], end="server-bare-fin"),
    "tls-untrusted-ca": dict(cipher=0xC030, alert={48}, sip=[], end="server-alert"),
    "tls-expired-cert": dict(cipher=0xC030, alert={45}, sip=[], end="server-alert"),
    "tls-no-client-cert": dict(cipher=0xC030, alert={40, 116}, sip=[], end="server-alert"),
    "tls-reset-mid-dialog": dict(cipher=0xC030, alert=None, sip=["OPTIONS 1", "200 1", "OPTIONS 2"],
                                 end="server-rst"),
    "tls13-wildcard-incident": dict(cipher=0x1302, alert=None, sip=["OPTIONS 1"], end="server-bare-fin"),
    "tls12-chacha-good": dict(cipher=0xCCA8, alert=None, sip=["OPTIONS 1", "200 1"], end="client-close_notify"),
    "tls12-cbc-good": dict(cipher=0xC027, alert=None, sip=["OPTIONS 1", "200 1"], end="client-close_notify",
                           no_etm=True),
    "tls10-rsa-aes128-sha": dict(cipher=0x002F, alert=None, sip=["OPTIONS 1", "200 1"], end="client-close_notify",
                                 no_etm=True),
    "tls11-rsa-aes256-sha": dict(cipher=0x0035, alert=None, sip=["OPTIONS 1", "200 1"],
                                 end="client-close_notify", no_etm=True),
    "tls11-ecdhe-aes256-sha": dict(cipher=0xC014, alert=None, sip=["OPTIONS 1", "200 1"],
                                   end="client-close_notify", no_etm=True),
    "tls12-rsa-resumed": dict(cipher=0x002F, alert=None, sip=["OPTIONS 1", "200 1", "OPTIONS 2", "200 2"],
                              end="client-close_notify", no_etm=True),
    "tls12-rsa-ticket-resumed": dict(cipher=0x002F, alert=None, sip=["OPTIONS 1", "200 1", "OPTIONS 2", "200 2"],
                                     end="client-close_notify", no_etm=True),
}

FIELDS = ["frame.number", "ip.src", "ip.dst", "tcp.srcport", "tcp.stream", "tcp.len", "tcp.flags.fin",
          "tcp.flags.reset", "tls.record.content_type", "tls.handshake.type", "tls.handshake.ciphersuite",
          "tls.handshake.extension.type", "tls.alert_message.desc", "sip.Method", "sip.Status-Code",
          "sip.CSeq.seq", "tls.app_data"]


def tshark_frames(pcap, keys=None):
    import subprocess
    cmd = ["tshark", "-n", "-r", pcap, "-d", "tcp.port==5061,tls", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    if keys:
        cmd += ["-o", "tls.keylog_file:" + keys]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    frames = []
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        frames.append(dict(zip(FIELDS, vals)))
    return frames


def tshark_follow(pcap, keys, streams=1):
    """Decrypted application data per direction: (client_bytes, server_bytes), the TCP
    connections one after the other."""
    client, server = b"", b""
    for stream in range(streams):
        c, s = tshark_follow_one(pcap, keys, stream)
        client, server = client + c, server + s
    return client, server


def tshark_follow_one(pcap, keys, stream):
    import subprocess
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-d", "tcp.port==5061,tls",
                          "-o", "tls.keylog_file:" + keys, "-q", "-z", "follow,tls,raw,%d" % stream],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    node0, node1 = b"", b""       # node 0 is whoever tshark saw first; indented = node 1
    node0_is_server = False
    for line in out.splitlines():
        if line.startswith("Node 0:"):
            node0_is_server = line.split()[2] == "%s:%d" % (SERVER_IP, SERVER_PORT)
        if not line.strip() or ":" in line or line.startswith("="):
            continue
        if line.startswith("\t"):
            node1 += bytes.fromhex(line.strip())
        else:
            node0 += bytes.fromhex(line.strip())
    return (node1, node0) if node0_is_server else (node0, node1)


def ints(v):
    return [int(x, 0) for x in v.split(",") if x]


def check_one(d, name):
    exp = EXPECT[name]
    pcap = os.path.join(d, name + ".pcapng")
    keys = os.path.join(d, name + ".keys")
    problems = []
    plain = tshark_frames(pcap)
    dec = tshark_frames(pcap, keys)
    srv = lambda f: f["ip.src"] == SERVER_IP and f["tcp.srcport"] == str(SERVER_PORT)
    cli = lambda f: f["ip.src"] == CLIENT_IP

    connections = SCENARIOS[name].get("connections", 1)
    if {f["tcp.stream"] for f in plain} != {str(i) for i in range(connections)}:
        problems.append("expected exactly %d TCP connection(s)" % connections)
    for f in plain:
        if {f["ip.src"], f["ip.dst"]} != {CLIENT_IP, SERVER_IP}:
            problems.append("frame %s is not between 127.0.0.2 and 127.0.0.3" % f["frame.number"])
    suites = [ints(f["tls.handshake.ciphersuite"]) for f in plain
              if srv(f) and "2" in f["tls.handshake.type"].split(",")]
    if not suites or suites[0][0] != exp["cipher"]:
        problems.append("ServerHello cipher %r, expected 0x%04x" % (suites, exp["cipher"]))
    if exp.get("no_etm"):
        for f in plain:
            if 22 in ints(f["tls.handshake.extension.type"]):
                problems.append("encrypt_then_mac negotiated/offered in frame %s" % f["frame.number"])
    alerts = [(f["frame.number"], ints(f["tls.alert_message.desc"])) for f in plain
              if f["tls.alert_message.desc"]]
    if exp["alert"]:
        if not alerts or not all(srv(plain[int(n) - 1]) for n, _ in alerts) \
                or not set(alerts[0][1]) <= exp["alert"]:
            problems.append("plaintext alerts %r, expected %r from the server" % (alerts, exp["alert"]))
    elif alerts:
        problems.append("unexpected plaintext alerts %r" % alerts)

    sip = []
    for f in dec:
        for m, st, cs in zip((f["sip.Method"] or "").split(",") if f["sip.Method"] else [""],
                             [f["sip.Status-Code"]], [f["sip.CSeq.seq"]]):
            if m or st:
                sip.append("%s %s" % (m or st, cs))
    if sip != exp["sip"]:
        problems.append("decrypted SIP %r, expected %r" % (sip, exp["sip"]))

    # decrypted streams == what the peers say they sent
    sent_c, sent_s = b"", b""
    with open(os.path.join(d, name + ".sent.txt"), encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            data = base64.b64decode(item["bytes_b64"])
            if item["from"] == "client":
                sent_c += data
            else:
                sent_s += data
    got_c, got_s = tshark_follow(pcap, keys, connections)
    if (got_c, got_s) != (sent_c, sent_s):
        problems.append("decrypted stream (%d/%d bytes) differs from %s.sent.txt (%d/%d bytes)" %
                        (len(got_c), len(got_s), name, len(sent_c), len(sent_s)))

    # teardown
    first_fin = next((f for f in plain if f["tcp.flags.fin"] in ("1", "True")), None)
    first_rst = next((f for f in plain if f["tcp.flags.reset"] in ("1", "True")), None)
    last_req = max((int(f["frame.number"]) for f in dec if f["sip.Method"]), default=0)
    srv_data_after = [f["frame.number"] for f in dec
                      if srv(f) and int(f["frame.number"]) > last_req and int(f["tcp.len"] or 0) > 0]
    end = exp["end"]
    if end == "client-close_notify":
        cn = [f for f in dec if cli(f) and f["tls.alert_message.desc"] == "0"]
        if not cn or not first_fin or not cli(first_fin) or \
                int(first_fin["frame.number"]) < int(cn[0]["frame.number"]):
            problems.append("expected the client's close_notify, then the client's FIN first")
    elif end == "server-bare-fin":
        if not first_fin or not srv(first_fin):
            problems.append("expected the server to send the first FIN")
        elif int(first_fin["frame.number"]) != last_req + 1:
            problems.append("server FIN is not right after the client's OPTIONS (frame %s)" % last_req)
        if srv_data_after:
            problems.append("server sent data after the OPTIONS: frames %r" % srv_data_after)
        if any(f["tls.alert_message.desc"] for f in dec if srv(f)):
            problems.append("server sent a TLS alert")
    elif end == "server-rst":
        if not first_rst or not srv(first_rst):
            problems.append("expected an RST from 127.0.0.3:5061")
        if srv_data_after:
            problems.append("server answered the last request: frames %r" % srv_data_after)
        if first_fin and int(first_fin["frame.number"]) < int(first_rst["frame.number"]):
            problems.append("a FIN precedes the RST")
    elif end == "server-alert":
        if not first_fin or not srv(first_fin) or \
                int(first_fin["frame.number"]) < int(alerts[0][0] if alerts else 10 ** 9):
            problems.append("expected the server's alert, then the server's FIN")
    return problems


def check(d, names):
    bad = 0
    for name in names:
        try:
            problems = check_one(d, name)
        except Exception as e:  # noqa: BLE001
            problems = ["check failed: %r" % e]
        print("%-26s %s" % (name, "OK" if not problems else "FAIL"))
        for p in problems:
            print("    " + p)
        bad += bool(problems)
    return 1 if bad else 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("scenario", choices=sorted(SCENARIOS))
    r.add_argument("--pki", required=True)
    r.add_argument("--out", required=True)
    c = sub.add_parser("check", help="check captures with tshark")
    c.add_argument("--dir", required=True)
    c.add_argument("scenario", nargs="*")
    sub.add_parser("list")
    a = ap.parse_args(argv)
    if a.cmd == "check":
        return check(a.dir, a.scenario or list(SCENARIOS))
    if a.cmd == "list":
        print("\n".join(SCENARIOS))
        return 0
    return run(a.scenario, a.pki, a.out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

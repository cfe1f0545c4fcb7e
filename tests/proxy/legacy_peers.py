#!/usr/bin/env python3
"""Schannel stand-ins for the relay fidelity tests: a TLS server and a TLS client (Python ssl)
set the way Windows Server 2008 R2 to 2016 peers are (security level 0, TLS 1.0/1.1, RSA key
exchange, SHA-1 and RSA-1024 certificates), each reporting what it saw as JSON lines, so that a
test can run a pair directly and through siptap and compare.

  server: accepts --accept connections on 127.0.0.1 (port written to --port-file); per
          connection one line to --report: outcome, version, cipher, the SNI, versions and
          cipher suites of the ClientHello it received, the client certificate's signature
          algorithm and key size, whether it resumed a session; answers one SIP request with
          200 OK. --no-ticket (either role): no TLS 1.2 session tickets, resumption by session id.
  cabundle: writes --count CA certificates with long names to --out (a CertificateRequest
          naming 300 of them is about 41 KB).
  client: connects (twice with --resume, offering the first session), sends one SIP OPTIONS and
          prints one line per connection: outcome, version, cipher, the server certificate's
          signature algorithm and key size, whether the request was answered, session reused.

An outcome is "ok", "alert:<name>" for an alert received, or "error:<reason>" for a local
failure. Everything is bounded by --timeout seconds; only 127.0.0.1."""
import argparse, json, socket, ssl, struct, sys, time, warnings

# The alert naming of the SIP test client beside this file (its folder is on sys.path).
from sip_tls_client import alert_name as outcome

from cryptography import x509

warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 are the point here

VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
            "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
OPTIONS = (b"OPTIONS sip:lync01.contoso.com;transport=tls SIP/2.0\r\n"
           b"Via: SIP/2.0/TLS um01.contoso.com:5061;branch=z9hG4bK-legacy\r\n"
           b"From: <sip:um01.contoso.com>;tag=1\r\nTo: <sip:lync01.contoso.com>\r\n"
           b"Call-ID: legacy-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
OK = b"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"


def context(a, server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.set_ciphers(a.ciphers)
    ctx.minimum_version = VERSIONS[a.min]
    ctx.maximum_version = VERSIONS[a.max]
    ctx.load_verify_locations(a.cafile)
    ctx.verify_mode = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL,
                       "required": ssl.CERT_REQUIRED}[a.verify]
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    if a.no_ticket:  # TLS 1.2 resumption by session id only, as Schannel on Server 2008 R2
        ctx.options |= ssl.OP_NO_TICKET
    return ctx


def cert_info(tls):
    der = tls.getpeercert(binary_form=True)
    if not der:
        return None
    c = x509.load_der_x509_certificate(der)
    eku = []
    try:
        eku = [o._name for o in c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        pass
    return {"sig": c.signature_algorithm_oid._name, "bits": c.public_key().key_size,
            "subject": c.subject.rfc4514_string(), "eku": eku}


def read_head(tls):
    """A SIP message's start line and headers (or what came before the peer closed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def parse_client_hello(body):
    """SNI, supported versions and cipher suites of a ClientHello message (header included)."""
    p = 4 + 2 + 32
    p += 1 + body[p]
    n = struct.unpack_from("!H", body, p)[0]
    ciphers = ["%04x" % struct.unpack_from("!H", body, p + 2 + i)[0] for i in range(0, n, 2)]
    p += 2 + n
    p += 1 + body[p]
    hello = {"legacy_version": "%04x" % struct.unpack_from("!H", body, 4)[0], "ciphers": ciphers,
             "sni": None, "versions": None}
    end = p + 2 + struct.unpack_from("!H", body, p)[0] if p + 2 <= len(body) else p
    p += 2
    while p + 4 <= end:
        typ, ln = struct.unpack_from("!HH", body, p)
        data = body[p + 4:p + 4 + ln]
        if typ == 0 and len(data) > 5:
            hello["sni"] = data[5:5 + struct.unpack_from("!H", data, 3)[0]].decode()
        elif typ == 43 and data:
            hello["versions"] = ["%04x" % struct.unpack_from("!H", data, 1 + i)[0] for i in range(0, data[0], 2)]
        p += 4 + ln
    return hello


def serve(a):
    ctx = context(a, True)
    hellos = []

    def on_msg(conn, direction, version, content_type, msg_type, data):
        if direction == "read" and int(content_type) == 22 and data and data[0] == 1:
            hellos.append(parse_client_hello(bytes(data)))
    ctx._msg_callback = on_msg
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    import os
    os.replace(a.port_file + ".tmp", a.port_file)
    report = open(a.report, "a")
    deadline = time.monotonic() + a.timeout
    for _ in range(a.accept):
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            raw, _ = sock.accept()
        except socket.timeout:
            break
        raw.settimeout(max(0.1, deadline - time.monotonic()))
        hellos.clear()
        out = {"outcome": "ok"}
        try:
            tls = ctx.wrap_socket(raw, server_side=True)
            out.update(version=tls.version(), cipher=tls.cipher()[0], peer=cert_info(tls),
                       reused=tls.session_reused)
            data = read_head(tls)
            if data:
                tls.sendall(OK)
            out["request"] = data.split(b"\r\n", 1)[0].decode()
            tls.close()
        except (ssl.SSLError, OSError) as e:
            out["outcome"] = outcome(e) if isinstance(e, ssl.SSLError) else "error:" + type(e).__name__
            raw.close()
        out["hello"] = hellos[0] if hellos else None
        report.write(json.dumps(out) + "\n")
        report.flush()


def connect_once(a, ctx, session):
    host, port = a.connect.rsplit(":", 1)
    raw = socket.create_connection((host, int(port)), timeout=a.timeout)
    out = {"outcome": "ok", "answered": False}
    try:
        tls = ctx.wrap_socket(raw, server_hostname=a.sni or None, session=session)
        out.update(version=tls.version(), cipher=tls.cipher()[0], peer=cert_info(tls), reused=tls.session_reused)
        tls.sendall(OPTIONS)
        data = read_head(tls)
        out["answered"] = data.startswith(b"SIP/2.0 200 OK")
        session = tls.session
        tls.close()
    except (ssl.SSLError, OSError) as e:
        out["outcome"] = outcome(e) if isinstance(e, ssl.SSLError) else "error:" + type(e).__name__
        raw.close()
    return out, session


def client(a):
    ctx = context(a, False)
    session = None
    for _ in range(2 if a.resume else 1):
        out, session = connect_once(a, ctx, session)
        print(json.dumps(out), flush=True)


def ca_bundle(a):
    """--count self-signed CA certificates with long names (one key), as a CertificateRequest
    of a Windows server with many trusted roots names them."""
    import datetime
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    with open(a.out, "wb") as f:
        for i in range(a.count):
            name = x509.Name([
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso Ltd"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Unified Communications Public Key Infrastructure"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Issuing CA %03d for Exchange UM and Lync" % i)])
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(i + 1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
                    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                    .sign(key, hashes.SHA256()))
            f.write(cert.public_bytes(Encoding.PEM))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client", "cabundle"])
    p.add_argument("--out")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--cafile")
    p.add_argument("--ciphers", default="DEFAULT")  # the system's security level (2 on Debian)
    p.add_argument("--min", default="1.0", choices=VERSIONS)
    p.add_argument("--max", default="1.3", choices=VERSIONS)
    p.add_argument("--verify", default="required", choices=["none", "optional", "required"])
    p.add_argument("--timeout", type=float, default=8.0)
    p.add_argument("--port-file")
    p.add_argument("--report")
    p.add_argument("--accept", type=int, default=1)
    p.add_argument("--connect")
    p.add_argument("--sni")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--no-ticket", action="store_true")
    a = p.parse_args()
    {"server": serve, "client": client, "cabundle": ca_bundle}[a.role](a)


if __name__ == "__main__":
    sys.exit(main())

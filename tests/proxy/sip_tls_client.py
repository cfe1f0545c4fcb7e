#!/usr/bin/env python3
"""A SIP-over-TLS client for the relay tests: connects, sends one request, reads the answer
and reports on stdout, as one JSON line, what it saw: the handshake outcome, the peer's
certificate CN, the bytes received and how the server ended the connection:
  close_notify  TLS close_notify, then EOF
  fin           bare TCP FIN without close_notify
  rst           TCP reset
  alert:<name>  a fatal TLS alert (e.g. alert:certificate_expired)
  open          the server kept the connection open after answering (we closed it)
With --reset the client ends its side with a TCP reset (SO_LINGER 0) instead of a FIN; with
--tls12 it offers TLS 1.2 only. Bounded by --timeout seconds overall."""
import argparse, json, socket, ssl, struct, sys, time


def alert_name(err):
    reason = (getattr(err, "reason", None) or str(err)).lower()
    for prefix in ("sslv3_alert_", "tlsv1_alert_", "tlsv13_alert_", "tlsv1_"):
        if reason.startswith(prefix):
            return "alert:" + reason[len(prefix):]
    return "error:" + reason


def eof_kind(alerts_read):
    return "close_notify" if ssl._TLSAlertType.CLOSE_NOTIFY in alerts_read else "fin"


def response_complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            return len(body) >= int(value.strip() or 0)
    return True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--connect", required=True)  # host:port
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--send", required=True)  # file with the request
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--keylog")
    p.add_argument("--tls12", action="store_true")
    p.add_argument("--reset", action="store_true")
    a = p.parse_args()
    host, port = a.connect.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if a.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    if a.keylog:
        ctx.keylog_filename = a.keylog
    # How a bare FIN surfaces depends on the build: Debian's Python 3.11 turns
    # OP_IGNORE_UNEXPECTED_EOF on by default (a FIN then reads as a clean EOF), upstream's
    # does not. So clear it, and decide from the records themselves: an EOF is close_notify
    # only if a close_notify alert was actually read.
    if hasattr(ssl, "OP_IGNORE_UNEXPECTED_EOF"):
        ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    alerts_read = []

    def on_record(conn, direction, version, content_type, msg_type, data):
        if direction == "read" and content_type == ssl._TLSContentType.ALERT:
            alerts_read.append(msg_type)

    ctx._msg_callback = on_record
    out = {"handshake": "ok", "peer_cn": None, "received": "", "close": None}
    deadline = time.monotonic() + a.timeout
    raw = socket.create_connection((host, int(port)), timeout=a.timeout)
    tls = ctx.wrap_socket(raw, suppress_ragged_eofs=False)
    received = b""
    try:
        tls.do_handshake()
        cert = tls.getpeercert(binary_form=True)
        if cert:
            from subprocess import run
            pem = ssl.DER_cert_to_PEM_cert(cert)
            r = run(["openssl", "x509", "-noout", "-subject", "-nameopt", "multiline"],
                    input=pem.encode(), capture_output=True)
            for line in r.stdout.decode().splitlines():
                if "commonName" in line:
                    out["peer_cn"] = line.split("=", 1)[1].strip()
        tls.sendall(open(a.send, "rb").read())
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                out["close"] = "timeout"
                break
            tls.settimeout(min(left, 1.0) if response_complete(received) else left)
            try:
                chunk = tls.recv(65536)
            except socket.timeout:
                if response_complete(received):
                    out["close"] = "open"
                    break
                continue
            if not chunk:
                out["close"] = eof_kind(alerts_read)
                break
            received += chunk
    except ConnectionResetError:
        out["close"] = "rst"
    except ssl.SSLError as e:
        # Python 3.11.2 (Debian's) raises a plain SSLError for an unexpected EOF, later
        # versions SSLEOFError: either way it is an EOF, not an alert.
        if isinstance(e, ssl.SSLEOFError) or getattr(e, "reason", None) == "UNEXPECTED_EOF_WHILE_READING":
            out["close"] = eof_kind(alerts_read)
        else:
            out["close"] = alert_name(e)
            if received == b"" and out["peer_cn"] is None:
                out["handshake"] = out["close"]
    out["received"] = received.decode("utf-8", "replace")
    print(json.dumps(out), flush=True)
    if a.reset:  # no close_notify, and an RST instead of a FIN
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    tls.close()
    raw.close()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Seeds the fuzz corpora from the project's own sample captures and PKI (pcaps/).

sip:  each SIP payload of the plaintext captures (UDP datagrams, TCP segments)
tls:  per TLS capture, one input: a split byte, then the client's stream, then the server's
x509: the DER of every certificate in pcaps/tls-pki
pcap: the small sample captures themselves
keylog: a few of the key logs the TLS captures' peers wrote
tls_decrypt: per TLS capture, its TCP segments in wire order as [2-byte direction+length][bytes]
relay_hello: per TLS capture, the client's bytes (mode 0) and the server's (mode 1)
pcap (also): TLS captures with their key log injected as Decryption Secrets Blocks
tls_record: per suite the harness knows (selector byte), a few records, sealed as a peer
    would (and with 0x40, CBC encrypt-then-MAC; with 0x80 "raw")
filter: the expressions of the --filter documentation and tests; hep: SIP with addresses
Run from the repository root: python3 tests/fuzz/make_corpus.py
"""
import glob
import hashlib
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def save(kind, data, name=None):
    folder = os.path.join(CORPUS, kind)
    os.makedirs(folder, exist_ok=True)
    name = name or "seed-" + hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def tshark_fields(capture, *fields):
    args = ["tshark", "-r", capture, "-T", "fields", "-E", "separator=;"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [line.split(";") for line in out.splitlines()]


def sip_seeds():
    for capture in sorted(glob.glob(os.path.join(ROOT, "pcaps", "sip-*.pcap*"))):
        for udp, tcp in tshark_fields(capture, "udp.payload", "tcp.payload"):
            payload = udp or tcp
            if payload:
                save("sip", bytes.fromhex(payload.replace(":", "")))


def tls_seeds():
    for capture in sorted(glob.glob(os.path.join(ROOT, "pcaps", "tls*.pcapng"))):
        client, server = b"", b""
        for dport, payload in tshark_fields(capture, "tcp.dstport", "tcp.payload"):
            if not payload:
                continue
            data = bytes.fromhex(payload.replace(":", ""))
            if dport == "5061":
                client += data
            else:
                server += data
        total = len(client) + len(server)
        split = 255 * len(client) // total if total else 0
        save("tls", bytes([split]) + client + server, os.path.basename(capture) + ".seed")


def tls_segments(capture):
    """(from_server, payload bytes) per TCP segment with data, in capture order."""
    for dport, payload in tshark_fields(capture, "tcp.dstport", "tcp.payload"):
        if payload:
            yield dport != "5061", bytes.fromhex(payload.replace(":", ""))


def tls_decrypt_seeds():
    for capture in sorted(glob.glob(os.path.join(ROOT, "pcaps", "tls*.pcapng"))):
        data = b""
        for from_server, payload in tls_segments(capture):
            data += ((0x8000 if from_server else 0) | len(payload)).to_bytes(2, "big") + payload
        save("tls_decrypt", data, os.path.basename(capture) + ".seed")


def relay_hello_seeds():
    for capture in sorted(glob.glob(os.path.join(ROOT, "pcaps", "tls*.pcapng"))):
        sides = [b"", b""]
        for from_server, payload in tls_segments(capture):
            sides[from_server] += payload
        name = os.path.basename(capture)
        save("relay_hello", b"\x00\x00" + sides[0], name + ".client.seed")
        save("relay_hello", b"\x01\x00" + sides[1], name + ".server.seed")


def secrets_pcap_seeds():
    for name in ("tls12-cbc-good", "tls13-wildcard-incident", "tls10-rsa-aes128-sha"):
        base = os.path.join(ROOT, "pcaps", name)
        out = os.path.join(CORPUS, "pcap", name + "-dsb.pcapng")
        subprocess.run(["editcap", "--inject-secrets", "tls," + base + ".keys", base + ".pcapng", out],
                       check=True)


def filter_seeds():
    for i, expression in enumerate([
            "host 10.0.0.3", "port 5061 and not status 504", "callid abc123@exch01",
            "method INVITE or status 5xx", "not (conn 1 or conn 2)", "host 2001:db8::3 and status 2XX",
            "status 200 or method OPTIONS and conn 2", "port 70000", "method (", "((host ::1))"]):
        save("filter", expression.encode(), "expression-%02d.seed" % i)


def hep_seeds():
    invite = (b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\n"
              b"Call-ID: abc123@exch01\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    save("hep", b"10.0.0.2\n10.0.0.3\n" + invite, "ipv4-invite.seed")
    save("hep", b"2001:db8::2\n2001:db8::3\n" + invite, "ipv6-invite.seed")
    save("hep", b"10.0.0.2\nnot-an-address\n" + invite, "bad-address.seed")


def tls_record_seeds():
    sip = b"OPTIONS sip:lync01.contoso.com SIP/2.0\r\nCall-ID: abc123@exch01\r\nContent-Length: 0\r\n\r\n"
    records = [(23, sip), (21, b"\x01\x00"), (22, b"\x14\x00\x00\x0c" + bytes(12)), (23, b"")]
    data = b"".join(bytes([t]) + len(p).to_bytes(2, "big") + p for t, p in records)
    for suite in range(16):  # the order of kConfigs in fuzz_tls_record.cpp
        for flags in (0x00, 0x40, 0x80):
            save("tls_record", bytes([suite | flags]) + data, "suite%d-%02x.seed" % (suite, flags))


def x509_seeds():
    for pem in sorted(glob.glob(os.path.join(ROOT, "pcaps", "tls-pki", "*.pem"))):
        if pem.endswith(".chain.pem"):
            continue
        der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"],
                             capture_output=True, check=True).stdout
        save("x509", der, os.path.basename(pem) + ".der")


def keylog_seeds():
    for keys in sorted(glob.glob(os.path.join(ROOT, "pcaps", "tls*.keys")))[:3]:
        with open(keys, "rb") as f:
            save("keylog", f.read(), os.path.basename(keys) + ".seed")


def pcap_seeds():
    for capture in sorted(glob.glob(os.path.join(ROOT, "pcaps", "sip-*.pcap*"))
                          + glob.glob(os.path.join(ROOT, "pcaps", "bad", "*.pcap"))):
        if os.path.getsize(capture) < 64 * 1024:
            folder = os.path.join(CORPUS, "pcap")
            os.makedirs(folder, exist_ok=True)
            shutil.copy(capture, os.path.join(folder, os.path.basename(capture)))


if __name__ == "__main__":
    sip_seeds()
    tls_seeds()
    x509_seeds()
    pcap_seeds()
    keylog_seeds()
    tls_decrypt_seeds()
    tls_record_seeds()
    relay_hello_seeds()
    secrets_pcap_seeds()
    filter_seeds()
    hep_seeds()

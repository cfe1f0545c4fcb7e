#!/usr/bin/env python3
"""Seeds the fuzz corpora from the project's own sample captures and PKI (pcaps/).

sip:  each SIP payload of the plaintext captures (UDP datagrams, TCP segments)
tls:  per TLS capture, one input: a split byte, then the client's stream, then the server's
x509: the DER of every certificate in pcaps/tls-pki
pcap: the small sample captures themselves
keylog: a few of the key logs the TLS captures' peers wrote
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

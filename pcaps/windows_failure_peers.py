#!/usr/bin/env python3
"""Peers for the captures of pcaps/make_windows_failure_pcaps.sh.

Reuses the Exchange-UM-like client and Lync-like server of tls_peers.py (imported, not
changed) and adds the scenarios this set needs:

  windows_failure_peers.py run SCENARIO --pki DIR --out DIR
  windows_failure_peers.py check --dir DIR [SCENARIO...]

  tls13-good             a healthy TLS 1.3 session: OPTIONS answered with 200 OK, then the
                         client's close_notify (a 19-byte application_data record without
                         keys) and its FIN.
  tls13-good-server-fin  the same, but the client waits for the server's FIN before its own,
                         as Schannel does: the server's FIN is the first on the wire.
  tls12-good-server-fin  the same over TLS 1.2 (AES-GCM: a 26-byte encrypted alert record).
Read without keys, none of them may blame a side.

The certificate scenarios use the extra PKI that make_windows_failure_pcaps.sh adds to a copy
of tls-pki/ (client certificates issued by the Contoso issuing CA, a bundle of 300 filler CAs):
  tls12-ca-list-too-long  the server's CertificateRequest names 300 filler CAs and the Contoso
                         root (over 40 KB, past Schannel's 16 KB); the client's chain is good.
  tls12-ca-list-too-long-no-cert  the same list; the client sends no certificate.
  tls12-client-sha1-rsa1024  an AD CS-style client certificate: RSA-1024, SHA-1-signed; the
                         server (OpenSSL at its default security level) refuses it: bad_certificate.
  tls12-client-pss-signature  a client certificate signed with RSASSA-PSS (Lync 2013 cannot
                         verify it); OpenSSL accepts it and the session is healthy.
  tls12-client-no-clientauth-eku  a client certificate whose EKU is Server Authentication only,
                         as public CAs issue them from 2026; the server refuses its purpose.

  tls10-client-tls12-server  an Exchange 2010 on Server 2008 R2 without the TLS 1.2 update
                         (TLS 1.0 only, TLS_RSA_WITH_AES_128_CBC_SHA first) against a hardened
                         Skype for Business that requires TLS 1.2: protocol_version alert.
  tls12-no-shared-cipher  TLS 1.2 on both sides, but the client offers only
                         TLS_RSA_WITH_AES_128_CBC_SHA (Server 2008 R2's first choice) and the
                         server allows only ECDHE-RSA-AES256-GCM-SHA384: handshake_failure.
"""
import os
import ssl
import sys
import warnings

# TLS 1.0 is the point of a Windows Server 2008 R2 stand-in, deprecated or not.
warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*TLSv1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tls_peers  # noqa: E402

GCM = "ECDHE-RSA-AES256-GCM-SHA384"

SCENARIOS = {
    "tls13-good": dict(versions=tls_peers.TLS13, cipher=None, um_cert="um-good", requests=1),
    "tls13-good-server-fin": dict(versions=tls_peers.TLS13, cipher=None, um_cert="um-good", requests=1,
                                  client_waits_for_fin=True),
    "tls12-good-server-fin": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert="um-good", requests=1,
                                  client_waits_for_fin=True),
    "tls10-client-tls12-server": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert="um-good", requests=1,
                                      client_versions=(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1),
                                      client_cipher="AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"),
    "tls12-no-shared-cipher": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert="um-good", requests=1,
                                   client_cipher="AES128-SHA:@SECLEVEL=0"),
}

# Client certificates the peers' own security level would refuse to load get @SECLEVEL=0.
LEGACY = "DEFAULT:@SECLEVEL=0"
LONG_LIST = "filler-cas-and-contoso-root.pem"
SCENARIOS.update({
    "tls12-ca-list-too-long": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert="um-good", requests=1,
                                   server_ca_list=LONG_LIST),
    "tls12-ca-list-too-long-no-cert": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert=None, requests=1,
                                           server_ca_list=LONG_LIST),
    "tls12-client-sha1-rsa1024": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert="um-sha1-rsa1024",
                                      requests=1, client_cipher=LEGACY),
    "tls12-client-pss-signature": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert="um-pss", requests=1),
    "tls12-client-no-clientauth-eku": dict(versions=tls_peers.TLS12, cipher=GCM, um_cert="um-serverauth-only",
                                           requests=1),
})

OK = ["OPTIONS 1", "200 1"]
NO_SERVER_HELLO = -1  # refused before any ServerHello
EXPECT = {
    "tls13-good": dict(cipher=0x1302, alert=None, sip=OK, end="client-close_notify"),
    "tls13-good-server-fin": dict(cipher=0x1302, alert=None, sip=OK, end="client-close_notify-server-fin"),
    "tls12-good-server-fin": dict(cipher=0xC030, alert=None, sip=OK, end="client-close_notify-server-fin"),
    "tls10-client-tls12-server": dict(cipher=NO_SERVER_HELLO, alert={70}, sip=[], end="server-alert"),
    "tls12-no-shared-cipher": dict(cipher=NO_SERVER_HELLO, alert={40}, sip=[], end="server-alert"),
    "tls12-ca-list-too-long": dict(cipher=0xC030, alert=None, sip=OK, end="client-close_notify"),
    "tls12-ca-list-too-long-no-cert": dict(cipher=0xC030, alert={40, 116}, sip=[], end="server-alert"),
    "tls12-client-sha1-rsa1024": dict(cipher=0xC030, alert={42}, sip=[], end="server-alert"),
    "tls12-client-pss-signature": dict(cipher=0xC030, alert=None, sip=OK, end="client-close_notify"),
    "tls12-client-no-clientauth-eku": dict(cipher=0xC030, alert={43}, sip=[], end="server-alert"),
}

_scenario = {}
_bare_fin_and_close = tls_peers.TlsConn.bare_fin_and_close
_check_one = tls_peers.check_one
_client_context = tls_peers.client_context
_server_context = tls_peers.server_context


def server_context(pki, sc, keylog):
    """The server's CertificateRequest names the scenario's CA list where it has one."""
    ctx = _server_context(pki, sc, keylog)
    if sc.get("server_ca_list") and not tls_peers.set_client_ca_list(ctx, os.path.join(pki, sc["server_ca_list"])):
        raise RuntimeError("could not set the CertificateRequest CA list")
    return ctx


def client_context(pki, sc, keylog):
    """The older side: its own versions and cipher list where the scenario names them."""
    # The chain is loaded after the cipher list: its @SECLEVEL decides whether OpenSSL lets
    # this side load a SHA-1 or RSA-1024 certificate at all.
    ctx = _client_context(pki, dict(sc, um_cert=None), keylog)
    if sc.get("client_versions"):
        ctx.minimum_version, ctx.maximum_version = sc["client_versions"]
    if sc.get("client_cipher"):
        ctx.set_ciphers(sc["client_cipher"])
    if sc["um_cert"]:
        ctx.load_cert_chain(os.path.join(pki, sc["um_cert"] + ".chain.pem"),
                            os.path.join(pki, sc["um_cert"] + ".key"))
    return ctx


def bare_fin_and_close(conn):
    """A client told to wait sends its FIN only after the server's (or after DRAIN_TIMEOUT)."""
    if conn.who == "client" and _scenario.get("client_waits_for_fin"):
        tls_peers.drain(conn.sock, tls_peers.DRAIN_TIMEOUT)
    _bare_fin_and_close(conn)


def check_one(d, name):
    problems = _check_one(d, name)
    if EXPECT[name]["cipher"] == NO_SERVER_HELLO:
        problems = [p for p in problems if not p.startswith("ServerHello cipher")]
    if EXPECT[name]["end"] != "client-close_notify-server-fin":
        return problems
    plain = tls_peers.tshark_frames(os.path.join(d, name + ".pcapng"))
    fins = [f for f in plain if f["tcp.flags.fin"] in ("1", "True")]
    if not fins or fins[0]["ip.src"] != tls_peers.SERVER_IP:
        problems.append("expected the server's FIN first")
    last_client_data = max((int(f["frame.number"]) for f in plain
                            if f["ip.src"] == tls_peers.CLIENT_IP and int(f["tcp.len"] or 0) > 0), default=0)
    if fins and int(fins[0]["frame.number"]) < last_client_data:
        problems.append("the server's FIN came before the client's close_notify")
    return problems


def main(argv):
    # Only this set's scenarios are offered, so `run` cannot overwrite another set's capture.
    tls_peers.SCENARIOS.clear()
    tls_peers.SCENARIOS.update(SCENARIOS)
    tls_peers.EXPECT.clear()
    tls_peers.EXPECT.update(EXPECT)
    tls_peers.TlsConn.bare_fin_and_close = bare_fin_and_close
    tls_peers.check_one = check_one
    tls_peers.client_context = client_context
    tls_peers.server_context = server_context
    if len(argv) > 1 and argv[0] == "run" and argv[1] in SCENARIOS:
        _scenario.update(SCENARIOS[argv[1]])
    return tls_peers.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

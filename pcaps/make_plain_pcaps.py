#!/usr/bin/env python3
"""Write siptap's plaintext SIP sample captures into this folder.

Everything is built by hand (Python standard library only) so that the files are
reproducible byte for byte: fixed timestamps from 2026-03-02T09:15:00Z, fixed
addresses, and "random" tokens (tags, branches, Call-IDs) derived from fixed labels
with SHA-256.  Run it again and `sha256sum pcaps/*` must not change.

    python3 pcaps/make_plain_pcaps.py [--out DIR]

(--out writes the files under DIR instead: tests/cli/sample_captures.test.cpp does that and
compares them with the committed ones.)

Layers, bottom-up: file writers (pcap, pcapng) <- link framing (Ethernet/VLAN, SLL,
SLL2, raw, BSD null) <- IPv4/IPv6 <- UDP/TCP (real checksums) <- SIP messages.
See README.md in this folder for what each capture is for.
"""
import argparse
import calendar
import hashlib
import ipaddress
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE  # where the files go (--out)
T0_US = calendar.timegm((2026, 3, 2, 9, 15, 0)) * 1_000_000  # 2026-03-02T09:15:00Z

# Link types (tcpdump.org/linktypes.html)
DLT_NULL, DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_USER0, DLT_LINUX_SLL2 = 0, 1, 101, 113, 147, 276
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tok(label, n=10):
    """A random-looking but fixed hex token, so tags and branches differ yet never change."""
    return hashlib.sha256(label.encode()).hexdigest()[:n]


# ---------------------------------------------------------------- file writers

def write_pcap(name, linktype, frames, snaplen=262144):
    """Classic libpcap, little endian, microsecond timestamps (magic a1b2c3d4)."""
    out = [struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for t, data in frames:
        out.append(struct.pack('<IIII', t // 1_000_000, t % 1_000_000, len(data), len(data)) + data)
    return write_file(name, b''.join(out))


def write_file(name, data):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    return data


def pcapng_block(btype, body):
    body += b'\0' * (-len(body) % 4)  # blocks are 32-bit aligned
    return struct.pack('<II', btype, 12 + len(body)) + body + struct.pack('<I', 12 + len(body))


def pcapng_opt(code, value):
    return struct.pack('<HH', code, len(value)) + value + b'\0' * (-len(value) % 4)


def write_pcapng(name, linktype, frames, snaplen=262144):
    """pcapng: one Section Header, one Interface Description, Enhanced Packet Blocks.
    Default if_tsresol is microseconds, matching the classic files."""
    shb = pcapng_block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1)
                       + pcapng_opt(4, b'make_plain_pcaps.py') + pcapng_opt(0, b''))
    idb = pcapng_block(1, struct.pack('<HHI', linktype, 0, snaplen)
                       + pcapng_opt(2, b'eth0') + pcapng_opt(9, b'\x06') + pcapng_opt(0, b''))
    epbs = [pcapng_block(6, struct.pack('<IIIII', 0, t >> 32, t & 0xFFFFFFFF, len(d), len(d)) + d)
            for t, d in frames]
    return write_file(name, shb + idb + b''.join(epbs))


# ---------------------------------------------------------------- link layers

def mac(ip):
    """Fixed MAC per IP; 00:15:5d is Hyper-V's OUI, where Exchange and Lync usually run."""
    return bytes.fromhex('00155d' + tok('mac' + ip, 6))


def ethertype(pkt):
    return 0x86DD if pkt[0] >> 4 == 6 else 0x0800


def link_eth(src, dst, pkt, host, vlans=()):
    """Ethernet II; vlans = [(tpid, vid), ...] outermost first (0x88a8 S-tag, 0x8100 C-tag)."""
    frame = mac(dst) + mac(src)
    for tpid, vid in vlans:
        frame += struct.pack('!HH', tpid, vid)  # PCP 0, DEI 0
    frame += struct.pack('!H', ethertype(pkt)) + pkt
    return frame + b'\0' * (60 - len(frame))  # short frames are padded on the wire


def sll_pkttype(src, host):
    return 4 if src == host else 0  # PACKET_OUTGOING / PACKET_HOST, seen from the capturing host


def link_sll(src, dst, pkt, host, **_):
    """Linux cooked v1: pkttype, ARPHRD_ETHER, address length, address (8 bytes), protocol."""
    return struct.pack('!HHH8sH', sll_pkttype(src, host), 1, 6, mac(src), ethertype(pkt)) + pkt


def link_sll2(src, dst, pkt, host, **_):
    """Linux cooked v2: protocol, reserved, ifindex, ARPHRD_ETHER, pkttype, addr len, address."""
    return struct.pack('!HHIHBB8s', ethertype(pkt), 0, 2, 1, sll_pkttype(src, host), 6, mac(src)) + pkt


def link_raw(src, dst, pkt, host, **_):
    return pkt


def link_null(src, dst, pkt, host, **_):
    """BSD loopback: address family in the capturing host's (little endian) byte order.
    AF_INET6 is 30 on macOS (24 on NetBSD/OpenBSD, 28 on FreeBSD)."""
    return struct.pack('<I', 30 if pkt[0] >> 4 == 6 else 2) + pkt


# ---------------------------------------------------------------- IP

def csum(data):
    """Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packed(ip):
    return ipaddress.ip_address(ip).packed


def ipv4(src, dst, proto, payload, ident, ttl=128, df=True, frag_off=0, mf=False, ihl=5):
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, 20 + len(payload), ident, flags, ttl, proto, 0,
                      packed(src), packed(dst))
    return hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, proto, payload, ext=None, hlim=64):
    """ext = 0 (Hop-by-Hop) or 60 (Destination Options): one 8-byte header padded with PadN."""
    if ext is not None:
        payload = bytes([proto, 0, 1, 4, 0, 0, 0, 0]) + payload
        proto = ext
    return struct.pack('!IHBB16s16s', 6 << 28, len(payload), proto, hlim, packed(src), packed(dst)) + payload


def pseudo_header(src, dst, proto, length):
    """Checksum pseudo header; for IPv6 it names the upper layer, not an extension header."""
    s, d = packed(src), packed(dst)
    if len(s) == 4:
        return s + d + struct.pack('!BBH', 0, proto, length)
    return s + d + struct.pack('!I3xB', length, proto)


# ---------------------------------------------------------------- UDP / TCP

def udp(src, sport, dst, dport, payload, bogus_length=None):
    hdr = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0)
    c = csum(pseudo_header(src, dst, 17, 8 + len(payload)) + hdr + payload) or 0xFFFF  # 0 = "none"
    return struct.pack('!HHHH', sport, dport, bogus_length or 8 + len(payload), c) + payload


# SYN options as Windows sends them: MSS 1460, NOP, NOP, SACK permitted.
SYN_OPTS = struct.pack('!BBH', 2, 4, 1460) + b'\x01\x01\x04\x02'


def tcp(src, sport, dst, dport, seq, ack, flags, payload=b'', opts=b'', window=64240):
    hdr = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, (20 + len(opts)) // 4 << 4, flags,
                      window, 0, 0) + opts
    c = csum(pseudo_header(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack('!H', c) + hdr[18:] + payload


class Capture:
    """One capture being built: its clock, its link framing and per-host IPv4 IDs."""

    def __init__(self, link=link_eth, host=None, ext6=None):
        self.t, self.frames, self.link, self.host, self.ext6 = T0_US, [], link, host, ext6
        self.ids = {}

    def next_id(self, src):
        self.ids[src] = (self.ids.get(src, int(tok('ipid' + src, 4), 16)) + 1) & 0xFFFF
        return self.ids[src]

    def ip(self, src, dst, proto, l4):
        if ':' in src:
            return ipv6(src, dst, proto, l4, ext=self.ext6)
        return ipv4(src, dst, proto, l4, self.next_id(src))

    def put(self, pkt, dt_ms=0.0, **link_opts):
        """Capture an IP packet dt_ms after the previous one; pkt = (src, dst, ip bytes)."""
        self.t += round(dt_ms * 1000)
        src, dst, data = pkt
        self.frames.append((self.t, self.link(src, dst, data, self.host, **link_opts)))

    def udp(self, a, b, payload, dt_ms=0.0, **link_opts):
        """Send one UDP datagram from a=(ip, port) to b."""
        self.put((a[0], b[0], self.ip(a[0], b[0], 17, udp(a[0], a[1], b[0], b[1], payload))),
                 dt_ms, **link_opts)


class TcpConn:
    """Tracks both sides' sequence numbers; every segment acks all the peer has sent."""

    def __init__(self, cap, client, server, isn_c, isn_s):
        self.cap, self.addr, self.nxt = cap, {'c': client, 's': server}, {'c': isn_c, 's': isn_s}

    def seg(self, side, flags, data=b'', seq=None, opts=b''):
        """Build (not capture) one segment.  With seq=None it continues the stream; an explicit
        seq builds a retransmission/overlap and leaves the stream position alone."""
        peer = 's' if side == 'c' else 'c'
        (sa, sp), (da, dp) = self.addr[side], self.addr[peer]
        s = self.nxt[side] if seq is None else seq
        ack = self.nxt[peer] if flags & ACK else 0
        if seq is None:
            self.nxt[side] = s + len(data) + (1 if flags & (SYN | FIN) else 0)
        return (sa, da, self.cap.ip(sa, da, 6, tcp(sa, sp, da, dp, s, ack, flags, data, opts)))

    def handshake(self, rtt_ms=0.4, dt_ms=0.0):
        self.cap.put(self.seg('c', SYN, opts=SYN_OPTS), dt_ms)
        self.cap.put(self.seg('s', SYN | ACK, opts=SYN_OPTS), rtt_ms / 2)
        self.cap.put(self.seg('c', ACK), rtt_ms / 2)

    def segments(self, side, data, sizes=None):
        """Cut data into segments of the given sizes (rest in the last); PSH on the last."""
        cuts, pos = [], 0
        for n in (sizes or []):
            cuts.append(data[pos:pos + n])
            pos += n
        cuts.append(data[pos:])
        return [self.seg(side, ACK | (PSH if i == len(cuts) - 1 else 0), c) for i, c in enumerate(cuts)]

    def send(self, side, data, dt_ms=0.0, sizes=None, step_ms=0.05):
        for i, s in enumerate(self.segments(side, data, sizes)):
            self.cap.put(s, dt_ms if i == 0 else step_ms)

    def ack(self, side, dt_ms=0.2):
        self.cap.put(self.seg(side, ACK), dt_ms)

    def close(self, first='c', dt_ms=5.0):
        other = 's' if first == 'c' else 'c'
        self.cap.put(self.seg(first, FIN | ACK), dt_ms)
        self.cap.put(self.seg(other, FIN | ACK), 0.3)
        self.cap.put(self.seg(first, ACK), 0.2)


# ---------------------------------------------------------------- SIP

def sip(first_line, headers, body=b'', cl_name='Content-Length'):
    """A SIP message with CRLF line ends and a correct Content-Length (RFC 3261 §7)."""
    body = body.encode() if isinstance(body, str) else body
    lines = [first_line] + ['%s: %s' % h for h in headers] + ['%s: %d' % (cl_name, len(body))]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


def hostport(ip, port):
    return '[%s]:%d' % (ip, port) if ':' in ip else '%s:%d' % (ip, port)


def sdp(user, ip, port, sess, extra=()):
    """A plain audio offer/answer (RFC 4566): G.711 and RFC 4733 DTMF."""
    fam = 'IP6' if ':' in ip else 'IP4'
    lines = ['v=0', 'o=%s %d %d IN %s %s' % (user, sess, sess, fam, ip), 's=-',
             'c=IN %s %s' % (fam, ip), 't=0 0', 'm=audio %d RTP/AVP 0 8 101' % port,
             'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
             'a=fmtp:101 0-16', 'a=ptime:20'] + list(extra) + ['a=sendrecv']
    return '\r\n'.join(lines) + '\r\n'


ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, INFO, UPDATE'


def call_dialog(label, transport, a, b, big_sdp=False):
    """The messages of a basic call (RFC 3665 §3.1) from alice at a=(ip,port) to bob at b:
    INVITE, 100, 180, 200, ACK, BYE, 200.  Returns a dict of bytes."""
    t = transport.upper()
    tp = '' if t == 'UDP' else ';transport=' + t.lower()
    ah, bh = hostport(*a), hostport(*b)
    call_id = '%s@%s' % (tok(label + 'callid', 20), a[0])
    frm = '"Alice" <sip:alice@example.com>;tag=' + tok(label + 'ftag', 8)
    to = '<sip:bob@example.com>'
    to_t = to + ';tag=' + tok(label + 'ttag', 8)
    via = lambda n: 'SIP/2.0/%s %s;branch=z9hG4bK%s' % (t, ah, tok(label + 'branch%d' % n, 16))
    ca, cb = '<sip:alice@%s%s>' % (ah, tp), '<sip:bob@%s%s>' % (bh, tp)
    sdp_a = sdp('alice', a[0], 49170, 2890844526)
    if big_sdp:  # ICE candidates until the INVITE is ~3500 bytes: more than one Ethernet MTU
        cands = []
        while len(sdp_a) < 3050:
            i = len(cands)
            cands.append('a=candidate:%d 1 UDP %d 192.0.2.%d %d typ host generation 0'
                         % (i + 1, 2130706431 - i * 256, 10 + i % 200, 49170 + 2 * i))
            sdp_a = sdp('alice', a[0], 49170, 2890844526, cands)
    sdp_b = sdp('bob', b[0], 3456, 2890844730)

    def req(method, ruri, n, cseq, extra=(), body=''):
        return sip('%s %s SIP/2.0' % (method, ruri),
                   [('Via', via(n)), ('Max-Forwards', '70'), ('From', frm),
                    ('To', to if method == 'INVITE' else to_t), ('Call-ID', call_id),
                    ('CSeq', '%d %s' % (cseq, method))] + list(extra), body)

    def resp(code, reason, n, cseq, to_hdr, extra=(), body=''):
        return sip('SIP/2.0 %d %s' % (code, reason),
                   [('Via', via(n)), ('From', frm), ('To', to_hdr), ('Call-ID', call_id),
                    ('CSeq', cseq)] + list(extra), body)

    bob_hdrs = [('Contact', cb), ('Allow', ALLOW), ('Server', 'ExampleSIP/2.4')]
    return {
        'invite': req('INVITE', 'sip:bob@%s%s' % (bh, tp), 1, 1,
                      [('Contact', ca), ('Allow', ALLOW), ('Supported', 'replaces, timer'),
                       ('User-Agent', 'ExampleSIP/2.4'), ('Content-Type', 'application/sdp')], sdp_a),
        'trying': resp(100, 'Trying', 1, '1 INVITE', to),
        'ringing': resp(180, 'Ringing', 1, '1 INVITE', to_t, bob_hdrs),
        'ok': resp(200, 'OK', 1, '1 INVITE', to_t, bob_hdrs + [('Content-Type', 'application/sdp')], sdp_b),
        'ack': req('ACK', 'sip:bob@%s%s' % (bh, tp), 2, 1),
        'bye': req('BYE', 'sip:bob@%s%s' % (bh, tp), 3, 2, [('User-Agent', 'ExampleSIP/2.4')]),
        'bye_ok': resp(200, 'OK', 3, '2 BYE', to_t, [('Server', 'ExampleSIP/2.4')]),
    }


def options_exchange(label, transport, a, b):
    """An OPTIONS keep-alive from a to b and its 200 OK."""
    t = transport.upper()
    ah, bh = hostport(*a), hostport(*b)
    via = 'SIP/2.0/%s %s;branch=z9hG4bK%s' % (t, ah, tok(label + 'branch', 16))
    frm = '<sip:monitor@%s>;tag=%s' % (ah, tok(label + 'ftag', 8))
    to = '<sip:%s>' % bh
    call_id = '%s@%s' % (tok(label + 'callid', 20), a[0])
    common = [('Via', via), ('From', frm)]
    req = sip('OPTIONS sip:%s SIP/2.0' % bh,
              common[:1] + [('Max-Forwards', '70')] + common[1:] +
              [('To', to), ('Call-ID', call_id), ('CSeq', '1 OPTIONS'),
               ('Contact', '<sip:monitor@%s>' % ah), ('Accept', 'application/sdp'),
               ('User-Agent', 'ExampleSIP/2.4')])
    resp = sip('SIP/2.0 200 OK', common + [('To', to + ';tag=' + tok(label + 'ttag', 8)),
                                           ('Call-ID', call_id), ('CSeq', '1 OPTIONS'),
                                           ('Allow', ALLOW), ('Accept', 'application/sdp'),
                                           ('Supported', 'replaces, timer'),
                                           ('Server', 'ExampleSIP/2.4')])
    return req, resp


def message_exchange(label, a, b, text):
    """A pager-mode MESSAGE (RFC 3428) over UDP and its 200 OK."""
    ah = hostport(*a)
    via = 'SIP/2.0/UDP %s;branch=z9hG4bK%s' % (ah, tok(label + 'branch', 16))
    frm = '"Alice" <sip:alice@example.com>;tag=' + tok(label + 'ftag', 8)
    to = '<sip:bob@example.com>'
    call_id = '%s@%s' % (tok(label + 'callid', 20), a[0])
    req = sip('MESSAGE sip:bob@%s SIP/2.0' % hostport(*b),
              [('Via', via), ('Max-Forwards', '70'), ('From', frm), ('To', to),
               ('Call-ID', call_id), ('CSeq', '1 MESSAGE'), ('User-Agent', 'ExampleSIP/2.4'),
               ('Content-Type', 'text/plain')], text)
    resp = sip('SIP/2.0 200 OK', [('Via', via), ('From', frm),
                                  ('To', to + ';tag=' + tok(label + 'ttag', 8)),
                                  ('Call-ID', call_id), ('CSeq', '1 MESSAGE')])
    return req, resp


# ---------------------------------------------------------------- the captures

A4, B4 = ('192.0.2.10', 5060), ('192.0.2.20', 5060)
A6, B6 = ('2001:db8::10', 5060), ('2001:db8::20', 5060)


def udp_call(cap, label, a, b):
    m = call_dialog(label, 'UDP', a, b)
    cap.udp(a, b, m['invite'])
    cap.udp(b, a, m['trying'], 1.2)
    cap.udp(b, a, m['ringing'], 35.7)
    cap.udp(b, a, m['ok'], 3412.8)
    cap.udp(a, b, m['ack'], 2.1)
    cap.udp(a, b, m['bye'], 12034.5)
    cap.udp(b, a, m['bye_ok'], 1.6)


def make_udp_call():
    cap = Capture()
    udp_call(cap, 'udp-call', A4, B4)
    return write_pcap('sip-udp-call.pcap', DLT_EN10MB, cap.frames)


def make_tcp_segmented():
    cap = Capture()
    c, s = ('192.0.2.10', 49732), ('192.0.2.20', 5060)
    m = call_dialog('tcp-segmented', 'TCP', c, s)
    conn = TcpConn(cap, c, s, 0x3A1F0C00, 0x7D22B400)
    conn.handshake()
    # The INVITE in exactly three segments: the first ends in the middle of the headers, the
    # second 60 bytes into the SDP body, so a parser must wait for both the blank line and
    # Content-Length bytes.
    head = m['invite'].index(b'\r\n\r\n') + 4
    conn.send('c', m['invite'], dt_ms=0.3, sizes=[head // 2, head - head // 2 + 60])
    conn.ack('s')
    conn.send('s', m['trying'] + m['ringing'], dt_ms=1.5)  # two messages in one segment
    conn.send('s', m['ok'], dt_ms=2890.4)
    conn.send('c', m['ack'], dt_ms=1.9)
    conn.ack('s')
    conn.send('c', m['bye'], dt_ms=9876.5)
    conn.send('s', m['bye_ok'], dt_ms=1.4)
    conn.close('c')
    return write_pcap('sip-tcp-segmented.pcap', DLT_EN10MB, cap.frames)


def make_options_504():
    """The incident in plaintext: Exchange UM's UCMA OPTIONS and Lync's 504 with ms-diagnostics 1010."""
    cap = Capture()
    um, lync = ('10.0.0.2', 50341), ('10.0.0.3', 5060)
    via = 'SIP/2.0/TCP 10.0.0.2:50341;branch=z9hG4bK' + tok('um-branch', 24)
    frm = '<sip:exch01.contoso.com:5060;transport=Tcp>;epid=%s;tag=%s' % (tok('um-epid', 10), tok('um-ftag', 10))
    to = '<sip:lync01.contoso.com:5060;transport=Tcp>'
    call_id = tok('um-callid', 32)
    # UCMA writes header names in capitals; SIP header names are case-insensitive.
    options = sip('OPTIONS sip:lync01.contoso.com:5060;transport=Tcp SIP/2.0', [
        ('FROM', frm), ('TO', to), ('CSEQ', '1 OPTIONS'), ('CALL-ID', call_id),
        ('MAX-FORWARDS', '70'), ('VIA', via),
        ('CONTACT', '<sip:exch01.contoso.com:5060;transport=Tcp;maddr=exch01.contoso.com>'),
        ('SUPPORTED', 'ms-dialog-route-set-update'), ('USER-AGENT', 'RTCC/4.0.0.0 MSExchangeUM/14.0')],
        cl_name='CONTENT-LENGTH')
    diag = ('1010;reason="Certificate trust with another server could not be established";'
            'source="lync01.contoso.com";msexchHRESULT="0x800B010F(CERT_E_CN_NO_MATCH)"')
    resp = sip('SIP/2.0 504 Server Time-out', [
        ('Via', via), ('From', frm), ('To', to + ';tag=' + tok('lync-ttag', 32).upper()),
        ('Call-ID', call_id), ('CSeq', '1 OPTIONS'), ('ms-diagnostics', diag), ('Server', 'RTC/5.0')])
    conn = TcpConn(cap, um, lync, 0x5C0FFEE0, 0x1B0B5EED)
    conn.handshake()
    conn.send('c', options, dt_ms=0.4)
    conn.send('s', resp, dt_ms=48.2)
    conn.close('c', dt_ms=1.1)
    return write_pcap('sip-options-504-ms-diagnostics.pcap', DLT_EN10MB, cap.frames)


def make_ipv6():
    """REGISTER with digest challenge over UDP/IPv6 behind a Hop-by-Hop header, then
    OPTIONS/200 over TCP/IPv6 behind a Destination Options header."""
    cap = Capture(ext6=0)
    ah = hostport(*A6)
    realm, nonce = 'example.com', tok('nonce', 32)
    frm = '"Alice" <sip:alice@example.com>;tag=' + tok('reg-ftag', 8)
    call_id = '%s@[%s]' % (tok('reg-callid', 20), A6[0])
    ruri, to = 'sip:example.com', '<sip:alice@example.com>'

    def register(n, extra=()):
        return sip('REGISTER %s SIP/2.0' % ruri, [
            ('Via', 'SIP/2.0/UDP %s;branch=z9hG4bK%s' % (ah, tok('reg-branch%d' % n, 16))),
            ('Max-Forwards', '70'), ('From', frm), ('To', to), ('Call-ID', call_id),
            ('CSeq', '%d REGISTER' % n), ('Contact', '<sip:alice@%s>' % ah), ('Expires', '3600'),
            ('User-Agent', 'ExampleSIP/2.4')] + list(extra))

    def reply(n, code, reason, extra=()):
        return sip('SIP/2.0 %d %s' % (code, reason), [
            ('Via', 'SIP/2.0/UDP %s;branch=z9hG4bK%s' % (ah, tok('reg-branch%d' % n, 16))),
            ('From', frm), ('To', to + ';tag=' + tok('reg-ttag%d' % n, 8)), ('Call-ID', call_id),
            ('CSeq', '%d REGISTER' % n)] + list(extra))

    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
    # A real RFC 2617 digest (password "secret"), so the capture is self-consistent.
    ha1, ha2 = md5('alice:%s:secret' % realm), md5('REGISTER:' + ruri)
    cnonce = tok('cnonce', 16)
    response = md5('%s:%s:00000001:%s:auth:%s' % (ha1, nonce, cnonce, ha2))
    auth = ('Digest username="alice", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, cnonce="%s", qop=auth, nc=00000001' % (realm, nonce, ruri, response, cnonce))
    cap.udp(A6, B6, register(1))
    cap.udp(B6, A6, reply(1, 401, 'Unauthorized', [
        ('WWW-Authenticate', 'Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"' % (realm, nonce))]), 2.3)
    cap.udp(A6, B6, register(2, [('Authorization', auth)]), 14.6)
    cap.udp(B6, A6, reply(2, 200, 'OK', [('Contact', '<sip:alice@%s>;expires=3600' % ah),
                                         ('Date', 'Mon, 02 Mar 2026 09:15:00 GMT')]), 3.1)
    cap.ext6 = 60  # the TCP part carries a Destination Options header instead
    c, s = ('2001:db8::10', 50112), ('2001:db8::20', 5060)
    req, resp = options_exchange('v6-tcp-options', 'TCP', c, s)
    conn = TcpConn(cap, c, s, 0x0BADCAFE, 0x600DF00D)
    conn.handshake(dt_ms=1000.0)
    conn.send('c', req, dt_ms=0.3)
    conn.send('s', resp, dt_ms=0.9)
    conn.close('c')
    return write_pcapng('sip-ipv6.pcapng', DLT_EN10MB, cap.frames)


def make_vlan():
    cap = Capture()
    req, resp = message_exchange('vlan-100', A4, B4, 'Hello from VLAN 100')
    cap.udp(A4, B4, req, vlans=[(0x8100, 100)])
    cap.udp(B4, A4, resp, 0.8, vlans=[(0x8100, 100)])
    a, b = ('198.51.100.10', 5060), ('198.51.100.20', 5060)
    req, resp = message_exchange('qinq-200-100', a, b, 'Hello from S-VLAN 200 / C-VLAN 100')
    qinq = [(0x88A8, 200), (0x8100, 100)]
    cap.udp(a, b, req, 250.0, vlans=qinq)
    cap.udp(b, a, resp, 0.9, vlans=qinq)
    return write_pcap('sip-vlan.pcap', DLT_EN10MB, cap.frames)


def make_cooked_and_loopback():
    """The same OPTIONS/200 over other link types; raw and null also carry it over IPv6."""
    for name, dlt, link, v6 in [('sip-linux-sll.pcap', DLT_LINUX_SLL, link_sll, False),
                                ('sip-linux-sll2.pcap', DLT_LINUX_SLL2, link_sll2, False),
                                ('sip-raw-ip.pcap', DLT_RAW, link_raw, True),
                                ('sip-bsd-null.pcap', DLT_NULL, link_null, True)]:
        cap = Capture(link=link, host=A4[0])
        req, resp = options_exchange(name + '-v4', 'UDP', A4, B4)
        cap.udp(A4, B4, req)
        cap.udp(B4, A4, resp, 0.7)
        if v6:
            req, resp = options_exchange(name + '-v6', 'UDP', A6, B6)
            cap.udp(A6, B6, req, 30000.0)
            cap.udp(B6, A6, resp, 0.6)
        write_pcap(name, dlt, cap.frames)


def make_fragmented():
    """A ~3500-byte UDP INVITE in three IPv4 fragments (last one captured first)."""
    cap = Capture()
    m = call_dialog('fragmented', 'UDP', A4, B4, big_sdp=True)
    l4 = udp(A4[0], A4[1], B4[0], B4[1], m['invite'])
    ident, step = cap.next_id(A4[0]), (1500 - 20) // 8 * 8  # fragment offsets count 8-byte units
    frags = [ipv4(A4[0], B4[0], 17, l4[o:o + step], ident, df=False, frag_off=o, mf=o + step < len(l4))
             for o in range(0, len(l4), step)]
    assert len(frags) == 3
    for i, f in enumerate([frags[2], frags[0], frags[1]]):
        cap.put((A4[0], B4[0], f), 0.02 if i else 0)
    cap.udp(B4, A4, m['ok'], 1.3)
    return write_pcap('sip-ipv4-fragmented.pcap', DLT_EN10MB, cap.frames)


def make_tcp_reorder():
    cap = Capture()
    c, s = ('192.0.2.10', 49801), ('192.0.2.20', 5060)
    m = call_dialog('tcp-reorder', 'TCP', c, s)
    conn = TcpConn(cap, c, s, 0x11223344, 0x55667788)
    conn.handshake()
    invite = conn.segments('c', m['invite'])[0]
    cap.put(invite, 0.3)
    cap.put(invite, 210.0)  # the same frame again: an exact-duplicate retransmission
    conn.send('s', m['trying'], dt_ms=0.4)
    # 200 OK in two segments that arrive swapped: the reassembler must hold the second one.
    first, second = conn.segments('s', m['ok'], sizes=[len(m['ok']) // 2])
    cap.put(second, 2500.0)
    cap.put(first, 0.1)
    # ACK in two segments; the second re-sends the first one's last 24 bytes (overlap).
    cut = len(m['ack']) // 2
    start = conn.nxt['c']
    cap.put(conn.seg('c', ACK, m['ack'][:cut]), 1.8)
    cap.put(conn.seg('c', ACK | PSH, m['ack'][cut - 24:], seq=start + cut - 24), 0.2)
    conn.nxt['c'] = start + len(m['ack'])
    conn.ack('s')
    conn.send('c', m['bye'], dt_ms=8000.0)
    conn.send('s', m['bye_ok'], dt_ms=1.2)
    conn.close('c')
    return write_pcap('sip-tcp-reorder.pcap', DLT_EN10MB, cap.frames)


def make_tcp_gap():
    cap = Capture()
    c, s = ('192.0.2.10', 49877), ('192.0.2.20', 5060)
    m = call_dialog('tcp-gap', 'TCP', c, s)
    conn = TcpConn(cap, c, s, 0x0A0B0C0D, 0x21436587)
    conn.handshake()
    conn.send('c', m['invite'], dt_ms=0.3)
    conn.send('s', m['trying'], dt_ms=1.1)
    conn.send('s', m['ringing'], dt_ms=40.2)
    conn.send('s', m['ok'], dt_ms=3100.0)
    conn.segments('c', m['ack'])  # the client sends its ACK, but the capture misses it
    conn.ack('s', dt_ms=2.5)      # ...and the server acks past it
    conn.send('c', m['bye'], dt_ms=7000.0)
    conn.send('s', m['bye_ok'], dt_ms=1.3)
    cap.put(conn.seg('s', RST | ACK), 0.4)
    return write_pcap('sip-tcp-gap.pcap', DLT_EN10MB, cap.frames)


def make_bad(udp_call_pcap):
    write_file('bad/not-a-capture.pcap', b'This is not a capture file, just a few words of text.\n')
    # Cut in the middle of the 4th packet's data: global header, 3 records, 4th header, half of it.
    off = 24
    for _ in range(3):
        off += 16 + struct.unpack_from('<I', udp_call_pcap, off + 8)[0]
    off += 16 + struct.unpack_from('<I', udp_call_pcap, off + 8)[0] // 2
    write_file('bad/truncated.pcap', udp_call_pcap[:off])
    cap = Capture()
    cap.udp(A4, B4, options_exchange('user0', 'UDP', A4, B4)[0])
    write_pcap('bad/unknown-linktype.pcap', DLT_USER0, cap.frames)
    write_pcap('bad/empty.pcap', DLT_EN10MB, [])
    # Good OPTIONS/200 around two broken MESSAGEs.
    cap = Capture()
    req, resp = options_exchange('bad-1', 'UDP', A4, B4)
    cap.udp(A4, B4, req)
    cap.udp(B4, A4, resp, 0.7)
    msg1, _ = message_exchange('bad-ihl', A4, B4, 'IPv4 header length field says 16 bytes')
    l4 = udp(A4[0], A4[1], B4[0], B4[1], msg1)
    cap.put((A4[0], B4[0], ipv4(A4[0], B4[0], 17, l4, cap.next_id(A4[0]), ihl=4)), 500.0)
    msg2, _ = message_exchange('bad-udplen', A4, B4, 'UDP length field is larger than the packet')
    l4 = udp(A4[0], A4[1], B4[0], B4[1], msg2, bogus_length=8 + len(msg2) + 400)
    cap.put((A4[0], B4[0], cap.ip(A4[0], B4[0], 17, l4)), 500.0)
    req, resp = options_exchange('bad-2', 'UDP', A4, B4)
    cap.udp(A4, B4, req, 500.0)
    cap.udp(B4, A4, resp, 0.7)
    write_pcap('bad/bad-packets.pcap', DLT_EN10MB, cap.frames)


def main():
    global OUT
    parser = argparse.ArgumentParser(description="Write siptap's plaintext SIP sample captures.")
    parser.add_argument('--out', default=HERE, help='folder to write into (default: this one)')
    OUT = parser.parse_args().out
    udp_call_pcap = make_udp_call()
    make_tcp_segmented()
    make_options_504()
    make_ipv6()
    make_vlan()
    make_cooked_and_loopback()
    make_fragmented()
    make_tcp_reorder()
    make_tcp_gap()
    make_bad(udp_call_pcap)


if __name__ == '__main__':
    main()

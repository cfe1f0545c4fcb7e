#!/usr/bin/env python3
"""Generate a large plaintext SIP capture (classic pcap, Ethernet/IPv4, UDP and TCP) for
siptap's read benchmark.  Python 3 standard library only.

    python3 bench/make_sip_capture.py [OUT] [--size-mb 300] [--seed 1]

OUT defaults to /tmp/siptap-bench/sip-300mb.pcap.  Never commit the generated file.
Next to it, OUT.meta.json records what was written (packets, SIP messages by transport,
dialogs, TCP connections, ...) so the benchmark can check every tool's count.

The traffic is one SIP proxy (10.0.0.10, port 5060) and its neighbours, with overlapping
dialogs merged in time order by an event scheduler (one Python generator per conversation):

- UDP peers (PBXs, gateways, 10.1.x.y:5060): calls in both directions, OPTIONS pings from
  the proxy every 30 s, REGISTER with a 401 digest challenge.
- TCP trunks (10.3.0.x): long-lived connections carrying many concurrent calls, reconnected
  every couple of minutes (a new ephemeral port each time).
- TCP phones (10.2.x.y): a connection per session: REGISTER/401/REGISTER/200, zero to two
  calls, an OPTIONS keepalive, then a FIN (a few end with RST) teardown.
- Calls: INVITE (SDP) / 100 / 180 / 200 (SDP) / ACK / BYE / 200 for most; some 486 Busy
  (INVITE/100/486/ACK) and some cancelled (INVITE/100/180/CANCEL/200/487/ACK).
- TCP details: three-way handshake with the MSS option, sequence and acknowledgement numbers
  that add up, 100 and 180 written together (two messages in one segment), large INVITEs
  (ICE/SRTP SDP) split at the MSS (1460, or 536 for some phones), some phones writing the
  headers and the body separately (a message over two segments), pure ACKs, FIN/FIN/ACK.
- A quarter of the UDP peers use compact header forms (v: f: t: i: m: l: c: k:).

Checksums (IPv4, UDP, TCP) are left at zero: tshark does not verify them by default and the
generator stays fast (under a minute for 300 MB, about 18 s of CPU).  The output is deterministic for a seed.
"""
import argparse
import calendar
import heapq
import json
import os
import random
import struct
import sys
import time

DEFAULT_OUT = '/tmp/siptap-bench/sip-300mb.pcap'
T0_US = calendar.timegm((2026, 3, 2, 10, 0, 0)) * 1_000_000  # 2026-03-02T10:00:00Z

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

PCAP_GLOBAL = struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)  # Ethernet
REC = struct.Struct('<IIII')
IPV4 = struct.Struct('!BBHHHBBH4s4s')
UDPH = struct.Struct('!HHHH')
TCPH = struct.Struct('!HHIIBBHHH')
MS = 1000  # microseconds per millisecond
SEC = 1_000_000


# ---------------------------------------------------------------- pcap writer

class Writer:
    """Streams frames into the file through a large bytearray; counts what it wrote."""

    FLUSH = 8 << 20

    def __init__(self, path):
        self.f = open(path, 'wb', buffering=0)
        self.buf = bytearray(PCAP_GLOBAL)
        self.bytes = len(PCAP_GLOBAL)
        self.packets = 0
        self.udp_packets = 0
        self.tcp_packets = 0
        self.last_t = 0
        self.ip_id = 0
        self.eth_cache = {}
        self.sip = {'udp': 0, 'tcp': 0}
        self.requests = {}
        self.responses = {}

    def eth(self, src, dst):
        key = (src, dst)
        e = self.eth_cache.get(key)
        if e is None:
            e = self.eth_cache[key] = (b'\x00\x15\x5d' + dst[1:4] + b'\x00\x15\x5d' + src[1:4]
                                       + b'\x08\x00')
        return e

    def frame(self, t, src, dst, proto, l4, payload):
        if t < self.last_t:
            raise AssertionError('time went backwards: %d < %d' % (t, self.last_t))
        self.last_t = t
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        ip_len = 20 + len(l4) + len(payload)
        n = 14 + ip_len
        buf = self.buf
        buf += REC.pack(t // SEC, t % SEC, n, n)
        buf += self.eth(src, dst)
        buf += IPV4.pack(0x45, 0, ip_len, self.ip_id, 0x4000, 64, proto, 0, src, dst)
        buf += l4
        buf += payload
        self.bytes += 16 + n
        self.packets += 1
        if len(buf) >= self.FLUSH:
            self.f.write(buf)
            buf.clear()

    def udp(self, t, a, b, payload):
        """a, b: (ip_bytes, port)."""
        self.udp_packets += 1
        self.frame(t, a[0], b[0], 17, UDPH.pack(a[1], b[1], 8 + len(payload), 0), payload)

    def close(self):
        self.f.write(self.buf)
        self.buf.clear()
        self.f.close()


# ---------------------------------------------------------------- SIP message text

COMPACT = {'Via': 'v', 'From': 'f', 'To': 't', 'Call-ID': 'i', 'Contact': 'm',
           'Content-Type': 'c', 'Supported': 'k', 'Content-Length': 'l'}


class Profile:
    def __init__(self, agent, compact=False, big_sdp=False, split_body=False, mss=1460):
        self.agent = agent
        self.compact = compact
        self.big_sdp = big_sdp
        self.split_body = split_body  # writes headers and body with two send() calls
        self.mss = mss


PROXY_PROFILE = Profile('OpenSIPS (3.4.2 (x86_64/linux))')
UDP_PROFILES = [Profile('Asterisk PBX 18.20.0'), Profile('FPBX-16.0.40(18.20.0)'),
                Profile('Cisco-CUCM14.0'), Profile('Linphone/5.2.0 (belle-sip/5.2.0)', compact=True)]
TRUNK_PROFILES = [Profile('Mitel-MiVoice-Business/9.4', big_sdp=True),
                  Profile('Avaya CM/R020x.01.0.974.0 AVAYA-SM-10.1.0.0'),
                  Profile('Microsoft.Rtc.Signaling/6.0 Mediation Server', big_sdp=True),
                  Profile('FreeSWITCH-mod_sofia/1.10.10-release~64bit')]
PHONE_PROFILES = [Profile('Yealink SIP-T46S 66.86.0.15'),
                  Profile('Polycom/6.4.3.5017 PolycomVVX-VVX_450-UA/6.4.3.5017', big_sdp=True),
                  Profile('snom D785/10.1.159.12', split_body=True),
                  Profile('Grandstream GXP2170 1.0.11.23', mss=536)]


def sip_message(prof, first_line, headers, body=''):
    if prof.compact:
        lines = [first_line] + ['%s: %s' % (COMPACT.get(n, n), v) for n, v in headers]
        lines.append('l: %d' % len(body))
    else:
        lines = [first_line] + ['%s: %s' % hv for hv in headers]
        lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode(), body.encode()


SDP_SMALL = ('v=0\r\no=%(user)s %(sess)d %(sess)d IN IP4 %(ip)s\r\ns=%(agent)s\r\n'
             'c=IN IP4 %(ip)s\r\nt=0 0\r\nm=audio %(rtp)d RTP/AVP 0 8 9 101\r\n'
             'a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n'
             'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n'
             'a=maxptime:150\r\na=sendrecv\r\n')
SDP_BIG = ('v=0\r\no=%(user)s %(sess)d %(sess)d IN IP4 %(ip)s\r\ns=%(agent)s\r\n'
           'c=IN IP4 %(ip)s\r\nb=AS:2040\r\nt=0 0\r\n'
           'a=ice-ufrag:%(ufrag)s\r\na=ice-pwd:%(pwd)s\r\n'
           'm=audio %(rtp)d RTP/SAVP 114 9 0 8 116 13 118 101\r\n'
           'a=candidate:1 1 UDP 2130706431 %(ip)s %(rtp)d typ host\r\n'
           'a=candidate:1 2 UDP 2130705918 %(ip)s %(rtcp)d typ host\r\n'
           'a=candidate:2 1 TCP-PASS 174455807 %(ip)s %(tcp)d typ host\r\n'
           'a=candidate:2 2 TCP-PASS 174455294 %(ip)s %(tcp)d typ host\r\n'
           'a=candidate:3 1 UDP 16648703 203.0.113.%(pub)d %(rtp2)d typ relay raddr %(ip)s rport %(rtp)d\r\n'
           'a=candidate:3 2 UDP 16648190 203.0.113.%(pub)d %(rtcp2)d typ relay raddr %(ip)s rport %(rtcp)d\r\n'
           'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%(key)s|2^31|1:1\r\n'
           'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:%(key)s|2^31|1:1\r\n'
           'a=maxptime:200\r\na=rtcp:%(rtcp)d\r\n'
           'a=rtpmap:114 x-msrta/16000\r\na=fmtp:114 bitrate=29000\r\n'
           'a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n'
           'a=rtpmap:116 AAL2-G726-32/8000\r\na=rtpmap:13 CN/8000\r\na=rtpmap:118 CN/16000\r\n'
           'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n'
           'a=rtcp-fb:* x-message app send:dsh recv:dsh\r\na=rtcp-rsize\r\n'
           'a=label:main-audio\r\na=x-source:main-audio\r\na=sendrecv\r\n')


# ---------------------------------------------------------------- endpoints and transports

class Host:
    def __init__(self, ip, name, prof):
        self.ip = ip
        self.ipb = bytes(int(x) for x in ip.split('.'))
        self.name = name
        self.prof = prof


class Gen:
    """Shared state: scheduler, writer, random source, counters."""

    def __init__(self, writer, rng, target):
        self.w = writer
        self.rng = rng
        self.target = target
        self.heap = []
        self.seq = 0
        self.dialogs = 0
        self.calls = {'answered': 0, 'busy': 0, 'cancelled': 0}
        self.registrations = 0
        self.options = 0
        self.tcp_connections = 0
        self.tcp_resets = 0
        self.sip_by_flow = 0

    def stop(self):
        return self.w.bytes >= self.target

    def spawn(self, t, gen):
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, gen))

    def run(self):
        heap = self.heap
        while heap:
            t, _, gen = heapq.heappop(heap)
            try:
                nt = next(gen)
            except StopIteration:
                continue
            self.seq += 1
            heapq.heappush(heap, (nt, self.seq, gen))

    def token(self, bits=48):
        return '%0*x' % (bits // 4, self.rng.getrandbits(bits))

    def count(self, transport, first_line):
        w = self.w
        w.sip[transport] += 1
        if first_line.startswith('SIP/2.0 '):
            k = first_line[8:11]
            w.responses[k] = w.responses.get(k, 0) + 1
        else:
            k = first_line.split(' ', 1)[0]
            w.requests[k] = w.requests.get(k, 0) + 1


class UdpPath:
    """SIP over UDP between a and b (both port 5060). Sides: 0 = a, 1 = b."""
    transport = 'UDP'

    def __init__(self, g, a, b):
        self.g = g
        self.ends = ((a, (a.ipb, 5060)), (b, (b.ipb, 5060)))

    def hostport(self, side):
        return '%s:5060' % self.ends[side][0].ip

    def host(self, side):
        return self.ends[side][0]

    def send(self, t, side, msgs, first_lines):
        src = self.ends[side][1]
        dst = self.ends[1 - side][1]
        for (head, body), fl in zip(msgs, first_lines):
            self.g.count('udp', fl)
            self.g.w.udp(t, src, dst, head + body)


class TcpConn:
    """One TCP connection; side 0 is the client (opened it), side 1 the server."""
    transport = 'TCP'

    def __init__(self, g, client, cport, server, sport, mss):
        self.g = g
        self.hosts = (client, server)
        self.addr = ((client.ipb, cport), (server.ipb, sport))
        self.ports = (cport, sport)
        self.mss = mss
        self.nxt = [g.rng.getrandbits(32), g.rng.getrandbits(32)]
        self.busy = 0
        self.closed = False
        g.tcp_connections += 1

    def hostport(self, side):
        return '%s:%d' % (self.hosts[side].ip, self.ports[side])

    def host(self, side):
        return self.hosts[side]

    def seg(self, t, side, flags, payload=b'', opts=b'', seq=None):
        a, b = self.addr[side], self.addr[1 - side]
        s = self.nxt[side] if seq is None else seq
        ack = self.nxt[1 - side] if flags & ACK else 0
        w = self.g.w
        w.tcp_packets += 1
        hdr = TCPH.pack(a[1], b[1], s & 0xFFFFFFFF, ack & 0xFFFFFFFF, (5 + len(opts) // 4) << 4,
                        flags, 64240 if side == 0 else 65160, 0, 0)
        w.frame(t, a[0], b[0], 6, hdr + opts if opts else hdr, payload)

    def handshake(self, t, rtt):
        """Generator: SYN, SYN/ACK, ACK."""
        mss = struct.pack('!BBH', 2, 4, self.mss) + b'\x01\x01\x04\x02'  # MSS, NOP NOP SACK-perm
        self.seg(t, 0, SYN, opts=mss)
        self.nxt[0] += 1
        t += rtt // 2
        yield t
        self.seg(t, 1, SYN | ACK, opts=struct.pack('!BBH', 2, 4, 1460) + b'\x01\x01\x04\x02')
        self.nxt[1] += 1
        t += rtt // 2
        yield t
        self.seg(t, 0, ACK)

    def write(self, t, side, data):
        mss = min(self.mss, 1460)
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            self.seg(t, side, PSH | ACK if i + mss >= len(data) else ACK, chunk)
            self.nxt[side] += len(chunk)

    def send(self, t, side, msgs, first_lines):
        """msgs written back to back form one write (e.g. 100 + 180 in one segment)."""
        prof = self.hosts[side].prof
        for fl in first_lines:
            self.g.count('tcp', fl)
        if prof.split_body and len(msgs) == 1 and msgs[0][1]:
            self.write(t, side, msgs[0][0])
            self.write(t, side, msgs[0][1])
        else:
            self.write(t, side, b''.join(h + b for h, b in msgs))
        if self.g.rng.random() < 0.5:  # the peer's pure ACK (delayed ACKs ride on replies)
            self.seg(t, 1 - side, ACK)

    def close(self, t, side):
        """Generator: FIN from side, FIN/ACK back, last ACK; or a RST now and then."""
        self.closed = True
        if self.g.rng.random() < 0.03:
            self.g.tcp_resets += 1
            self.seg(t, side, RST | ACK)
            return
        self.seg(t, side, FIN | ACK)
        self.nxt[side] += 1
        t += 300
        yield t
        self.seg(t, 1 - side, FIN | ACK)
        self.nxt[1 - side] += 1
        t += 300
        yield t
        self.seg(t, side, ACK)


# ---------------------------------------------------------------- SIP conversations

def via(path, side, branch):
    v = 'SIP/2.0/%s %s;branch=z9hG4bK%s' % (path.transport, path.hostport(side), branch)
    return v + ';rport' if path.transport == 'UDP' else v


def sdp(g, host, user):
    big = host.prof.big_sdp
    d = {'user': user, 'sess': g.rng.getrandbits(31), 'ip': host.ip, 'agent': host.prof.agent.split('/')[0],
         'rtp': 10000 + 2 * g.rng.getrandbits(14)}
    if big:
        d.update(rtcp=d['rtp'] + 1, tcp=50000 + g.rng.getrandbits(10), rtp2=52000 + 2 * g.rng.getrandbits(10),
                 pub=1 + g.rng.getrandbits(7), ufrag=g.token(32), pwd=g.token(96) + g.token(48),
                 key=g.token(96) + g.token(64))
        d['rtcp2'] = d['rtp2'] + 1
        return SDP_BIG % d
    return SDP_SMALL % d


def call(g, path, caller, t, conn_busy=None):
    """Generator: one INVITE dialog on path from side `caller` to the other side."""
    rng = g.rng
    callee = 1 - caller
    a, b = path.host(caller), path.host(callee)
    ua = 'u%d' % (1000 + rng.getrandbits(13))
    ub = 'u%d' % (1000 + rng.getrandbits(13))
    call_id = '%s@%s' % (g.token(96), a.ip)
    ftag, ttag = g.token(32), g.token(32)
    frm = '"%s" <sip:%s@%s>;tag=%s' % (ua.upper(), ua, a.name, ftag)
    to0 = '<sip:%s@%s>' % (ub, b.name)
    to1 = to0 + ';tag=' + ttag
    ruri = 'sip:%s@%s' % (ub, path.hostport(callee))
    tr = ';transport=tcp' if path.transport == 'TCP' else ''
    contact_a = '<sip:%s@%s%s>' % (ua, path.hostport(caller), tr)
    contact_b = '<sip:%s@%s%s>' % (ub, path.hostport(callee), tr)
    br = g.token(64)
    via_a = via(path, caller, br)
    g.dialogs += 1
    if conn_busy is not None:
        conn_busy.busy += 1
    pa, pb = a.prof, b.prof
    allow = 'INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE, PRACK'

    def req(method, uri, via_v, cseq, to, extra=(), body='', prof=pa, frm=frm, contact=contact_a):
        hs = [('Via', via_v), ('Max-Forwards', '70'), ('From', frm), ('To', to), ('Call-ID', call_id),
              ('CSeq', '%d %s' % (cseq, method))]
        if contact:
            hs.append(('Contact', contact))
        hs.extend(extra)
        hs.append(('User-Agent', prof.agent))
        if body:
            hs.append(('Content-Type', 'application/sdp'))
        fl = '%s %s SIP/2.0' % (method, uri)
        return sip_message(prof, fl, hs, body), fl

    def resp(code, reason, via_v, cseq, method, to, extra=(), body='', prof=pb, contact=None, frm=frm):
        hs = [('Via', via_v), ('From', frm), ('To', to), ('Call-ID', call_id), ('CSeq', '%d %s' % (cseq, method))]
        if contact:
            hs.append(('Contact', contact))
        hs.extend(extra)
        hs.append(('Server', prof.agent))
        if body:
            hs.append(('Content-Type', 'application/sdp'))
        fl = 'SIP/2.0 %d %s' % (code, reason)
        return sip_message(prof, fl, hs, body), fl

    def send(t, side, *pairs):
        path.send(t, side, [p[0] for p in pairs], [p[1] for p in pairs])

    rtt = (2 + rng.getrandbits(4)) * MS // 4
    invite = req('INVITE', ruri, via_a, 1, to0,
                 (('Allow', allow), ('Supported', 'replaces, timer'), ('Session-Expires', '1800'),
                  ('P-Asserted-Identity', '<sip:+4930%07d@%s>' % (rng.getrandbits(23), a.name))),
                 sdp(g, a, ua))
    send(t, caller, invite)
    fate = rng.random()
    trying = resp(100, 'Trying', via_a, 1, 'INVITE', to0, prof=pb)
    ringing = resp(180, 'Ringing', via_a, 1, 'INVITE', to1, contact=contact_b, extra=(('Allow', allow),))
    if fate < 0.10:  # busy
        g.calls['busy'] += 1
        t += rtt
        yield t
        send(t, callee, trying)
        t += 30 * MS + rng.getrandbits(8) * MS
        yield t
        send(t, callee, resp(486, 'Busy Here', via_a, 1, 'INVITE', to1))
        t += rtt
        yield t
        send(t, caller, req('ACK', ruri, via_a, 1, to1, contact=None))
    else:
        t += rtt
        yield t
        if path.transport == 'TCP':
            send(t, callee, trying, ringing)  # two messages in one segment
        else:
            send(t, callee, trying)
            t += 20 * MS + rng.getrandbits(6) * MS
            yield t
            send(t, callee, ringing)
        if fate < 0.20:  # caller gives up
            g.calls['cancelled'] += 1
            t += (3 + rng.getrandbits(4)) * SEC
            yield t
            send(t, caller, req('CANCEL', ruri, via_a, 1, to0, contact=None))
            t += rtt
            yield t
            send(t, callee, resp(200, 'OK', via_a, 1, 'CANCEL', to1))
            t += 1 * MS
            yield t
            send(t, callee, resp(487, 'Request Terminated', via_a, 1, 'INVITE', to1))
            t += rtt
            yield t
            send(t, caller, req('ACK', ruri, via_a, 1, to1, contact=None))
        else:
            g.calls['answered'] += 1
            t += (2 + rng.getrandbits(3)) * SEC + rng.getrandbits(10) * MS
            yield t
            send(t, callee, resp(200, 'OK', via_a, 1, 'INVITE', to1, contact=contact_b, body=sdp(g, b, ub),
                                 extra=(('Allow', allow), ('Supported', 'replaces, timer'),
                                        ('Session-Expires', '1800;refresher=uac'), ('Require', 'timer'))))
            t += rtt
            yield t
            send(t, caller, req('ACK', contact_b[1:-1], via(path, caller, g.token(64)), 1, to1, contact=None))
            t += min(int(rng.expovariate(1 / 60.0) * SEC), 300 * SEC) + SEC
            yield t
            if rng.random() < 0.6:  # caller hangs up
                v = via(path, caller, g.token(64))
                send(t, caller, req('BYE', contact_b[1:-1], v, 2, to1, contact=None))
                t += rtt
                yield t
                send(t, callee, resp(200, 'OK', v, 2, 'BYE', to1))
            else:  # callee hangs up: From/To swap
                v = via(path, callee, g.token(64))
                to_a = '"%s" <sip:%s@%s>;tag=%s' % (ua.upper(), ua, a.name, ftag)
                f_b = to1
                send(t, callee, req('BYE', contact_a[1:-1], v, 1, to_a, prof=pb, frm=f_b, contact=None))
                t += rtt
                yield t
                send(t, caller, resp(200, 'OK', v, 1, 'BYE', to_a, prof=pa, frm=f_b))
    if conn_busy is not None:
        conn_busy.busy -= 1


def options_ping(g, path, side, t):
    """Generator: OPTIONS from `side`, 200 OK back."""
    rng = g.rng
    src, dst = path.host(side), path.host(1 - side)
    g.options += 1
    g.dialogs += 1
    br = g.token(64)
    v = via(path, side, br)
    call_id = g.token(96)
    frm = '<sip:ping@%s>;tag=%s' % (src.name, g.token(32))
    to = '<sip:%s>' % path.hostport(1 - side)
    hs = [('Via', v), ('Max-Forwards', '70'), ('From', frm), ('To', to), ('Call-ID', call_id),
          ('CSeq', '%d OPTIONS' % (1 + rng.getrandbits(12))), ('User-Agent', src.prof.agent)]
    fl = 'OPTIONS sip:%s SIP/2.0' % path.hostport(1 - side)
    path.send(t, side, [sip_message(src.prof, fl, hs)], [fl])
    t += (1 + rng.getrandbits(3)) * MS // 2
    yield t
    hs = [('Via', v), ('From', frm), ('To', to + ';tag=' + g.token(32)), ('Call-ID', call_id), hs[5],
          ('Allow', 'INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO'),
          ('Accept', 'application/sdp'), ('Supported', 'replaces, timer, path'), ('Server', dst.prof.agent)]
    fl = 'SIP/2.0 200 OK'
    path.send(t, 1 - side, [sip_message(dst.prof, fl, hs)], [fl])


def register(g, path, t, proxy_name):
    """Generator: REGISTER / 401 / REGISTER with Authorization / 200 from side 0 to side 1."""
    rng = g.rng
    ua = path.host(0)
    srv = path.host(1)
    user = 'u%d' % (1000 + rng.getrandbits(13))
    call_id = '%s@%s' % (g.token(64), ua.ip)
    frm = '<sip:%s@%s>;tag=%s' % (user, proxy_name, g.token(32))
    to = '<sip:%s@%s>' % (user, proxy_name)
    tr = ';transport=tcp' if path.transport == 'TCP' else ''
    contact = '<sip:%s@%s%s>;+sip.instance="<urn:uuid:%s-%s-4%s-a%s-%s>"' % (
        user, path.hostport(0), tr, g.token(32), g.token(16), g.token(12), g.token(12), g.token(48))
    nonce = g.token(128)
    g.registrations += 1
    g.dialogs += 1
    for cseq, auth in ((1, None), (2, True)):
        v = via(path, 0, g.token(64))
        hs = [('Via', v), ('Max-Forwards', '70'), ('From', frm), ('To', to), ('Call-ID', call_id),
              ('CSeq', '%d REGISTER' % cseq), ('Contact', contact), ('Expires', '3600')]
        if auth:
            hs.append(('Authorization',
                       'Digest username="%s", realm="%s", nonce="%s", uri="sip:%s", response="%s", '
                       'algorithm=MD5, cnonce="%s", qop=auth, nc=00000001'
                       % (user, proxy_name, nonce, proxy_name, g.token(128), g.token(32))))
        hs.append(('User-Agent', ua.prof.agent))
        fl = 'REGISTER sip:%s SIP/2.0' % proxy_name
        path.send(t, 0, [sip_message(ua.prof, fl, hs)], [fl])
        t += (2 + rng.getrandbits(3)) * MS
        yield t
        rs = [('Via', v), ('From', frm), ('To', to + ';tag=' + g.token(32)), ('Call-ID', call_id),
              ('CSeq', '%d REGISTER' % cseq)]
        if auth:
            rs += [('Contact', contact + ';expires=3600'), ('Date', 'Mon, 02 Mar 2026 10:00:00 GMT')]
            fl = 'SIP/2.0 200 OK'
        else:
            rs.append(('WWW-Authenticate', 'Digest realm="%s", nonce="%s", qop="auth", algorithm=MD5'
                       % (proxy_name, nonce)))
            fl = 'SIP/2.0 401 Unauthorized'
        rs.append(('Server', srv.prof.agent))
        path.send(t, 1, [sip_message(srv.prof, fl, rs)], [fl])
        t += (5 + rng.getrandbits(4)) * MS
        yield t


# ---------------------------------------------------------------- traffic sources

def poisson(g, t, rate_per_s, make):
    """Generator: spawn make(t) at Poisson arrivals until the size target is reached."""
    rng = g.rng
    while not g.stop():
        t += int(rng.expovariate(rate_per_s) * SEC) + 1
        yield t
        if g.stop():
            return
        gen = make(t)
        if gen is not None:
            g.spawn(t, gen)


def udp_peer_pings(g, proxy, peers, t):
    """Generator: the proxy pings every UDP peer every 30 s, spread evenly."""
    i = 0
    step = 30 * SEC // len(peers)
    while not g.stop():
        t += step
        yield t
        g.spawn(t, options_ping(g, UdpPath(g, proxy, peers[i % len(peers)]), 0, t))
        i += 1


def trunk(g, proxy, host, t):
    """Generator: a TCP trunk from host to the proxy; reconnects every 1-3 minutes; carries
    concurrent calls (Poisson, 8 calls/s each)."""
    rng = g.rng
    while not g.stop():
        conn = TcpConn(g, host, 32768 + rng.getrandbits(15), proxy, 5060, host.prof.mss)
        for t in conn.handshake(t, 400):
            yield t
        end = t + (60 + rng.getrandbits(7)) * SEC
        ping_at = t + 15 * SEC
        while t < end and not g.stop():
            t += int(rng.expovariate(8.0) * SEC) + 1
            yield t
            if t >= ping_at:
                g.spawn(t, options_ping(g, conn, rng.getrandbits(1), t))
                ping_at = t + 15 * SEC
            else:
                g.spawn(t, call(g, conn, rng.getrandbits(1), t, conn_busy=conn))
        conn.closed = True  # no new calls; wait for the running ones
        while conn.busy:
            t += SEC
            yield t
        t += 2 * SEC
        yield t
        for t in conn.close(t, 0):
            yield t
        t += 10 * MS
        yield t


def phone_session(g, proxy, phone, t, proxy_name):
    """Generator: one TCP connection from a phone: register, 0-2 calls, keepalive, close."""
    rng = g.rng
    conn = TcpConn(g, phone, 49152 + rng.getrandbits(14), proxy, 5060, phone.prof.mss)
    for t in conn.handshake(t, 1200):
        yield t
    t += 5 * MS
    yield t
    for t in register(g, conn, t, proxy_name):
        yield t
    for _ in range(rng.choice((0, 1, 1, 2))):
        if g.stop():
            break
        t += (1 + rng.getrandbits(4)) * SEC
        yield t
        for t in call(g, conn, rng.choice((0, 0, 1)), t):
            yield t
    t += (5 + rng.getrandbits(4)) * SEC
    yield t
    for t in options_ping(g, conn, 1, t):
        yield t
    t += (1 + rng.getrandbits(3)) * SEC
    yield t
    for t in conn.close(t, rng.choice((0, 0, 0, 1))):
        yield t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('out', nargs='?', default=DEFAULT_OUT)
    ap.add_argument('--size-mb', type=float, default=300.0,
                    help='stop starting new conversations at this size (MB = 10^6 bytes; the running '
                         'ones finish, so the file ends a little larger)')
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()

    started = time.monotonic()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.part'
    w = Writer(tmp)
    rng = random.Random(args.seed)
    g = Gen(w, rng, int(args.size_mb * 1_000_000))

    proxy = Host('10.0.0.10', 'sip.example.net', PROXY_PROFILE)
    udp_peers = [Host('10.1.%d.%d' % (i // 200, 10 + i % 200), 'pbx%d.example.org' % i, UDP_PROFILES[i % 4])
                 for i in range(400)]
    trunks = [Host('10.3.0.%d' % (10 + i), 'trunk%d.example.com' % i, TRUNK_PROFILES[i]) for i in range(4)]
    phones = [Host('10.2.%d.%d' % (i // 250, 2 + i % 250), 'example.net', PHONE_PROFILES[i % 4])
              for i in range(3000)]

    t = T0_US
    # UDP calls in both directions, 90/s
    g.spawn(t, poisson(g, t, 90.0, lambda t: call(g, UdpPath(g, rng.choice(udp_peers), proxy),
                                                  rng.getrandbits(1), t)))
    # UDP registrations from the peers, 3/s
    g.spawn(t, poisson(g, t, 3.0, lambda t: register(g, UdpPath(g, rng.choice(udp_peers), proxy), t,
                                                     'sip.example.net')))
    g.spawn(t, udp_peer_pings(g, proxy, udp_peers, t))
    for i, h in enumerate(trunks):
        g.spawn(t + i * 7 * MS, trunk(g, proxy, h, t + i * 7 * MS))
    # TCP phone sessions, 8/s
    g.spawn(t, poisson(g, t, 8.0, lambda t: phone_session(g, proxy, rng.choice(phones), t, 'example.net')))
    g.run()
    w.close()
    os.replace(tmp, args.out)

    meta = {
        'file': os.path.abspath(args.out), 'bytes': w.bytes, 'packets': w.packets,
        'udp_packets': w.udp_packets, 'tcp_packets': w.tcp_packets,
        'sip_messages': w.sip['udp'] + w.sip['tcp'], 'sip_udp': w.sip['udp'], 'sip_tcp': w.sip['tcp'],
        'requests': dict(sorted(w.requests.items())), 'responses': dict(sorted(w.responses.items())),
        'dialogs': g.dialogs, 'calls': g.calls, 'registrations': g.registrations, 'options': g.options,
        'tcp_connections': g.tcp_connections, 'tcp_resets': g.tcp_resets,
        'capture_seconds': round((w.last_t - T0_US) / SEC, 3), 'seed': args.seed,
        'generated_in_seconds': round(time.monotonic() - started, 1),
    }
    with open(args.out + '.meta.json', 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    print('%s: %.1f MB, %d packets, %d SIP messages (%d UDP, %d TCP), %d dialogs, %d TCP connections, '
          '%.0f s of traffic, written in %.1f s'
          % (args.out, w.bytes / 1e6, w.packets, meta['sip_messages'], w.sip['udp'], w.sip['tcp'],
             g.dialogs, g.tcp_connections, meta['capture_seconds'], meta['generated_in_seconds']),
          file=sys.stderr)


if __name__ == '__main__':
    main()

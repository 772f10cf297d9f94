#!/usr/bin/python3
"""End to end: OCPP 1.6-J chargers at Central (issue 18, step 3): our
simulated chargers (`ev-station fleet --ocpp`) against `ev-central
--ocpp-listen` become CPs like any other."""

import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time

import gi

gi.require_version("Soup", "3.0")
from gi.repository import GLib, Soup  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import SLOW, WAIT_S, check, program, run  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fleet(net, port, count, prefix):
    return net.spawn("fleet-%s" % prefix,
                     [program("EV_STATION"), "fleet", "--ocpp", "ws://127.0.0.1:%d/ocpp" % port,
                      "--count", str(count), "--prefix", prefix, "--stats-interval", "0"])


def test_boot_status_disconnect(net):
    """Booted chargers are registered (auto-approved) and ACTIVE; a
    charger that goes is DISCONNECTED, and is ACTIVE again when it is
    back, known by its id."""
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    since = net.central.mark()
    fleet = start_fleet(net, port, 2, "OC")
    for cp in ("OC00001", "OC00002"):
        registered = net.central.wait("cp-registered", since=since, cp_id=cp)
        check(registered["approval"] == "approved", "%s: %s", cp, registered)
        net.wait_cp_state(cp, "ACTIVE", since=since)
    rows = net.wait_query("SELECT cp_id FROM charging_points WHERE cp_id LIKE 'OC%' ORDER BY cp_id",
                          [{"cp_id": "OC00001"}, {"cp_id": "OC00002"}])
    check(rows, "the chargers are not in the database")

    since = net.central.mark()
    fleet.kill()
    for cp in ("OC00001", "OC00002"):
        net.wait_cp_state(cp, "DISCONNECTED", since=since)

    since = net.central.mark()
    start_fleet(net, port, 2, "OC")
    for cp in ("OC00001", "OC00002"):
        net.central.wait("cp-authenticated", since=since, cp_id=cp)
        net.wait_cp_state(cp, "ACTIVE", since=since)
    check(not net.central.find("cp-registered", since=since), "a known charger registered again")


def test_pending_until_approved(net):
    """Without --auto-approve a new charger's boot is Pending: on the
    dashboard, awaiting approval, until the operator approves it; it then
    boots again and is accepted."""
    port = free_port()
    net.start_broker()
    net.central = net.spawn("central", [program("EV_CENTRAL"), "--headless",
                                        "--listen", "127.0.0.1:0", "--kafka", net.bootstrap,
                                        "--db", net.db_path, "--ocpp-listen", "127.0.0.1:%d" % port])
    net.central.wait("ready")
    since = net.central.mark()
    start_fleet(net, port, 1, "PD")
    registered = net.central.wait("cp-registered", since=since, cp_id="PD00001")
    check(registered["approval"] == "pending", "PD00001: %s", registered)
    check(not net.central.find("cp-state", since=since, cp_id="PD00001", state="ACTIVE"),
          "a pending charger is ACTIVE")
    since = net.central.mark()
    net.central.send("approve PD00001")
    net.central.wait("cp-approved", since=since, cp_id="PD00001")
    net.wait_cp_state("PD00001", "ACTIVE", since=since)


class RawCharger:
    """A hand-driven OCPP-J client (libsoup through gi), to send what our
    fleet never would."""

    def __init__(self, url):
        self.loop = GLib.MainLoop()
        self.session = Soup.Session()
        self.conn = None
        self.error = None
        self.received = []
        self.closed = False
        message = Soup.Message.new("GET", url)
        self.session.websocket_connect_async(message, None, ["ocpp1.6"], GLib.PRIORITY_DEFAULT,
                                             None, self._connected, None)
        self._run(lambda: self.conn is not None or self.error is not None)

    def _connected(self, session, result, _data):
        try:
            self.conn = session.websocket_connect_finish(result)
            self.conn.connect("message", self._message)
            self.conn.connect("closed", self._closed)
        except GLib.Error as error:
            self.error = error

    def _message(self, _conn, _type, data):
        self.received.append(json.loads(data.get_data().decode()))

    def _closed(self, _conn):
        self.closed = True

    def _run(self, done, timeout=10.0 * SLOW):
        expired = []
        source = GLib.timeout_add(int(timeout * 1000), lambda: expired.append(True) or False)
        context = self.loop.get_context()
        while not done() and not expired:
            context.iteration(True)
        if not expired:
            GLib.source_remove(source)
        return done()

    def call(self, text):
        """Sends TEXT; the next message back, or None."""
        before = len(self.received)
        self.conn.send_text(text)
        if not self._run(lambda: len(self.received) > before):
            return None
        return self.received[before]

    def wait_closed(self):
        return self._run(lambda: self.closed)


def test_invalid_calls(net):
    """Every CALL is validated: an invalid one gets the CALLERROR of
    docs/ocpp.md, Central goes on, and a charger that then boots right is
    a CP. A path without a valid CP id is closed with 1008."""
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    url = "ws://127.0.0.1:%d/ocpp/" % port

    bad = RawCharger(url + "not%20an%20id")
    check(bad.conn is not None, "no WebSocket to a bad id: %s", bad.error)
    check(bad.wait_closed(), "the link of a bad CP id stayed open")
    check(bad.conn.get_close_code() == 1008, "closed with %s", bad.conn.get_close_code())

    raw = RawCharger(url + "RAW1")
    check(raw.conn is not None, "no WebSocket: %s", raw.error)
    boot = {"chargePointVendor": "Hand", "chargePointModel": "Made"}
    cases = [
        ('[2,"1","Heartbeat",{}]', "SecurityError"),
        ('[2,"2","BootNotification",{"chargePointVendor":"x"}]', "OccurenceConstraintViolation"),
        ('[2,"3","BootNotification",%s]' % json.dumps(dict(boot, extra=1)), "FormationViolation"),
        ('[2,"4","Frobnicate",{}]', "NotImplemented"),
        ('[2,"5","BootNotification",{"chargePointVendor":5,"chargePointModel":"y"}]',
         "TypeConstraintViolation"),
        ('[2,"6","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Bogus"}]',
         "PropertyConstraintViolation"),
        ('[2,"7",', None),
        ('[2,"8","Reset",{"type":"Hard"}]', "NotSupported"),
    ]
    for text, code in cases:
        if code is None:
            # Not JSON: nobody can tell its uniqueId, so nothing answers
            # (the next answer is the next call's).
            raw.conn.send_text(text)
            continue
        answer = raw.call(text)
        check(answer is not None and answer[0] == 4 and answer[1] == json.loads(text)[1] and
              answer[2] == code, "%s: %s, not a CALLERROR %s", text, answer, code)

    since = net.central.mark()
    answer = raw.call('[2,"9","BootNotification",%s]' % json.dumps(boot))
    check(answer[0] == 3 and answer[2]["status"] == "Accepted", "boot: %s", answer)
    check(answer[2]["interval"] >= 1, "boot interval: %s", answer)
    answer = raw.call('[2,"10","StatusNotification",{"connectorId":0,"errorCode":"NoError","status":"Available"}]')
    check(answer == [3, "10", {}], "status: %s", answer)
    net.wait_cp_state("RAW1", "ACTIVE", since=since)
    answer = raw.call('[2,"11","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure","status":"Faulted"}]')
    check(answer == [3, "11", {}], "status: %s", answer)
    net.wait_cp_state("RAW1", "BROKEN", since=since)
    answer = raw.call('[2,"12","Heartbeat",{}]')
    check(answer[0] == 3 and "currentTime" in answer[2], "heartbeat: %s", answer)
    check(net.central.running(), "Central died")


def test_listen_loopback_only(net):
    """Plain WebSocket only on loopback: anything else is refused at start."""
    proc = net.spawn("central-public", [program("EV_CENTRAL"), "--headless",
                                        "--ocpp-listen", "0.0.0.0:9999"])
    status = proc.wait_exit()
    check(status == 2, "ev-central --ocpp-listen 0.0.0.0:9999 exited %s", status)
    check("--ocpp-listen: " in proc.stderr_tail() and "loopback" in proc.stderr_tail(),
          "no reason given: %s", proc.stderr_tail())


class RawCsms:
    """A CSMS on a bare socket, framing WebSocket by hand: it can say
    goodbye (a close frame) and keep the TCP connection open, so that the
    charger's link stays closing, which a libsoup server never allows."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(WAIT_S)
        self.port = self.listener.getsockname()[1]
        self.conn = None

    def accept(self):
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(WAIT_S)
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = self.conn.recv(4096)
            check(chunk, "the charger closed during its handshake")
            request += chunk
        headers = dict(line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line)
        key = headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        accept = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()
        self.conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                           "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n" % accept).encode())

    def _exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            check(chunk, "the charger closed the connection")
            data += chunk
        return data

    def receive_call(self):
        first, second = self._exactly(2)
        length = second & 0x7F
        if length >= 126:
            length = int.from_bytes(self._exactly(2 if length == 126 else 8), "big")
        mask = self._exactly(4) if second & 0x80 else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._exactly(length)))
        check(first & 0x0F == 1, "not a text frame: opcode %d", first & 0x0F)
        return json.loads(payload)

    def send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        header += bytes([len(payload)]) if len(payload) < 126 else b"\x7e" + struct.pack("!H", len(payload))
        self.conn.sendall(header + payload)

    def answer(self, call, payload):
        self.send_frame(1, json.dumps([3, call[1], payload]).encode())

    def close(self):
        for s in (self.conn, self.listener):
            if s is not None:
                s.close()


def fleet_stats(fleet):
    since = fleet.mark()
    fleet.send("stats")
    return fleet.wait("stats", since=since)


def wait_stats(fleet, pred, what):
    """The fleet's stats, asked every 50 ms, until pred(stats) holds."""
    deadline = time.monotonic() + WAIT_S
    while True:
        check(fleet.running(), "the fleet died: %s", fleet.stderr_tail())
        stats = fleet_stats(fleet)
        if pred(stats):
            return stats
        check(time.monotonic() < deadline, "%s: not within %.0f s: %s", what, WAIT_S, stats)
        time.sleep(0.05)


def test_fleet_closing_link_and_reset(net):
    """`reset` zeroes the fleet's counters and call round trips (boot
    times stay); and a charger whose CSMS said goodbye but has not closed
    the connection yet sends nothing on it: the Heartbeat that falls due
    meanwhile gets no libsoup CRITICAL (fatal under G_DEBUG here)."""
    csms = RawCsms()
    try:
        fleet = net.spawn("fleet-raw", [program("EV_STATION"), "fleet", "--ocpp",
                                        "ws://127.0.0.1:%d/ocpp" % csms.port, "--count", "1",
                                        "--prefix", "RC", "--stats-interval", "0"])
        csms.accept()
        boot = csms.receive_call()
        check(boot[2] == "BootNotification", "first call: %s", boot)
        csms.answer(boot, {"status": "Accepted", "currentTime": "2026-12-06T00:00:00.000Z", "interval": 1})
        status = csms.receive_call()
        check(status[2] == "StatusNotification", "second call: %s", status)
        csms.answer(status, {})
        wait_stats(fleet, lambda s: s["calls_answered"] == 2, "boot and status answered")
        since = fleet.mark()
        fleet.send("reset")
        stats = fleet_stats(fleet)
        check(not fleet.find("error", since=since), "reset refused: %s", fleet.find("error", since=since))
        check(stats["calls_sent"] == 0 and stats["calls_answered"] == 0 and stats["call_ms"]["n"] == 0,
              "counters after reset: %s", stats)
        check(stats["boot_ms"]["n"] == 1 and stats["accepted"] == 1, "boot after reset: %s", stats)

        # Goodbye (1001), the connection held open: the link is closing
        # when the heartbeat falls due, a second after the boot.
        csms.send_frame(8, struct.pack("!H", 1001))
        wait_stats(fleet, lambda s: s["calls_sent"] >= 1, "the heartbeat due")
        check(fleet.running(), "the fleet died: %s", fleet.stderr_tail())
        check("CRITICAL" not in fleet.stderr_tail(), "sent on a closing link: %s", fleet.stderr_tail())
    finally:
        csms.close()


if __name__ == "__main__":
    sys.exit(run([test_boot_status_disconnect, test_pending_until_approved, test_invalid_calls,
                  test_listen_loopback_only, test_fleet_closing_link_and_reset]))

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
import threading
import time

import gi

gi.require_version("Soup", "3.0")
from gi.repository import GLib, Soup  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import SLOW, WAIT_S, check, program, request, run  # noqa: E402


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
    fleet never would. Its link lives in a thread of its own, which beats
    once a second once BEAT is set (as a charger does after its boot), so
    that Central never takes it for silent however slowly the test goes;
    the beats and their answers stay out of `received`."""

    def __init__(self, url, beat=False):
        self.context = GLib.MainContext.new()
        self.lock = threading.Condition()
        self.conn = None
        self.error = None
        self.received = []
        self.seen = 0
        self.closed = False
        self.beat = beat
        self.beats = 0
        threading.Thread(target=self._main, args=(url,), daemon=True).start()
        self._wait(lambda: self.conn is not None or self.error is not None)

    def _main(self, url):
        self.context.push_thread_default()
        self.session = Soup.Session()
        message = Soup.Message.new("GET", url)
        self.session.websocket_connect_async(message, None, ["ocpp1.6"], GLib.PRIORITY_DEFAULT,
                                             None, self._connected, None)
        timer = GLib.timeout_source_new(1000)
        timer.set_callback(self._beat)
        timer.attach(self.context)
        loop = GLib.MainLoop.new(self.context, False)
        loop.run()

    def _beat(self, *_):
        if self.beat and self.conn is not None and not self.closed:
            self.beats += 1
            self.conn.send_text('[2,"hb%d","Heartbeat",{}]' % self.beats)
        return True

    def _connected(self, session, result, _data):
        with self.lock:
            try:
                self.conn = session.websocket_connect_finish(result)
                self.conn.connect("message", self._message)
                self.conn.connect("closed", self._closed)
            except GLib.Error as error:
                self.error = error
            self.lock.notify_all()

    def _message(self, _conn, _type, data):
        message = json.loads(data.get_data().decode())
        if message[0] in (3, 4) and str(message[1]).startswith("hb"):
            return
        with self.lock:
            self.received.append(message)
            self.lock.notify_all()

    def _closed(self, _conn):
        with self.lock:
            self.closed = True
            self.lock.notify_all()

    def _wait(self, done, timeout=10.0 * SLOW):
        with self.lock:
            self.lock.wait_for(done, timeout)
            return done()

    def _invoke(self, func):
        self.context.invoke_full(GLib.PRIORITY_DEFAULT, lambda *_: func() and False)

    def send(self, text):
        self._invoke(lambda: self.conn.send_text(text))

    def close(self):
        self._invoke(lambda: self.conn.close(1000, None))
        self._wait(lambda: self.closed)

    def call(self, text):
        """Sends TEXT; the next message back, or None."""
        with self.lock:
            before = len(self.received)
        self.send(text)
        if not self._wait(lambda: len(self.received) > before):
            return None
        return self.received[before]

    def wait_call(self, action):
        """The next CALL of ACTION from Central (after those seen), or None."""
        def found():
            return [m for m in self.received[self.seen:] if m[0] == 2 and m[2] == action]
        if not self._wait(found):
            return None
        call = found()[0]
        self.seen = self.received.index(call) + 1
        return call

    def wait_closed(self):
        return self._wait(lambda: self.closed)


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
            raw.send(text)
            continue
        answer = raw.call(text)
        check(answer is not None and answer[0] == 4 and answer[1] == json.loads(text)[1] and
              answer[2] == code, "%s: %s, not a CALLERROR %s", text, answer, code)

    since = net.central.mark()
    answer = raw.call('[2,"9","BootNotification",%s]' % json.dumps(boot))
    check(answer[0] == 3 and answer[2]["status"] == "Accepted", "boot: %s", answer)
    check(answer[2]["interval"] >= 1, "boot interval: %s", answer)
    raw.beat = True
    answer = raw.call('[2,"10","StatusNotification",{"connectorId":0,"errorCode":"NoError","status":"Available"}]')
    check(answer == [3, "10", {}], "status: %s", answer)
    net.wait_cp_state("RAW1", "ACTIVE", since=since)
    answer = raw.call('[2,"11","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure","status":"Faulted"}]')
    check(answer == [3, "11", {}], "status: %s", answer)
    net.wait_cp_state("RAW1", "BROKEN", since=since)
    answer = raw.call('[2,"12","Heartbeat",{}]')
    check(answer[0] == 3 and "currentTime" in answer[2], "heartbeat: %s", answer)
    check(net.central.running(), "Central died")


def test_operator_stop_resume(net):
    """The operator's stop and resume reach an OCPP charger as
    ChangeAvailability (Inoperative, Operative) of the whole charger; a
    charger stopped by the operator is told again when it boots again."""
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    url = "ws://127.0.0.1:%d/ocpp/RAW2" % port
    boot = '[2,"b","BootNotification",{"chargePointVendor":"Hand","chargePointModel":"Made"}]'

    def status(raw, uid, status):
        answer = raw.call('[2,"%s","StatusNotification",{"connectorId":0,"errorCode":"NoError","status":"%s"}]'
                          % (uid, status))
        check(answer == [3, uid, {}], "status: %s", answer)

    def availability(raw, kind, what):
        """Central's next ChangeAvailability, of the whole charger, of KIND: accepted."""
        call = raw.wait_call("ChangeAvailability")
        check(call is not None and call[3] == {"connectorId": 0, "type": kind}, "%s: %s", what, call)
        raw.send(json.dumps([3, call[1], {"status": "Accepted"}]))

    raw = RawCharger(url)
    since = net.central.mark()
    check(raw.call(boot)[2]["status"] == "Accepted", "not accepted")
    raw.beat = True
    status(raw, "s1", "Available")
    net.wait_cp_state("RAW2", "ACTIVE", since=since)

    since = net.central.mark()
    net.central.send("stop RAW2")
    availability(raw, "Inoperative", "stop")
    status(raw, "s2", "Unavailable")
    net.wait_cp_state("RAW2", "STOPPED", since=since)

    # Back after a reboot, still stopped: told again.
    raw.close()
    net.wait_cp_state("RAW2", "DISCONNECTED", since=since)
    raw = RawCharger(url, beat=True)
    check(raw.call(boot)[2]["status"] == "Accepted", "not accepted again")
    availability(raw, "Inoperative", "stopped CP booted")
    status(raw, "s3", "Unavailable")

    since = net.central.mark()
    net.central.send("resume all")
    availability(raw, "Operative", "resume")
    status(raw, "s4", "Available")
    net.wait_cp_state("RAW2", "ACTIVE", since=since)
    check(net.central.running(), "Central died")



def test_driver_supply_fleet(net):
    """A driver's supply at one of our simulated chargers, end to end:
    the request becomes a RemoteStartTransaction with the driver's id, the
    charger's transaction the supply (SUPPLYING, live figures), its
    StopTransaction the ticket, whose energy is what the charger metered."""
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    since = net.central.mark()
    fleet = net.spawn("fleet-OS", [program("EV_STATION"), "fleet", "--ocpp", "ws://127.0.0.1:%d/ocpp" % port,
                                   "--count", "1", "--prefix", "OS", "--power-kw", "1000",
                                   "--meter-interval", "1", "--stop-after", "4", "--stats-interval", "0"])
    net.wait_cp_state("OS00001", "ACTIVE", since=since)
    driver = net.start_driver("d1")
    driver.wait("cp-state", cp_id="OS00001", state="ACTIVE", available=True)

    auth = request(driver, "OS00001")
    supply_id = auth["supply_id"]
    net.wait_cp_state("OS00001", "SUPPLYING", since=since)
    live = driver.wait("progress", supply_id=supply_id, pred=lambda e: e["kwh"] > 0)
    check(abs(live["amount"] - live["kwh"] * auth["price"]) < 0.01, "live figures: %s", live)
    ticket = driver.wait("ticket", supply_id=supply_id, timeout=30 * SLOW)
    check(ticket["reason"] == "unplugged", "ticket: %s", ticket)
    row = net.wait_session_ended(supply_id)
    check(row["ocpp_transaction_id"] == 1 and row["phase"] == "finished", "row: %s", row)
    check(abs(row["kwh"] - ticket["kwh"]) < 1e-9, "database %s, driver %s", row["kwh"], ticket["kwh"])

    fleet.send("stats")
    stats = fleet.wait("stats", pred=lambda e: e.get("energy_wh", 0) > 0)
    check(abs(ticket["kwh"] - stats["energy_wh"] / 1000.0) < 1e-9,
          "billed %s kWh, the charger metered %s Wh", ticket["kwh"], stats["energy_wh"])
    check(abs(ticket["amount"] - ticket["kwh"] * auth["price"]) < 0.01, "ticket amount: %s", ticket)
    check(len(driver.find("ticket", supply_id=supply_id)) == 1, "two tickets")


def boot_raw(net, url, cp_id):
    """A hand-driven charger at URL, booted, Available and ACTIVE."""
    since = net.central.mark()
    raw = RawCharger(url)
    check(raw.call('[2,"b","BootNotification",{"chargePointVendor":"Hand","chargePointModel":"Made"}]')[2]
          ["status"] == "Accepted", "not accepted")
    raw.beat = True
    check(raw.call('[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]')
          == [3, "s", {}], "status not confirmed")
    net.wait_cp_state(cp_id, "ACTIVE", since=since)
    return raw


def ocpp_call(raw, uid, action, payload):
    answer = raw.call(json.dumps([2, uid, action, payload]))
    check(answer is not None and answer[0] == 3 and answer[1] == uid, "%s: %s", action, answer)
    return answer[2]


def test_transaction_billed_once(net):
    """The billing rule at an OCPP charger: its socket dropped mid-
    transaction ends the supply at Central provisionally, as a framed CP's
    lost link does; the StopTransaction it sends on a new socket (without
    booting again) settles it with energy = meterStop - meterStart; the
    same StopTransaction again is confirmed and bills nothing more; one
    for a transaction Central never gave is confirmed and bills nothing.
    A start Central did not ask for is Invalid."""
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    url = "ws://127.0.0.1:%d/ocpp/RAW3" % port
    raw = boot_raw(net, url, "RAW3")
    driver = net.start_driver("d1")
    driver.wait("cp-state", cp_id="RAW3", state="ACTIVE", available=True)

    answer = ocpp_call(raw, "x", "StartTransaction",
                       {"connectorId": 1, "idTag": "nobody", "meterStart": 0, "timestamp": "2026-12-06T20:00:00Z"})
    check(answer["idTagInfo"]["status"] == "Invalid", "a start nobody asked for: %s", answer)

    auth = request(driver, "RAW3")
    supply_id = auth["supply_id"]
    start = raw.wait_call("RemoteStartTransaction")
    check(start is not None and start[3] == {"connectorId": 1, "idTag": "d1"}, "remote start: %s", start)
    raw.send(json.dumps([3, start[1], {"status": "Accepted"}]))
    answer = ocpp_call(raw, "t1", "StartTransaction",
                       {"connectorId": 1, "idTag": "d1", "meterStart": 12000, "timestamp": "2026-12-06T20:00:00Z"})
    check(answer["idTagInfo"]["status"] == "Accepted", "start: %s", answer)
    transaction = answer["transactionId"]
    ocpp_call(raw, "m1", "MeterValues",
              {"connectorId": 1, "transactionId": transaction,
               "meterValue": [{"timestamp": "2026-12-06T20:01:00Z",
                               "sampledValue": [{"value": "12.5", "unit": "kWh",
                                                 "measurand": "Energy.Active.Import.Register"}]}]})
    live = driver.wait("progress", supply_id=supply_id, pred=lambda e: e["kwh"] > 0)
    check(abs(live["kwh"] - 0.5) < 1e-9, "live: %s", live)

    since = net.central.mark()
    raw.close()
    net.central.wait("supply-error", since=since, supply_id=supply_id, reason="cp-disconnected")
    driver.wait("supply-error", supply_id=supply_id)

    raw = RawCharger(url, beat=True)
    stop = {"transactionId": transaction, "idTag": "d1", "meterStop": 14250,
            "timestamp": "2026-12-06T20:05:00Z", "reason": "EVDisconnected"}
    answer = ocpp_call(raw, "p1", "StopTransaction", stop)
    check(answer == {"idTagInfo": {"status": "Accepted"}}, "stop: %s", answer)
    ticket = driver.wait("ticket", supply_id=supply_id)
    check(abs(ticket["kwh"] - 2.25) < 1e-9, "billed %s kWh, metered 2.25", ticket["kwh"])
    row = net.wait_query("SELECT kwh, phase, provisional FROM sessions WHERE supply_id = '%s'" % supply_id,
                         [{"kwh": 2.25, "phase": "finished", "provisional": 0}])

    # Again after another reconnect, with another meter: confirmed, nothing more.
    raw.close()
    raw = RawCharger(url, beat=True)
    answer = ocpp_call(raw, "p2", "StopTransaction", dict(stop, meterStop=20000))
    check(answer == {"idTagInfo": {"status": "Accepted"}}, "repeated stop: %s", answer)
    since = net.central.mark()
    answer = ocpp_call(raw, "p3", "StopTransaction", dict(stop, transactionId=transaction + 1000))
    check(answer == {"idTagInfo": {"status": "Accepted"}}, "unknown stop: %s", answer)
    net.central.wait("error", since=since, pred=lambda e: str(transaction + 1000) in e.get("message", ""))
    rows = net.query("SELECT kwh, amount FROM sessions")
    check(len(rows) == 1 and rows[0]["kwh"] == 2.25, "billed: %s", rows)
    check(len(driver.find("ticket", supply_id=supply_id)) == 1, "the driver got two tickets")


def test_remote_start_rejected(net):
    """A charger that refuses the RemoteStartTransaction: the driver's
    supply ends as one an engine never took up (not-plugged)."""
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    raw = boot_raw(net, "ws://127.0.0.1:%d/ocpp/RAW4" % port, "RAW4")
    driver = net.start_driver("d2")
    driver.wait("cp-state", cp_id="RAW4", state="ACTIVE", available=True)
    supply_id = request(driver, "RAW4")["supply_id"]
    start = raw.wait_call("RemoteStartTransaction")
    check(start is not None and start[3]["idTag"] == "d2", "remote start: %s", start)
    raw.send(json.dumps([3, start[1], {"status": "Rejected"}]))
    error = driver.wait("supply-error", supply_id=supply_id)
    check(error["reason"] == "not-plugged", "driver: %s", error)
    net.wait_query("SELECT phase, kwh FROM sessions WHERE supply_id = '%s'" % supply_id,
                   [{"phase": "failed", "kwh": 0.0}])



def test_operator_stop_and_authorize(net):
    """Authorize answers from Central's drivers; the operator's stop of a
    CP whose charger is in a transaction reaches it as ChangeAvailability
    and RemoteStopTransaction, and the charger's StopTransaction (reason
    Remote) is the driver's ticket, stopped by Central."""
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    raw = boot_raw(net, "ws://127.0.0.1:%d/ocpp/RAW5" % port, "RAW5")
    driver = net.start_driver("d3")
    driver.wait("cp-state", cp_id="RAW5", state="ACTIVE", available=True)
    answer = ocpp_call(raw, "a1", "Authorize", {"idTag": "d3"})
    check(answer == {"idTagInfo": {"status": "Invalid"}}, "a driver Central never heard of: %s", answer)

    supply_id = request(driver, "RAW5")["supply_id"]
    start = raw.wait_call("RemoteStartTransaction")
    raw.send(json.dumps([3, start[1], {"status": "Accepted"}]))
    answer = ocpp_call(raw, "a2", "Authorize", {"idTag": "d3"})
    check(answer == {"idTagInfo": {"status": "Accepted"}}, "the driver Central authorised here: %s", answer)
    answer = ocpp_call(raw, "t1", "StartTransaction",
                       {"connectorId": 1, "idTag": "d3", "meterStart": 0, "timestamp": "2026-12-06T20:00:00Z"})
    transaction = answer["transactionId"]
    driver.wait("progress", supply_id=supply_id)

    net.central.send("stop RAW5")
    availability = raw.wait_call("ChangeAvailability")
    check(availability is not None and availability[3]["type"] == "Inoperative", "stop: %s", availability)
    raw.send(json.dumps([3, availability[1], {"status": "Scheduled"}]))
    stop = raw.wait_call("RemoteStopTransaction")
    check(stop is not None and stop[3] == {"transactionId": transaction}, "remote stop: %s", stop)
    raw.send(json.dumps([3, stop[1], {"status": "Accepted"}]))
    ocpp_call(raw, "p1", "StopTransaction", {"transactionId": transaction, "meterStop": 750,
                                             "timestamp": "2026-12-06T20:01:00Z", "reason": "Remote"})
    ticket = driver.wait("ticket", supply_id=supply_id)
    check(ticket["reason"] == "stopped-by-central" and abs(ticket["kwh"] - 0.75) < 1e-9, "ticket: %s", ticket)


def test_listen_loopback_only(net):
    """Plain WebSocket only on loopback: anything else is refused at start."""
    proc = net.spawn("central-public", [program("EV_CENTRAL"), "--headless",
                                        "--ocpp-listen", "0.0.0.0:9999"])
    status = proc.wait_exit()
    check(status == 2, "ev-central --ocpp-listen 0.0.0.0:9999 exited %s", status)
    check("--ocpp-listen: " in proc.stderr_tail() and "loopback" in proc.stderr_tail(),
          "no reason given: %s", proc.stderr_tail())


def test_ocpp_heartbeat(net):
    """--ocpp-heartbeat: chargers are told that interval at boot, and one
    that says nothing is silent only after two of them, not after the
    monitors' silence timeout; a value out of range is refused."""
    for bad in ("0", "-5", "86401", "x"):
        proc = net.spawn("central-hb-%s" % bad, [program("EV_CENTRAL"), "--headless",
                                                  "--ocpp-heartbeat", bad])
        status = proc.wait_exit()
        check(status == 2, "--ocpp-heartbeat %s exited %s", bad, status)
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port, "--ocpp-heartbeat", "30")
    since = net.central.mark()
    raw = RawCharger("ws://127.0.0.1:%d/ocpp/HB1" % port)
    boot = raw.call('[2,"b","BootNotification",{"chargePointVendor":"Hand","chargePointModel":"Made"}]')
    check(boot[2]["status"] == "Accepted" and boot[2]["interval"] == 30, "boot answer %s", boot)
    check(raw.call('[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]')
          == [3, "s", {}], "status not confirmed")
    net.wait_cp_state("HB1", "ACTIVE", since=since)
    # No heartbeat for more than twice the monitors' silence timeout (3 s).
    time.sleep(7)
    check(not net.central.find("cp-state", since=since, cp_id="HB1", state="DISCONNECTED"),
          "a charger within its heartbeat interval was taken for silent")
    raw.close()
    net.wait_cp_state("HB1", "DISCONNECTED", since=since)


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
                  test_operator_stop_resume, test_driver_supply_fleet, test_transaction_billed_once,
                  test_remote_start_rejected, test_operator_stop_and_authorize, test_listen_loopback_only,
                  test_fleet_closing_link_and_reset, test_ocpp_heartbeat]))

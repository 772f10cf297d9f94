#!/usr/bin/python3
"""End to end against an OCPP implementation nobody here wrote (issue 18):
an `ocpp-rpc` client in strict mode (tests/ocpp/cp-central.js, both sides
validate every message against the schemas) as a charger at the real
`ev-central --ocpp-listen`, with a real `ev-driver` over ev-broker: boot,
status, a driver's supply end to end whose ticket's energy is the
charger's meter; then the socket dropped mid-transaction and the
StopTransaction sent again after a reconnect, billed once. Run by
tests/ocpp/run-cp-test.sh, which installs the pinned ocpp-rpc."""

import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import check, request, run  # noqa: E402

CHARGER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ocpp", "cp-central.js")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Charger:
    """The ocpp-rpc charger, one command at a time."""

    def __init__(self, net, url, cp_id):
        self.proc = net.spawn("charger-%s" % cp_id, ["node", CHARGER, url, cp_id])

    def connect(self):
        since = self.proc.mark()
        self.proc.send("connect")
        self.proc.wait("connected", since=since)

    def call(self, action, payload):
        since = self.proc.mark()
        self.proc.send("call %s %s" % (action, json.dumps(payload)))
        return self.proc.wait("result", since=since, action=action)["payload"]

    def drop(self):
        since = self.proc.mark()
        self.proc.send("drop")
        self.proc.wait("closed", since=since)

    def check_strict(self):
        failures = self.proc.find("strict-failure") + self.proc.find("call-error")
        check(not failures, "ocpp-rpc reported %s", failures)


def test_supply_and_dropped_socket(net):
    port = free_port()
    net.start_broker()
    net.start_central("--ocpp-listen", "127.0.0.1:%d" % port)
    since = net.central.mark()
    cp = Charger(net, "ws://127.0.0.1:%d/ocpp" % port, "RPC1")
    cp.connect()
    boot = cp.call("BootNotification", {"chargePointVendor": "ocpp-rpc", "chargePointModel": "strict"})
    check(boot["status"] == "Accepted" and boot["interval"] >= 1, "boot: %s", boot)
    cp.proc.send("beat")
    cp.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
    net.wait_cp_state("RPC1", "ACTIVE", since=since)
    driver = net.start_driver("r1")
    driver.wait("cp-state", cp_id="RPC1", state="ACTIVE", available=True)

    def supply(meter_start, meter_mid, meter_stop, drop):
        asked = cp.proc.mark()
        auth = request(driver, "RPC1")
        supply_id = auth["supply_id"]
        remote = cp.proc.wait("call", since=asked, action="RemoteStartTransaction")
        check(remote["params"] == {"connectorId": 1, "idTag": "r1"}, "remote start: %s", remote)
        started = cp.call("StartTransaction", {"connectorId": 1, "idTag": "r1", "meterStart": meter_start,
                                               "timestamp": "2026-12-06T21:00:00.000Z"})
        check(started["idTagInfo"]["status"] == "Accepted", "start: %s", started)
        cp.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"})
        cp.call("MeterValues", {"connectorId": 1, "transactionId": started["transactionId"],
                                "meterValue": [{"timestamp": "2026-12-06T21:01:00.000Z",
                                                "sampledValue": [{"value": str(meter_mid), "unit": "Wh",
                                                                  "measurand": "Energy.Active.Import.Register",
                                                                  "context": "Sample.Periodic"}]}]})
        driver.wait("progress", supply_id=supply_id, pred=lambda e: e["kwh"] > 0)
        stop = {"transactionId": started["transactionId"], "idTag": "r1", "meterStop": meter_stop,
                "timestamp": "2026-12-06T21:02:00.000Z", "reason": "EVDisconnected"}
        if drop:
            mark = net.central.mark()
            cp.drop()
            net.central.wait("supply-error", since=mark, supply_id=supply_id, reason="cp-disconnected")
            # Back on a new socket, no boot: the queued StopTransaction, and
            # once more as if its confirmation had been lost.
            cp.connect()
            cp.call("StopTransaction", stop)
            cp.call("StopTransaction", stop)
        else:
            cp.call("StopTransaction", stop)
        free = net.central.mark()
        cp.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
        ticket = driver.wait("ticket", supply_id=supply_id)
        energy = (meter_stop - meter_start) / 1000.0
        check(abs(ticket["kwh"] - energy) < 1e-9, "ticket %s kWh, the charger metered %s", ticket["kwh"], energy)
        check(abs(ticket["amount"] - energy * auth["price"]) < 0.01, "ticket: %s", ticket)
        net.wait_query("SELECT kwh, phase, provisional FROM sessions WHERE supply_id = '%s'" % supply_id,
                       [{"kwh": energy, "phase": "finished", "provisional": 0}])
        net.wait_cp_state("RPC1", "ACTIVE", since=free)
        return supply_id

    first = supply(100000, 101000, 103500, drop=False)
    second = supply(103500, 104000, 106250, drop=True)
    rows = net.query("SELECT supply_id, kwh, ocpp_transaction_id FROM sessions ORDER BY ocpp_transaction_id")
    check([(r["supply_id"], r["kwh"], r["ocpp_transaction_id"]) for r in rows] ==
          [(first, 3.5, 1), (second, 2.75, 2)], "billed: %s", rows)
    for supply_id in (first, second):
        check(len(driver.find("ticket", supply_id=supply_id)) == 1, "two tickets for %s", supply_id)
    cp.check_strict()


if __name__ == "__main__":
    sys.exit(run([test_supply_and_dropped_socket]))

#!/usr/bin/python3
"""End to end: start-up, registration, health and supplies (SPEC.md 1-9, 12)."""

import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import check, check_ticket, new_id, plug, relayed_once, request, run, start_supply  # noqa: E402


def test_register_and_authenticate(net):
    """1-3: a new CP registers (location from its engine, price from Central);
    Central restarted loads it DISCONNECTED; its monitor authenticates it."""
    net.start_broker()
    ready = net.start_central("--price", "0.42").wait("ready")
    check(ready["cps"] == 0, "a fresh Central knows %s CPs", ready["cps"])

    station = net.add_station("CP1", location="Alicante, Av. Maisonnave 12", wait_active=False)
    engine, monitor = station.engine, station.monitor
    registered = net.central.wait("cp-registered", cp_id="CP1")
    check(registered["location"] == "Alicante, Av. Maisonnave 12" and registered["price"] == 0.42,
          "registered as %s", registered)
    net.wait_cp_state("CP1", "ACTIVE")
    monitor.wait("central", link="registered", price=0.42)
    engine.wait("bound", cp_id="CP1")
    engine.wait("price", price=0.42)
    engine.wait("central", reachable=True)
    rows = net.query("SELECT location, price, token_hash FROM charging_points WHERE cp_id = 'CP1'")
    check(len(rows) == 1 and rows[0]["price"] == 0.42 and rows[0]["token_hash"],
          "CP1 in the database: %s", rows)
    token = os.path.join(net.env["XDG_STATE_HOME"], "evcharging", "tokens", "CP1")
    check(stat.S_IMODE(os.stat(token).st_mode) == 0o600, "the token file is not 0600")

    # Another engine learns its CP id only from its monitor.
    lone = net.spawn("engine-lone", [engine.argv[0], "engine", "--headless", "--listen", "127.0.0.1:0",
                                     "--kafka", net.bootstrap])
    lone.wait("ready")
    lone.send("status")
    check(lone.wait("status")["cp_id"] is None, "an engine without a monitor has a CP id")
    lone.quit()

    # Central restarts: CP1 is known, DISCONNECTED until its monitor is back.
    monitor.quit()
    net.wait_cp_state("CP1", "DISCONNECTED")
    net.central.quit()
    central = net.start_central()
    check(central.wait("ready")["cps"] == 1, "Central did not load CP1")
    central.send("list")
    listed = central.wait("list")["cps"]
    check([(cp["cp_id"], cp["state"], cp["price"]) for cp in listed] == [("CP1", "DISCONNECTED", 0.42)],
          "Central lists %s", listed)

    # A wrong token is refused; the right one authenticates (no new registration).
    with open(token) as f:
        good = f.read()
    with open(token, "w") as f:
        f.write("0" * len(good.strip()))
    monitor = station.start_monitor()
    central.wait("auth-denied", cp_id="CP1", reason="bad-token")
    monitor.wait("central", link="denied")
    with open(token, "w") as f:
        f.write(good)
    central.wait("cp-authenticated", cp_id="CP1")
    net.wait_cp_state("CP1", "ACTIVE")
    monitor.wait("central", link="authenticated", price=0.42)
    check(not central.find("cp-registered"), "CP1 registered twice")


def test_health(net):
    """4: KO reported by the monitor every second: BROKEN, then ACTIVE again."""
    net.start()
    station = net.add_station("CP1")
    driver = net.start_driver("d1")
    driver.wait("cp-state", cp_id="CP1", state="ACTIVE", available=True)
    since, seen = net.central.mark(), driver.mark()
    station.engine.send("ko")
    station.engine.wait("health", ok=False)
    station.monitor.wait("engine-health", health="ko", previous="ok")
    station.monitor.wait("status", state="BROKEN", engine="ko")
    net.wait_cp_state("CP1", "BROKEN", since=since)
    driver.wait("cp-state", since=seen, cp_id="CP1", state="BROKEN", available=False)

    since, seen = net.central.mark(), driver.mark()
    station.engine.send("ok")
    station.monitor.wait("engine-health", health="ok", previous="ko")
    net.wait_cp_state("CP1", "ACTIVE", since=since)
    driver.wait("cp-state", since=seen, cp_id="CP1", state="ACTIVE", available=True)


def test_full_supply(net):
    """5-8, 12: a driver's supply from request to ticket; another driver sees
    the CP busy but none of the supply's messages."""
    net.start()
    station = net.add_station("CP1", "--power-kw", "3600")
    net.add_station("CP2")
    d1, d2 = net.start_driver("d1"), net.start_driver("d2")
    for driver in (d1, d2):
        for cp in ("CP1", "CP2"):
            driver.wait("cp-state", cp_id=cp, state="ACTIVE", available=True)

    since = net.central.mark()
    auth = request(d1, "CP1")
    supply_id = auth["supply_id"]
    check(auth["price"] == 0.35, "authorised at %s EUR/kWh", auth["price"])
    net.central.wait("authorized", supply_id=supply_id, driver_id="d1", cp_id="CP1")
    station.engine.wait("authorized", supply_id=supply_id, driver_id="d1")
    station.engine.wait("state", state="WAITING")
    net.wait_cp_state("CP1", "WAITING", since=since)
    check(net.session(supply_id)["phase"] == "authorized", "the session is not stored as authorised")

    plug(station, supply_id)
    net.wait_cp_state("CP1", "SUPPLYING", since=since)
    d2.wait("cp-state", cp_id="CP1", state="SUPPLYING", available=False)
    d1.wait("progress", supply_id=supply_id, seq=3)
    net.central.send("list")
    cp1 = [cp for cp in net.central.wait("list")["cps"] if cp["cp_id"] == "CP1"][0]
    check(cp1["driver_id"] == "d1" and cp1["kwh"] > 0 and cp1["amount"] > 0,
          "Central's dashboard shows %s", cp1)

    station.engine.send("unplug")
    check_ticket(net, supply_id, "unplugged", driver=d1, engine=station.engine)
    net.wait_cp_state("CP1", "ACTIVE", since=since)
    d2.wait("cp-state", cp_id="CP1", state="ACTIVE", previous="SUPPLYING", available=True)
    relayed_once(net, supply_id)

    # d2 saw nothing of d1's supply, only the CPs.
    for name in ("authorized", "progress", "ticket", "supply-error", "invalid-message"):
        check(not d2.find(name), "d2 received a %s event", name)
    d2.send("list")
    cps = d2.wait("list")["cps"]
    check(sorted((cp["cp_id"], cp["available"]) for cp in cps) == [("CP1", True), ("CP2", True)],
          "d2 lists %s", cps)
    d1.send("history")
    history = d1.wait("history")
    check(history["count"] == 1 and history["tickets"][0]["supply_id"] == supply_id,
          "d1's history: %s", history)


def test_station_request(net):
    """9: supplies asked at the station itself, authorised like any other."""
    net.start()
    station = net.add_station("CP1", "--power-kw", "3600")
    engine = station.engine
    for typed, driver_id in (("request", "station:CP1"), ("request walkin-7", "walkin-7")):
        since, mark = engine.mark(), net.central.mark()
        engine.send(typed)
        asked = engine.wait("request", since=since, cp_id="CP1", driver_id=driver_id)
        net.central.wait("request", request_id=asked["request_id"], origin="station")
        supply_id = engine.wait("authorized", since=since, driver_id=driver_id)["supply_id"]
        plug(station, supply_id)
        engine.wait("progress", supply_id=supply_id, seq=2)
        engine.send("unplug")
        check_ticket(net, supply_id, "unplugged", engine=engine)
        check(net.session(supply_id)["driver_id"] == driver_id, "the session is not %s's", driver_id)
        # Central hears the CP is free from its monitor's next status.
        net.wait_cp_state("CP1", "ACTIVE", since=mark)


def test_denials(net):
    """5: every denial reason a driver or a station can meet, each seen by the
    driver and Central, none stored; bad input reported, nothing else."""
    net.start()
    cp1, cp2, cp3 = (net.add_station(cp) for cp in ("CP1", "CP2", "CP3"))
    d1, d2 = net.start_driver("d1"), net.start_driver("d2")
    for cp in ("CP1", "CP2", "CP3"):
        d2.wait("cp-state", cp_id=cp, state="ACTIVE")

    def denied(driver, cp_id, reason):
        answer = request(driver, cp_id, expect="denied")
        check(answer["reason"] == reason, "%s at %s denied for %s, not %s",
              driver, cp_id, answer["reason"], reason)
        net.central.wait("denied", request_id=answer["request_id"], reason=reason)

    denied(d2, "NOPE", "unknown-cp")
    supply_id = start_supply(net, d1, cp1)
    denied(d2, "CP1", "cp-busy")

    # d1 is busy: its app refuses at once; a station asking for d1 is denied.
    since = d1.mark()
    d1.send("request CP2")
    d1.wait("error", since=since)
    cp2.engine.send("request d1")
    check(cp2.engine.wait("denied", driver_id="d1")["reason"] == "driver-busy", "not driver-busy")
    net.central.wait("denied", driver_id="d1", cp_id="CP2", reason="driver-busy")

    net.central.send("stop CP2")
    d2.wait("cp-state", cp_id="CP2", state="STOPPED", available=False)
    denied(d2, "CP2", "cp-stopped")
    net.central.send("resume CP2")
    d2.wait("cp-state", cp_id="CP2", state="ACTIVE", previous="STOPPED")

    cp3.engine.send("ko")
    d2.wait("cp-state", cp_id="CP3", state="BROKEN")
    denied(d2, "CP3", "cp-broken")
    cp3.engine.send("ok")
    d2.wait("cp-state", cp_id="CP3", state="ACTIVE", previous="BROKEN")
    cp3.monitor.quit()
    d2.wait("cp-state", cp_id="CP3", state="DISCONNECTED")
    denied(d2, "CP3", "cp-disconnected")

    # Malformed input everywhere: reported, and everyone goes on.
    net.produce("supply-req", "CP2", '{"v":1,"id":"%s","ts":1,"request_id":"%s","cp_id":"CP2",'
                '"driver_id":"bad id!","origin":"driver"}' % (new_id(), new_id()))
    net.central.wait("invalid-message", topic="supply-req")
    for proc, line in ((d2, "request bad/id"), (d2, "fly"), (net.central, "stop NOPE"),
                       (net.central, "stop bad id"), (cp2.engine, "plug"), (cp2.monitor, "jump")):
        since = proc.mark()
        proc.send(line)
        proc.wait("error", since=since)

    cp1.engine.send("unplug")
    check_ticket(net, supply_id, "unplugged", driver=d1, engine=cp1.engine)
    rows = net.query("SELECT supply_id FROM sessions")
    check(rows == [{"supply_id": supply_id}], "denied requests stored: %s", rows)


if __name__ == "__main__":
    sys.exit(run([test_register_and_authenticate, test_health, test_full_supply,
                  test_station_request, test_denials]))

#!/usr/bin/python3
"""End to end: Central's operator stops and resumes CPs (SPEC.md 11)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import check, check_ticket, request, run, start_supply  # noqa: E402

CPS = ("CP1", "CP2", "CP3")


def everyone_sees(net, drivers, state, since, cps=CPS):
    """Central, every engine and every driver show each CP in STATE."""
    for cp in cps:
        net.wait_cp_state(cp, state, since=since[0])
        net.stations[cp].engine.wait("state", since=since[1][cp], state=state)
        for driver, mark in zip(drivers, since[2]):
            driver.wait("cp-state", since=mark, cp_id=cp, state=state,
                        available=state == "ACTIVE")


def marks(net, drivers):
    return (net.central.mark(), {cp: s.engine.mark() for cp, s in net.stations.items()},
            [d.mark() for d in drivers])


def test_stop_and_resume(net):
    """11: stop one CP, then all during two supplies (tickets issued, all
    STOPPED, remembered by a restarted Central), then resume all."""
    net.start()
    for cp in CPS:
        net.add_station(cp, "--power-kw", "3600")
    drivers = [net.start_driver(d) for d in ("d1", "d2")]
    for driver in drivers:
        for cp in CPS:
            driver.wait("cp-state", cp_id=cp, state="ACTIVE")

    since = marks(net, drivers)
    net.central.send("stop CP3")
    net.central.wait("directive", target="CP3", action="stop")
    everyone_sees(net, drivers, "STOPPED", since, cps=("CP3",))
    net.central.send("resume CP3")
    everyone_sees(net, drivers, "ACTIVE", since, cps=("CP3",))

    supplies = [start_supply(net, d, net.stations[cp], seq=2) for d, cp in zip(drivers, CPS)]
    since = marks(net, drivers)
    net.central.send("stop all")
    net.central.wait("directive", target="all", action="stop")
    for driver, cp, supply_id in zip(drivers, CPS, supplies):
        check_ticket(net, supply_id, "stopped-by-central", driver=driver, engine=net.stations[cp].engine)
    everyone_sees(net, drivers, "STOPPED", since)
    rows = net.query("SELECT cp_id, state FROM charging_points ORDER BY cp_id")
    check(rows == [{"cp_id": cp, "state": "STOPPED"} for cp in CPS], "stored: %s", rows)

    # The operator's word outlives Central.
    net.central.quit()
    central = net.start_central()
    for cp in CPS:
        central.wait("cp-authenticated", cp_id=cp)
        net.wait_cp_state(cp, "STOPPED")
    check(request(drivers[0], "CP1", expect="denied")["reason"] == "cp-stopped", "not cp-stopped")

    since = marks(net, drivers)
    central.send("resume all")
    everyone_sees(net, drivers, "ACTIVE", since)
    # No flicker back to STOPPED while the engines get the directive.
    check(not central.find("cp-state", since=since[0], state="STOPPED"), "a resumed CP went STOPPED again")
    supply_id = start_supply(net, drivers[1], net.stations["CP1"])
    net.stations["CP1"].engine.send("unplug")
    check_ticket(net, supply_id, "unplugged", driver=drivers[1], engine=net.stations["CP1"].engine)


def test_price(net):
    """A CP's own price (`price CP EUR`): every driver's list shows it at
    once, the engine gets it with its monitor's next status, the next
    supply is priced at it; a bad price is refused with a reason."""
    net.start()
    net.add_station("CP1", "--power-kw", "3600")
    driver = net.start_driver("d1")
    driver.wait("cp-state", cp_id="CP1", state="ACTIVE")

    since = (net.central.mark(), net.stations["CP1"].engine.mark(), driver.mark())
    net.central.send("price CP1 0.5")
    net.central.wait("price", since=since[0], cp_id="CP1", price=0.5)
    driver.wait("cp-state", since=since[2], cp_id="CP1", pred=lambda e: e.get("price") == 0.5)
    net.stations["CP1"].engine.wait("price", since=since[1], pred=lambda e: e.get("price") == 0.5)
    rows = net.query("SELECT price FROM charging_points WHERE cp_id = 'CP1'")
    check(rows == [{"price": 0.5}], "stored: %s", rows)
    check(request(driver, "CP1")["price"] == 0.5, "not authorised at the new price")

    mark = net.central.mark()
    net.central.send("price CP1 -2")
    error = net.central.wait("error", since=mark)
    check("price" in error["message"], "the refusal says why: %s", error)


def test_location(net):
    """Where a CP is (`location CP TEXT`, spaces and all): every driver's
    list shows it at once and the database keeps it; a bad one is refused
    with a reason, the stored one untouched."""
    net.start()
    net.add_station("CP1")
    driver = net.start_driver("d1")
    driver.wait("cp-state", cp_id="CP1", state="ACTIVE")

    since = (net.central.mark(), driver.mark())
    net.central.send("location CP1   Elche,  Parque Empresarial 7")
    net.central.wait("location", since=since[0], cp_id="CP1", location="Elche,  Parque Empresarial 7")
    driver.wait("cp-state", since=since[1], cp_id="CP1",
                pred=lambda e: e.get("location") == "Elche,  Parque Empresarial 7")
    net.wait_query("SELECT location FROM charging_points WHERE cp_id = 'CP1'",
                   [{"location": "Elche,  Parque Empresarial 7"}])

    mark = net.central.mark()
    net.central.send("location CP1 " + "x" * 201)
    error = net.central.wait("error", since=mark)
    check("location" in error["message"].lower(), "the refusal says why: %s", error)
    rows = net.query("SELECT location FROM charging_points WHERE cp_id = 'CP1'")
    check(rows == [{"location": "Elche,  Parque Empresarial 7"}], "kept after a refusal: %s", rows)


if __name__ == "__main__":
    sys.exit(run([test_stop_and_resume, test_price, test_location]))

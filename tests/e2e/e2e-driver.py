#!/usr/bin/python3
"""End to end: request files and a driver's crash (SPEC.md 13, 17)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import SLOW, check, check_outcome, check_ticket, run, start_supply  # noqa: E402

SIMULATED = ("--power-kw", "3600", "--auto-plug", "1", "--auto-unplug-after", "2")


def test_request_file(net):
    """13: a file of CPs, some failing: each concludes, 4 s, the next one."""
    net.start()
    for cp in ("CP1", "CP2", "CP3"):
        net.add_station(cp, *SIMULATED)
    faulty = net.add_station("CP4", "--power-kw", "3600", "--auto-plug", "1")
    net.central.send("stop CP3")
    net.wait_cp_state("CP3", "STOPPED")
    path = net.write_file("trip.txt", "CP1\n\nNOPE  # not a CP\nCP3\ntwo words\nCP4\nCP2\n")
    driver = net.start_driver("d1", "--file", path)
    driver.popen.stdin.close()  # the file runs to its end all the same

    invalid = driver.wait("file-invalid-line")
    check(invalid["line"] == 5 and invalid["text"] == "two words", "invalid line %s", invalid)
    start = driver.wait("file-start")
    check(start["m"] == 5, "%s valid lines", start["m"])
    # The engine at CP4 fails during its supply.
    supply_id = faulty.engine.wait("started", timeout=120 * SLOW)["supply_id"]
    faulty.engine.wait("progress", supply_id=supply_id)
    faulty.engine.send("ko")
    done = driver.wait("file-done", timeout=120 * SLOW)

    outcomes = [(r["cp_id"], r["outcome"], r["reason"]) for r in done["results"]]
    check(outcomes[:3] == [("CP1", "ticket", "unplugged"), ("NOPE", "denied", "unknown-cp"),
                           ("CP3", "denied", "cp-stopped")] and outcomes[4] == ("CP2", "ticket", "unplugged")
          and outcomes[3][0] == "CP4" and outcomes[3][2] == "engine-fault", "results %s", outcomes)
    check(done["total"] == 5 and done["denied"] == 2, "summary %s", done)
    # Each request 4 s after the previous one concluded (never sooner).
    results = driver.find("file-result")
    requests = driver.find("file-request")
    check(len(results) == 5 and len(requests) == 5, "%d requests, %d results", len(requests), len(results))
    for result, following in zip(results, requests[1:]):
        gap = following["_at"] - result["_at"]
        check(3.9 <= gap <= 4.0 + 2.0 * SLOW, "%.2f s between %s and %s", gap, result["cp_id"],
              following["cp_id"])
    for result in results:
        if result["outcome"] == "ticket":
            check_ticket(net, result["supply_id"], result["reason"], driver=driver,
                         engine=net.stations[result["cp_id"]].engine)
    check_outcome(net, results[3]["supply_id"], "engine-fault", faulty.engine, driver=driver)
    check(driver.wait_exit() == 0, "the driver did not exit 0 at the end of its file")
    check(len(net.query("SELECT * FROM sessions")) == 3, "not three sessions in Central's database")


def test_driver_killed(net):
    """17: the driver dies during a supply; restarted, it follows it live;
    dead again when it ends, restarted, it gets its ticket, once."""
    net.start()
    station = net.add_station("CP1", "--power-kw", "3600")
    driver = net.start_driver("d1")
    supply_id = start_supply(net, driver, station, seq=2)
    driver.kill()

    driver = net.start_driver("d1", name="driver-d1.2")
    check(driver.wait("recovered")["supply_id"] == supply_id, "recovered another supply")
    seq = max(p["seq"] for p in station.engine.find("progress", supply_id=supply_id))
    driver.wait("progress", supply_id=supply_id, pred=lambda e: e["seq"] > seq)
    driver.kill()

    station.engine.send("unplug")
    net.central.wait("ticket", supply_id=supply_id)
    driver = net.start_driver("d1", name="driver-d1.3")
    driver.wait("recovered", supply_id=supply_id)
    check_ticket(net, supply_id, "unplugged", driver=driver, engine=station.engine)
    driver.send("history")
    history = driver.wait("history")
    check(history["count"] == 1 and history["tickets"][0]["supply_id"] == supply_id, "history %s", history)
    driver.quit()

    # Nothing left to recover; the ticket is not delivered again.
    driver = net.start_driver("d1", name="driver-d1.4")
    driver.send("status")
    check(driver.wait("status")["supply_id"] in (None, supply_id), "status after the ticket")
    check(not driver.find("recovered"), "recovered a concluded supply")
    driver.send("history")
    check(driver.wait("history")["count"] == 1, "the ticket counted twice")
    check(not driver.find("ticket"), "the ticket was delivered again")


def test_driver_killed_during_file(net):
    """13 + 17: a file run survives its driver's crash and resumes where it was."""
    net.start()
    for cp in ("CP1", "CP2"):
        net.add_station(cp, *SIMULATED)
    path = net.write_file("trip.txt", "CP1\nCP2\n")
    driver = net.start_driver("d1", "--file", path)
    driver.wait("file-result", n=1)
    driver.kill()
    driver = net.start_driver("d1", "--file", path, name="driver-d1.2")
    check(driver.wait("file-start")["resumed"], "the file run did not resume")
    driver.popen.stdin.close()
    done = driver.wait("file-done", timeout=60 * SLOW)
    check([(r["cp_id"], r["outcome"]) for r in done["results"]] == [("CP1", "ticket"), ("CP2", "ticket")],
          "results %s", done["results"])
    check(len(driver.find("file-request")) == 1, "the resumed run asked again for CP1")
    check(driver.wait_exit() == 0, "the driver did not exit 0 at the end of its file")


if __name__ == "__main__":
    sys.exit(run([test_request_file, test_driver_killed, test_driver_killed_during_file]))

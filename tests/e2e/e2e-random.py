#!/usr/bin/python3
"""End to end, randomised: drivers run files at simulated stations while
components are killed and restarted at random moments. At the end every
authorised supply has exactly one outcome at its driver and one row in
Central's database, and every CP shows the same state everywhere.

Each supply is billed at its engine's meter: Central's row and the
driver's last outcome carry the engine's figures (network.billing_problems).

The seed is printed; `--seed N` replays a run (the test suite runs a fixed
one; without it a new seed is drawn), `--actions N` sets how many faults
it injects (6 by default).
"""

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import (SLOW, WAIT_S, billing_problems, check, log, meter, outcomes,  # noqa: E402
                     relayed_once, run)

CPS = ("CP1", "CP2", "CP3")
DRIVERS = ("d1", "d2", "d3")


class Chaos:
    def __init__(self, net, rng):
        self.net = net
        self.rng = rng
        self.drivers = {}     # driver id -> every process that ran it
        self.paths = {}

    def start_driver(self, driver_id):
        runs = self.drivers.setdefault(driver_id, [])
        proc = self.net.start_driver(driver_id, "--file", self.paths[driver_id],
                                     name="driver-%s.%d" % (driver_id, len(runs) + 1))
        runs.append(proc)
        return proc

    def driver(self, driver_id):
        return self.drivers[driver_id][-1]

    def running_drivers(self):
        return [d for d in DRIVERS if not self.driver(d).find("file-done")]

    def pause(self):
        time.sleep(self.rng.uniform(1.0, 3.0))

    # Each fault, then the repair.
    def kill_engine(self, station):
        station.engine.kill()
        self.pause()
        station.start_engine()

    def kill_monitor(self, station):
        station.monitor.kill()
        self.pause()
        station.start_monitor()

    def engine_ko(self, station):
        station.engine.send("ko")
        self.pause()
        station.engine.send("ok")

    def stop_cp(self, station):
        self.net.central.send("stop %s" % station.cp_id)
        self.pause()
        self.net.central.send("resume %s" % station.cp_id)

    def kill_central(self, _):
        self.net.central.kill()
        self.pause()
        self.net.start_central()

    def broker_outage(self, _):
        self.net.broker.send("down")
        self.net.broker.wait("broker-down", since=self.net.broker.mark() - 1)
        self.pause()
        self.net.broker.send("up")

    def kill_driver(self, _):
        running = self.running_drivers()
        if not running:
            return
        driver_id = self.rng.choice(running)
        self.driver(driver_id).kill()
        self.pause()
        self.start_driver(driver_id)

    ACTIONS = ("kill_engine", "kill_monitor", "engine_ko", "stop_cp", "kill_central",
               "broker_outage", "kill_driver")


def ignored_starts(net):
    """Supplies whose start an engine ignored because it was busy."""
    return {e["supply_id"] for p in net.procs if p.name.startswith("engine")
            for e in p.find("directive", action="start") if "already in progress" in e.get("ignored", "")}


def outcomes_at(runs):
    """supply_id -> the outcome events of every run of one driver."""
    found = {}
    for proc in runs:
        for name in ("ticket", "supply-error"):
            for event in proc.find(name):
                found.setdefault(event["supply_id"], []).append((proc.name, event))
    return found


OPTIONS = argparse.Namespace(seed=None, actions=6)


def test_random(net):
    seed = OPTIONS.seed
    actions = OPTIONS.actions
    print("# seed %d (replay with --seed %d)" % (seed, seed), flush=True)
    log("# seed %d" % seed)
    rng = random.Random(seed)
    chaos = Chaos(net, rng)

    net.start()
    for cp in CPS:
        net.add_station(cp, "--power-kw", "3600", "--auto-plug", "1",
                        "--auto-unplug-after", str(rng.randint(2, 4)))
    for driver_id in DRIVERS:
        lines = [rng.choice(CPS) for _ in range(rng.randint(3, 4))]
        chaos.paths[driver_id] = net.write_file("%s.txt" % driver_id, "\n".join(lines) + "\n")
        log("# %s runs %s" % (driver_id, " ".join(lines)))
        chaos.start_driver(driver_id)

    for _ in range(actions):
        time.sleep(rng.uniform(1.0, 5.0))
        action = rng.choice(Chaos.ACTIONS)
        station = net.stations[rng.choice(CPS)]
        log("# %.1f s: %s %s" % (time.monotonic() - net.procs[0].events[0]["_at"], action, station.cp_id))
        getattr(chaos, action)(station)

    # Everyone back: every file runs to its end.
    for driver_id in DRIVERS:
        chaos.driver(driver_id).wait("file-done", timeout=120 * SLOW)

    deadline = time.monotonic() + WAIT_S
    while net.query("SELECT * FROM sessions WHERE ended_at IS NULL") and time.monotonic() < deadline:
        time.sleep(0.5)
    rows = {r["supply_id"]: r for r in net.query("SELECT * FROM sessions")}
    authorisations = {}
    for proc in net.procs:
        if proc.name.startswith("central"):
            authorisations.update((e["supply_id"], e) for e in proc.find("authorized"))
    authorised = set(authorisations)
    stale = []
    check(authorised <= set(rows), "authorised supplies missing in the database: %s",
          authorised - set(rows))
    busy = ignored_starts(net)
    for supply_id, row in rows.items():
        if row["ended_at"] is None and supply_id in busy:
            # Known bug: the engine, busy with another supply (a re-sent
            # start of one it had finished), ignored it; Central waits forever.
            stale.append("%s never started (%s at %s)" % (supply_id, row["driver_id"], row["cp_id"]))
            continue
        check(row["ended_at"] is not None, "supply %s never ended: %s", supply_id, row)
        if row["driver_id"] not in DRIVERS:
            continue
        runs = chaos.drivers[row["driver_id"]]
        seen = outcomes(runs, supply_id)
        request_id = authorisations.get(supply_id, {}).get("request_id")
        gave_up = any(p.find(name, request_id=request_id) for p in runs for name in ("denied", "no-answer"))
        if not seen and gave_up and row["phase"] == "failed" and row["kwh"] == 0:
            # Authorised by a Central that died before answering; its driver
            # gave up, and a later Central withdrew it (too old, or its CP
            # failed): it ended with nothing supplied and nothing billed.
            continue
        if not seen and gave_up:
            # Known bug: a request its driver had concluded (denied before a
            # Central crash, or unanswered) is authorised when Central reads
            # it late; the driver has moved on and never follows the supply.
            stale.append("%s (%s at %s)" % (request_id, row["driver_id"], row["cp_id"]))
            continue
        # The engine's meter, Central's row and the driver's last outcome
        # (an error may come before the ticket) agree; one ticket at most.
        figures = meter([p for p in net.procs if p.name.startswith("engine-%s." % row["cp_id"])], supply_id)
        problems = billing_problems(figures, row, seen)
        check(not problems, "supply %s (%s at %s, %s): %s", supply_id, row["driver_id"], row["cp_id"],
              row["phase"], "; ".join(problems))
        expected = "ticket" if row["phase"] == "finished" else "supply-error"
        check(seen[-1]["event"] == expected, "supply %s: %s's last outcome is a %s, the database says %s",
              supply_id, seen[-1]["_run"], seen[-1]["event"], row["phase"])
    for driver_id in DRIVERS:
        for supply_id in outcomes_at(chaos.drivers[driver_id]):
            check(supply_id in rows, "%s has an outcome for unknown supply %s", driver_id, supply_id)
    relayed_once(net, *[i for i, r in rows.items() if r["ended_at"] is not None])

    # One state per CP, the same at Central, at its engine and at every
    # driver, once the last states have reached everyone (asked again until
    # they agree, within a bounded wait, rather than after a fixed sleep).
    def disagreements():
        since = net.central.mark()
        net.central.send("list")
        central = {cp["cp_id"]: cp["state"] for cp in net.central.wait("list", since=since)["cps"]}
        found = []
        for cp in CPS:
            engine = net.stations[cp].engine
            since = engine.mark()
            engine.send("status")
            state = engine.wait("status", since=since)["state"]
            if central.get(cp) != state:
                found.append("%s: %s at Central, %s at its engine" % (cp, central.get(cp), state))
        for driver_id in DRIVERS:
            driver = chaos.driver(driver_id)
            since = driver.mark()
            driver.send("list")
            listed = {cp["cp_id"]: cp["state"] for cp in driver.wait("list", since=since)["cps"]}
            if listed != central:
                found.append("%s lists %s, Central %s" % (driver_id, listed, central))
        return found

    deadline = time.monotonic() + WAIT_S
    problems = disagreements()
    while problems and time.monotonic() < deadline:
        time.sleep(0.5)
        problems = disagreements()
    check(not problems, "the CP states disagree: %s", "; ".join(problems))
    for driver_id in DRIVERS:
        driver = chaos.driver(driver_id)
        since = driver.mark()
        driver.send("history")
        history = driver.wait("history", since=since)
        ids = [t["supply_id"] for t in history["tickets"]]
        check(len(ids) == len(set(ids)), "%s's history repeats a supply", driver_id)
    log("# %d supplies, %d rows, every outcome once" % (len(authorised), len(rows)))
    check(not stale, "supplies their drivers never followed (stale requests authorised late, "
          "or starts ignored by busy engines): %s", ", ".join(stale))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="replay this seed (default: a new one)")
    parser.add_argument("--actions", type=int, default=6, help="how many faults (default 6)")
    parser.parse_args(namespace=OPTIONS)
    if OPTIONS.seed is None:
        OPTIONS.seed = random.SystemRandom().randrange(1 << 30)
    sys.exit(run([test_random]))

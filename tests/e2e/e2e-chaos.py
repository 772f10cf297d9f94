#!/usr/bin/python3
"""End to end, the fault campaign of issue 13: every kWh billed exactly once.

A network (the broker, Central, N stations with engine and monitor, M
drivers running request files) while faults strike at random moments:
kill -9 and restart of Central, of an engine, of a monitor, of a driver;
the broker down and up; Central's disk full for a while (a small tmpfs
under its database, filled and then emptied; only as root, in a mount
namespace of this script's own). Then everything is back and quiet, and
for every supply the engine's meter (its ticket; the last figures it sent
when it was killed mid-supply), Central's stored row and the driver's last
outcome must agree, with one ticket per supply per driver, no supply left
open in Central's database, no CP locked out, no program crashed.

Every choice (the stations, the request files, the faults, their moments
and lengths) comes from the seed, printed first: `--seed N` replays the
same choices. docs/reliability.md tells more.
"""

import argparse
import collections
import ctypes
import heapq
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import (SLOW, WAIT_S, Failure, billing_problems, check, log, meter,  # noqa: E402
                     outcomes, run)

KINDS = ("central", "engine", "monitor", "driver", "broker", "disk")
KILLED = {"central": "kill -9 Central", "engine": "kill -9 the engine of",
          "monitor": "kill -9 the monitor of", "driver": "kill -9 driver",
          "broker": "broker down", "disk": "Central's disk full"}
RESTART_S = 10.0 * SLOW     # a restarted program says ready within this
RETRIES = 60                # a repair that fails is tried again every second
QUIET_S = 60.0 * SLOW       # after the faults, every supply ends within this
DISK_SIZE = "24m"
CLONE_NEWNS = 0x00020000

Fault = collections.namedtuple("Fault", "at kind target length")
OPTIONS = argparse.Namespace(seed=None, seconds=30.0, stations=6, drivers=6)


def say(line):
    """A line for the reader: on standard output (a TAP comment) and in the log."""
    print("# " + line, flush=True)
    log("# " + line)


def plan(rng, seconds, cps, drivers):
    """The faults of a run: when, what, against whom, for how long. Drawn
    in full before anything starts, so that a seed always makes the same
    choices; a fault against a target still down from the previous one is
    left out (its draws are made all the same)."""
    faults = []
    until = {}
    at = rng.uniform(2.0, 4.0)
    while at < seconds:
        kind = rng.choice(KINDS)
        target = {"engine": cps, "monitor": cps, "driver": drivers}.get(kind)
        target = rng.choice(target) if target else None
        length = rng.uniform(1.0, 6.0 if kind in ("broker", "disk") else 4.0)
        if until.get((kind, target), -1.0) < at:
            faults.append(Fault(round(at, 2), kind, target, round(length, 2)))
            until[(kind, target)] = at + length
        at += rng.uniform(1.0, 3.0)
    return faults


def private_mounts():
    """A mount namespace of this process's own (as root), so that the
    tmpfs of the disk faults goes away with it whatever happens. Returns
    None, or why the disk faults cannot run."""
    if os.geteuid() != 0:
        return "not running as root: cannot mount a tmpfs"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        return "unshare(CLONE_NEWNS): %s" % os.strerror(ctypes.get_errno())
    done = subprocess.run(["mount", "--make-rprivate", "/"], capture_output=True, text=True)
    if done.returncode != 0:
        return "mount --make-rprivate /: %s" % done.stderr.strip()
    return None


class Campaign:
    def __init__(self, net, rng, disk_unavailable):
        self.net = net
        self.rng = rng
        self.cps = ["CP%d" % n for n in range(1, OPTIONS.stations + 1)]
        self.driver_ids = ["d%d" % n for n in range(1, OPTIONS.drivers + 1)]
        self.drivers = {}           # driver id -> every process that ran it
        self.paths = {}
        self.ended = set()          # processes the campaign itself ended
        self.history = []           # [time, description, fault, end time or None]
        self.findings = []          # not about one supply: crashes, lock-outs, ...
        self.disk_dir = None
        self.disk_unavailable = disk_unavailable
        self.t0 = time.monotonic()

    def now(self):
        return time.monotonic() - self.t0

    # -- the network ----------------------------------------------------------

    def prepare(self):
        """Central's database on a small tmpfs (when possible), the choices of
        the stations and the request files."""
        if self.disk_unavailable is None:
            self.disk_dir = os.path.join(self.net.dir, "db")
            os.mkdir(self.disk_dir)
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + DISK_SIZE, "ev-chaos",
                                   self.disk_dir], capture_output=True, text=True)
            if done.returncode != 0:
                self.disk_unavailable = "mount -t tmpfs: %s" % done.stderr.strip()
                self.disk_dir = None
            else:
                self.net.db_path = os.path.join(self.disk_dir, "central.db")
        if self.disk_unavailable:
            say("the disk-full fault cannot run here (%s): it is skipped" % self.disk_unavailable)
        self.unplug_after = {cp: self.rng.randint(2, 5) for cp in self.cps}
        for driver_id in self.driver_ids:
            lines = [self.rng.choice(self.cps) for _ in range(self.rng.randint(2, 3))]
            self.paths[driver_id] = self.net.write_file("%s.txt" % driver_id, "\n".join(lines) + "\n")
            say("%s runs %s" % (driver_id, " ".join(lines)))

    def start(self):
        self.net.start()
        for cp in self.cps:
            self.net.add_station(cp, "--power-kw", "3600", "--auto-plug", "1",
                                 "--auto-unplug-after", str(self.unplug_after[cp]))
        for driver_id in self.driver_ids:
            self.start_driver(driver_id)
        self.t0 = time.monotonic()

    def start_driver(self, driver_id, timeout=WAIT_S):
        runs = self.drivers.setdefault(driver_id, [])
        # A run that began its file resumes it from its saved state; given
        # the file again after the end, it would run it once more.
        began = any(p.find("file-start") for p in runs)
        extra = [] if began else ["--file", self.paths[driver_id]]
        proc = self.net.start_driver(driver_id, *extra, name="driver-%s.%d" % (driver_id, len(runs) + 1),
                                     timeout=timeout)
        runs.append(proc)
        return proc

    def driver(self, driver_id):
        return self.drivers[driver_id][-1]

    def component(self, kind, target):
        """The process a fault of KIND strikes now."""
        if kind == "central":
            return self.net.central
        if kind == "engine":
            return self.net.stations[target].engine
        if kind == "monitor":
            return self.net.stations[target].monitor
        return self.driver(target)

    def current(self):
        """Every program that should run now."""
        procs = [self.net.broker, self.net.central]
        for station in self.net.stations.values():
            procs += [station.engine, station.monitor]
        return procs + [self.driver(d) for d in self.driver_ids]

    # -- faults -----------------------------------------------------------------

    def strike(self, fault):
        if fault.kind == "disk":
            if self.disk_dir is None:
                return "skipped: %s" % self.disk_unavailable
            with open(os.path.join(self.disk_dir, "filler"), "wb", buffering=0) as filler:
                chunk = b"\0" * 65536
                try:
                    while True:
                        filler.write(chunk)
                except OSError:
                    pass
            return "full"
        if fault.kind == "broker":
            since = self.net.broker.mark()
            self.net.broker.send("down")
            self.net.broker.wait("broker-down", since=since)
            return "down"
        proc = self.component(fault.kind, fault.target)
        if not proc.running():
            return "already down"
        self.ended.add(proc)
        proc.kill()
        return "killed"

    def repair(self, fault):
        """Undoes FAULT; False when it must be tried again later (a program
        that cannot start yet, for instance while the broker is down)."""
        if fault.kind == "disk":
            if self.disk_dir is not None:
                os.unlink(os.path.join(self.disk_dir, "filler"))
            return True
        if fault.kind == "broker":
            since = self.net.broker.mark()
            self.net.broker.send("up")
            self.net.broker.wait("broker-up", since=since)
            return True
        if self.component(fault.kind, fault.target).running():
            return True
        start = {"central": lambda: self.net.start_central(timeout=RESTART_S),
                 "engine": lambda: self.net.stations[fault.target].start_engine(timeout=RESTART_S),
                 "monitor": lambda: self.net.stations[fault.target].start_monitor(timeout=RESTART_S),
                 "driver": lambda: self.start_driver(fault.target, timeout=RESTART_S)}[fault.kind]
        try:
            start()
            return True
        except Failure as error:
            proc = self.component(fault.kind, fault.target)
            self.ended.add(proc)
            proc.kill()
            log("# %.1f s: %s did not start again (%s); again in 1 s"
                % (self.now(), proc, str(error).splitlines()[0]))
            return False

    def describe(self, fault):
        return KILLED[fault.kind] + (" %s" % fault.target if fault.target else "")

    def inflict(self, faults):
        """Runs the plan: each fault at its moment, its repair LENGTH later."""
        timeline = []
        for number, fault in enumerate(faults):
            heapq.heappush(timeline, (fault.at, number, 0, fault))
            heapq.heappush(timeline, (fault.at + fault.length, number, 1, fault))
        entries = {}
        tries = collections.Counter()
        while timeline:
            at, number, repairing, fault = heapq.heappop(timeline)
            wait = at - self.now()
            if wait > 0:
                time.sleep(wait)
            if not repairing:
                entry = [self.now(), self.describe(fault), fault, None]
                entries[number] = entry
                self.history.append(entry)
                say("%.1f s: %s: %s" % (entry[0], entry[1], self.strike(fault)))
                continue
            if self.repair(fault):
                entries[number][3] = self.now()
                log("# %.1f s: %s: repaired" % (self.now(), entries[number][1]))
                continue
            tries[number] += 1
            if tries[number] >= RETRIES:
                self.findings.append("%s: never repaired" % entries[number][1])
                continue
            heapq.heappush(timeline, (self.now() + 1.0, number, 1, fault))

    # -- quiet ----------------------------------------------------------------

    def crashes(self):
        """Programs that ended by themselves, restarted; what happened to them."""
        found = []
        for proc in self.current():
            if proc.running() or proc in self.ended:
                continue
            status = proc.popen.wait()
            self.ended.add(proc)
            tail = proc.stderr_tail(3).replace("\n", " | ")
            found.append("%s exited by itself (status %s): %s" % (proc, status, tail))
            kind = proc.name.split("-")[0].split(".")[0]
            target = None if kind == "central" else proc.name.split("-", 1)[1].rsplit(".", 1)[0]
            if kind in ("central", "engine", "monitor", "driver"):
                for _ in range(RETRIES):
                    if self.repair(Fault(0, kind, target, 0)):
                        break
                    time.sleep(1.0)
        return found

    def unsettled(self):
        """What still keeps the network from rest: running files, open
        supplies, busy engines, monitors not authenticated."""
        left = ["%s's file" % d for d in self.driver_ids
                if not any(p.find("file-done") for p in self.drivers[d])]
        try:
            left += ["open supply %s" % r["supply_id"]
                     for r in self.net.query("SELECT supply_id FROM sessions WHERE ended_at IS NULL")]
        except Exception as error:  # noqa: B902 — Central may be writing; ask again
            left.append("database: %s" % error)
        # A supply Central has billed is at rest once its driver has had
        # that outcome: the relay may still be on its way (a Central that
        # restarted relays a redelivered ticket again).
        try:
            billed = self.net.query("SELECT supply_id, driver_id, kwh FROM sessions"
                                    " WHERE ended_at IS NOT NULL AND kwh > 0")
        except Exception as error:  # noqa: B902 — Central may be writing; ask again
            billed = []
            left.append("database: %s" % error)
        for row in billed:
            runs = self.drivers.get(row["driver_id"], [])
            told = [e for p in runs for name in ("ticket", "supply-error")
                    for e in p.find(name, supply_id=row["supply_id"])]
            if not any(abs(e["kwh"] - row["kwh"]) < 1e-9 for e in told):
                left.append("%s has not had the outcome of %s" % (row["driver_id"], row["supply_id"]))
        for cp, station in self.net.stations.items():
            states = station.engine.find("state")
            if states and states[-1]["state"] in ("WAITING", "SUPPLYING"):
                left.append("%s %s" % (cp, states[-1]["state"]))
        return left + self.lockouts()

    def quiet(self):
        """Waits (bounded) until every supply has concluded and every CP is back."""
        deadline = time.monotonic() + QUIET_S
        while True:
            crashed = self.crashes()
            for line in crashed:
                say("%.1f s: %s" % (self.now(), line))
            self.findings += crashed
            left = self.unsettled()
            if not left:
                # At rest only once the three agree: a ticket may still be
                # in Kafka for a Central whose group is rebalancing.
                pending = [row[0] for row in self.check() if row[6]]
                if pending:
                    left = ["not yet agreed: %s" % ", ".join(pending)]
            if not left:
                say("%.1f s: quiet" % self.now())
                return
            if time.monotonic() > deadline:
                say("not quiet after %.0f s: %s" % (QUIET_S, ", ".join(left)))
                self.findings.append("not quiet: %s" % ", ".join(left))
                return
            time.sleep(0.5)

    def after_the_storm(self):
        """Once the faults are over the network serves again: the first
        driver asks at the first CP until it is authorised (a CP just back
        may still be unavailable), and its ticket comes. So every campaign
        bills at least one supply, however little of its plan left Central
        up with a disk it could write, and a network that no longer serves
        is a finding rather than a campaign that tested nothing."""
        driver_id, cp = self.driver_ids[0], self.cps[0]
        driver = self.driver(driver_id)
        deadline = time.monotonic() + QUIET_S
        while time.monotonic() < deadline:
            since = driver.mark()
            driver.send("request %s" % cp)
            try:
                answer = driver.wait("authorized", since=since, timeout=5.0 * SLOW,
                                     pred=lambda e: e.get("cp_id") == cp)
            except Failure:
                time.sleep(1.0)
                continue
            say("%.1f s: after the faults, %s authorised at %s (%s)"
                % (self.now(), driver_id, cp, answer.get("supply_id")))
            return
        self.findings.append("after the faults, %s was never authorised at %s" % (driver_id, cp))

    # -- the invariants -------------------------------------------------------

    def supplies(self):
        """supply id -> (cp id, driver id, request id) of every supply any
        program or the database knows."""
        known = {}
        for row in self.net.query("SELECT supply_id, cp_id, driver_id FROM sessions"):
            known[row["supply_id"]] = [row["cp_id"], row["driver_id"], None]
        for proc in self.net.procs:
            for event in proc.find("authorized"):
                if not event.get("supply_id"):
                    continue
                entry = known.setdefault(event["supply_id"], [None, None, None])
                entry[0] = entry[0] or event.get("cp_id") or proc.name.split("-", 1)[1].rsplit(".", 1)[0]
                entry[1] = entry[1] or event.get("driver_id")
                entry[2] = entry[2] or event.get("request_id")
        return known

    def histories(self):
        """driver id -> supply id -> the entries of its history."""
        found = {}
        for driver_id in self.driver_ids:
            driver = self.driver(driver_id)
            since = driver.mark()
            driver.send("history")
            entries = found.setdefault(driver_id, collections.defaultdict(list))
            for ticket in driver.wait("history", since=since)["tickets"]:
                entries[ticket["supply_id"]].append(ticket)
        return found

    def around(self, supply_id, cp_id, driver_id):
        """The faults that could touch a supply (Central, the broker, the
        disk, its CP's engine or monitor, its driver) and were under way
        while it lived (or just before)."""
        seen = [e["_at"] - self.t0 for p in self.net.procs for e in p.events
                if e.get("supply_id") == supply_id]
        first, last = min(seen, default=0.0), max(seen, default=0.0)
        return ["%s at %.1f s" % (what, at) for at, what, fault, until in self.history
                if fault.target in (None, cp_id, driver_id)
                and at <= last and (until is None or until >= first - 2.0)]

    def check(self):
        rows = {r["supply_id"]: r for r in self.net.query("SELECT * FROM sessions")}
        histories = self.histories()
        table = []
        for supply_id, (cp_id, driver_id, request_id) in sorted(self.supplies().items(),
                                                                key=lambda kv: kv[1][:2]):
            engines = [p for p in self.net.procs if p.name.startswith("engine-%s." % cp_id)]
            figures = meter(engines, supply_id)
            row = rows.get(supply_id)
            runs = self.drivers.get(driver_id, [])
            shown = outcomes(runs, supply_id)
            gave_up = any(p.find(name, request_id=request_id) for p in runs
                          for name in ("no-answer", "denied")) if request_id else False
            problems = billing_problems(figures, row, shown, followed=not gave_up)
            kept = histories.get(driver_id, {}).get(supply_id, [])
            if len(kept) > 1:
                problems.append("driver: %d entries in its history" % len(kept))
            if shown and not kept:
                problems.append("driver: not in its history")
            if kept and figures["kwh"] is not None and abs(kept[-1]["kwh"] - figures["kwh"]) > 1e-9:
                problems.append("driver: %.4f kWh in its history" % kept[-1]["kwh"])
            table.append((supply_id, cp_id, driver_id, figures, row, shown, problems))
        return table

    def lockouts(self):
        """CPs that did not come back: a monitor not authenticated by the
        Central running now, or a CP that Central lists as DISCONNECTED."""
        central = self.net.central
        if not central.running():
            return ["Central is not running"]
        started = central.events[0]["_at"] if central.events else 0.0
        found = ["%s: its monitor's link is %s" % (cp, link(s.monitor, started))
                 for cp, s in self.net.stations.items()
                 if link(s.monitor, started) not in ("authenticated", "registered")]
        since = central.mark()
        central.send("list")
        try:
            listed = {cp["cp_id"]: cp["state"] for cp in central.wait("list", since=since, timeout=5.0)["cps"]}
        except Failure:
            return found + ["Central does not answer list"]
        found += ["%s: %s at Central" % (cp, listed.get(cp, "unknown")) for cp in self.cps
                  if listed.get(cp, "DISCONNECTED") == "DISCONNECTED"]
        return found


def link(monitor, since):
    """The state of a monitor's link to Central, as it said last after SINCE."""
    links = monitor.find("central", pred=lambda e: e["_at"] >= since)
    return links[-1]["link"] if links else "not linked to this Central"


def kwh_text(kwh):
    return "-" if kwh is None else "%.4f" % kwh


def report(campaign, table):
    """Prints the per-supply table; returns how many supplies mismatch."""
    say("%-8s %-4s %-4s %-28s %-28s %-22s %s" % ("supply", "cp", "drv", "engine kWh (meter)",
                                                 "Central kWh (row)", "driver kWh (last)", "verdict"))
    for supply_id, cp_id, driver_id, figures, row, shown, problems in table:
        central = ("%s (%s %s)" % (kwh_text(row["kwh"]), row["phase"], row["reason"] or "")
                   if row else "- (no row)")
        driver = ("%s (%s)" % (kwh_text(shown[-1]["kwh"]), "+".join(e["event"] for e in shown))
                  if shown else "- (none)")
        say("%-8s %-4s %-4s %-28s %-28s %-22s %s" % (supply_id[:8], cp_id, driver_id,
                                                     "%s (%s)" % (kwh_text(figures["kwh"]), figures["source"]),
                                                     central[:28], driver[:22], "MISMATCH" if problems else "ok"))
    bad = [entry for entry in table if entry[6]]
    for supply_id, cp_id, driver_id, _, _, _, problems in bad:
        say("MISMATCH %s (%s at %s): %s" % (supply_id, driver_id, cp_id, "; ".join(problems)))
        say("    after: %s" % ("; ".join(campaign.around(supply_id, cp_id, driver_id)) or "no fault nearby"))
    return len(bad)


def test_chaos(net):
    seed = OPTIONS.seed
    say("seed %d (replay with --seed %d --seconds %g --stations %d --drivers %d)"
        % (seed, seed, OPTIONS.seconds, OPTIONS.stations, OPTIONS.drivers))
    rng = random.Random(seed)
    campaign = Campaign(net, rng, OPTIONS.disk_unavailable)
    try:
        campaign.prepare()
        faults = plan(rng, OPTIONS.seconds, campaign.cps, campaign.driver_ids)
        say("plan: " + ", ".join("%s at %.1f s for %.1f s" % (campaign.describe(f), f.at, f.length)
                                 for f in faults))
        campaign.start()
        campaign.inflict(faults)
        campaign.quiet()
        campaign.after_the_storm()
        campaign.quiet()
        table = campaign.check()
        bad = report(campaign, table)
        lockouts = campaign.lockouts()
        for line in lockouts + campaign.findings:
            say("FINDING " + line)
        say("chaos seed %d: %d supplies, %d mismatching supplies, %d other findings"
            % (seed, len(table), bad, len(lockouts) + len(campaign.findings)))
        check(table, "no supply at all: the campaign tested nothing")
        check(not bad and not lockouts and not campaign.findings,
              "seed %d: %d mismatching supplies, %d other findings (see above)",
              seed, bad, len(lockouts) + len(campaign.findings))
    finally:
        if campaign.disk_dir is not None:
            # Keep a copy of the database with the run's files, then detach
            # the tmpfs (Central may still hold it open).
            for name in os.listdir(campaign.disk_dir):
                if name.startswith("central.db"):
                    shutil.copy(os.path.join(campaign.disk_dir, name), net.dir)
            subprocess.run(["umount", "-l", campaign.disk_dir], check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="replay this seed (default: a new one)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long faults are injected (default 30)")
    parser.add_argument("--stations", type=int, default=6, help="stations (default 6)")
    parser.add_argument("--drivers", type=int, default=6, help="drivers (default 6)")
    parser.parse_args(namespace=OPTIONS)
    if OPTIONS.seconds <= 0 or not 1 <= OPTIONS.stations <= 99 or not 1 <= OPTIONS.drivers <= 99:
        parser.error("--seconds must be positive, --stations and --drivers 1 to 99")
    if OPTIONS.seed is None:
        OPTIONS.seed = random.SystemRandom().randrange(1 << 30)
    # Before any thread exists: unshare() refuses a process that has some.
    OPTIONS.disk_unavailable = private_mounts()
    return run([test_chaos])


if __name__ == "__main__":
    sys.exit(main())

"""A whole EV Charging Network on this machine, for end-to-end tests.

Every component is the real program in --headless mode: ev-broker, ev-central,
ev-station engine/monitor and ev-driver, talking over the broker and loopback
TCP. A test watches them through their JSON-lines events (one reader thread
per process), Kafka topics (kafka-python) and Central's SQLite database
(opened read-only), and acts on them through their standard input and
signals. Each test gets a private temporary folder as XDG_RUNTIME_DIR,
XDG_STATE_HOME and XDG_DATA_HOME, so tests run in parallel.

The programs come from the environment (set by tests/meson.build):
EV_BROKER, EV_CENTRAL, EV_STATION, EV_DRIVER. Results are TAP on standard
output; everything else goes to standard error.
"""

import ctypes
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

# Sanitizer builds run the programs 2-3 times slower; every time-out grows.
SLOW = 3.0 if "ASAN_OPTIONS" in os.environ else 1.0
WAIT_S = 30.0 * SLOW
QUIT_S = 20.0 * SLOW

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # A harness killed by meson's time-out never leaves programs behind.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Failure(AssertionError):
    """A test expectation not met; the message says which."""


def check(condition, message, *args):
    if not condition:
        raise Failure(message % args if args else message)


def program(name):
    path = os.environ.get(name)
    check(path is not None and os.access(path, os.X_OK),
          "%s must name the built program (run through meson test)", name)
    return path


def matches(event, name, fields, pred):
    if event.get("event") != name:
        return False
    for key, value in fields.items():
        if event.get(key) != value:
            return False
    return pred is None or pred(event)


class Process:
    """One program: its events as they arrive, its stdin, its exit."""

    def __init__(self, net, name, argv, env):
        self.net = net
        self.name = name
        self.argv = argv
        self.events = []
        self.cond = threading.Condition()
        self.eof = False
        self.log_path = os.path.join(net.dir, "%s.log" % name)
        with open(self.log_path, "ab") as err:
            err.write(("=== %s\n" % " ".join(argv)).encode())
            err.flush()
            self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=err,
                                          env=env, preexec_fn=_die_with_parent)
        self.pid = self.popen.pid
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for raw in self.popen.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                event = {"event": "(not json)", "text": raw.decode("utf-8", "replace")}
            event["_at"] = time.monotonic()
            event["_run"] = self.name
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def __repr__(self):
        return self.name

    def mark(self):
        """A position in the events: wait(..., since=mark) looks after it."""
        with self.cond:
            return len(self.events)

    def find(self, name, since=0, pred=None, **fields):
        with self.cond:
            return [e for e in self.events[since:] if matches(e, name, fields, pred)]

    def wait(self, name, since=0, timeout=WAIT_S, pred=None, **fields):
        """The first event NAME after SINCE with these FIELDS (and PRED)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            index = since
            while True:
                while index < len(self.events):
                    event = self.events[index]
                    index += 1
                    if matches(event, name, fields, pred):
                        event["_index"] = index
                        return event
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    break
                self.cond.wait(left)
        what = "%s event %s%s" % (self.name, name, "".join(" %s=%s" % kv for kv in fields.items()))
        if self.eof:
            raise Failure("%s: the process ended (status %s) first" % (what, self.popen.wait()))
        raise Failure("%s: not within %.0f s; last events:\n%s"
                      % (what, timeout, self.tail_events()))

    def tail_events(self, n=8):
        with self.cond:
            lines = [json.dumps({k: v for k, v in e.items() if not k.startswith("_")})
                     for e in self.events[-n:]]
        return "\n".join("    " + line[:400] for line in lines)

    def send(self, line):
        self.popen.stdin.write((line + "\n").encode())
        self.popen.stdin.flush()

    def running(self):
        return self.popen.poll() is None

    def kill(self):
        """A crash: nothing flushed, nothing said."""
        if self.running():
            self.popen.kill()
        return self.wait_exit()

    def pause(self, paused=True):
        """A hung process (SIGSTOP), or one going on again (SIGCONT)."""
        self.popen.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)

    def wait_exit(self, timeout=QUIT_S):
        try:
            status = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit within %.0f s" % (self.name, timeout))
        self.thread.join(timeout)
        for stream in (self.popen.stdin, self.popen.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return status

    def quit(self, command="quit"):
        """A clean shutdown: exit status 0 and `stopped` as the last line."""
        try:
            if command:
                self.send(command)
            self.popen.stdin.close()
        except OSError:
            pass
        status = self.wait_exit()
        check(status == 0, "%s exited with status %s after %s", self.name, status, command)
        if self.name.startswith("broker"):
            return
        with self.cond:
            last = self.events[-1]["event"] if self.events else None
        check(last == "stopped", "%s: the last event is %s, not stopped", self.name, last)

    def stderr_tail(self, lines=25):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


class Station:
    """A CP: its engine and its monitor, restartable one by one."""

    def __init__(self, net, cp_id, engine_args, location):
        self.net = net
        self.cp_id = cp_id
        self.engine_args = engine_args
        self.location = location
        self.engine = None
        self.monitor = None
        self.port = 0
        self.runs = 0

    def start_engine(self, timeout=WAIT_S):
        self.runs += 1
        argv = [program("EV_STATION"), "engine", "--headless",
                "--listen", "127.0.0.1:%d" % self.port, "--kafka", self.net.bootstrap,
                "--location", self.location,
                # The network's own journals: a run never reads another's.
                "--state-dir", os.path.join(self.net.dir, "engines"),
                "--pairing-secret-file", self.net.pairing_secret_file] + list(self.engine_args)
        self.engine = self.net.spawn("engine-%s.%d" % (self.cp_id, self.runs), argv)
        ready = self.engine.wait("ready", timeout=timeout)
        self.port = ready["port"]
        return self.engine

    def start_monitor(self, timeout=WAIT_S):
        self.runs += 1
        argv = [program("EV_STATION"), "monitor", "--headless", "--id", self.cp_id,
                "--engine", "127.0.0.1:%d" % self.port,
                "--central", "127.0.0.1:%d" % self.net.central_port,
                "--pairing-secret-file", self.net.pairing_secret_file]
        self.monitor = self.net.spawn("monitor-%s.%d" % (self.cp_id, self.runs), argv)
        self.monitor.wait("ready", timeout=timeout)
        return self.monitor


class Network:
    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="ev-e2e-%s-" % name)
        self.env = dict(os.environ)
        for var, sub in (("XDG_RUNTIME_DIR", "run"), ("XDG_STATE_HOME", "state"),
                         ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                         ("XDG_CACHE_HOME", "cache")):
            path = os.path.join(self.dir, sub)
            os.makedirs(path, mode=0o700)
            self.env[var] = path
        # The programs' own G_DEBUG: a warning logged is not a crash here.
        self.env.pop("G_DEBUG", None)
        self.db_path = os.path.join(self.dir, "central.db")
        # Every engine and monitor of the network pairs with the same one.
        self.pairing_secret_file = os.path.join(self.dir, "pairing.secret")
        self.procs = []
        self.broker = None
        self.bootstrap = None
        self.central = None
        self.central_port = 0
        self.central_runs = 0
        self.stations = {}

    def spawn(self, name, argv):
        proc = Process(self, name, argv, self.env)
        self.procs.append(proc)
        return proc

    # -- components -------------------------------------------------------

    def start_broker(self):
        self.broker = self.spawn("broker", [program("EV_BROKER"), "--headless"])
        self.bootstrap = self.broker.wait("ready")["bootstrap"]
        return self.broker

    def start_central(self, *extra, timeout=WAIT_S):
        """Central on a free port the first time, on the same one after."""
        self.central_runs += 1
        # Registrations are approved at once: approval has tests of its own.
        argv = [program("EV_CENTRAL"), "--headless", "--auto-approve",
                "--listen", "127.0.0.1:%d" % self.central_port,
                "--kafka", self.bootstrap, "--db", self.db_path] + list(extra)
        self.central = self.spawn("central.%d" % self.central_runs, argv)
        self.central_port = self.central.wait("ready", timeout=timeout)["port"]
        return self.central

    def start(self):
        """The broker and Central."""
        self.start_broker()
        self.start_central()
        return self

    def new_station(self, cp_id, engine_args, location):
        return Station(self, cp_id, engine_args, location)

    def add_station(self, cp_id, *engine_args, location=None, wait_active=True):
        """An engine and its monitor for CP_ID; waits until Central shows it ACTIVE."""
        station = self.new_station(cp_id, engine_args, location or "Street %s" % cp_id)
        self.stations[cp_id] = station
        since = self.central.mark()
        station.start_engine()
        station.start_monitor()
        if wait_active:
            self.wait_cp_state(cp_id, "ACTIVE", since=since)
            station.engine.wait("central", reachable=True)
        return station

    def start_driver(self, driver_id, *extra, name=None, timeout=WAIT_S):
        argv = [program("EV_DRIVER"), "--headless", "--id", driver_id,
                "--kafka", self.bootstrap] + list(extra)
        driver = self.spawn(name or "driver-%s" % driver_id, argv)
        driver.wait("ready", timeout=timeout)
        return driver

    def wait_cp_state(self, cp_id, state, since=0, timeout=WAIT_S):
        return self.central.wait("cp-state", since=since, timeout=timeout, cp_id=cp_id, state=state)

    def write_file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # -- observation ------------------------------------------------------

    def query(self, sql, *args):
        """Rows of Central's database, read-only (it may be running)."""
        db = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, args)]
        finally:
            db.close()

    def wait_query(self, sql, expected, timeout=WAIT_S):
        """Rows of Central's database once they are `expected` (writes are
        batched, so an event may come before its commit); fails with the
        last rows read."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.query(sql)
            if rows == expected or time.monotonic() > deadline:
                check(rows == expected, "%s: %s, not %s", sql, rows, expected)
                return rows
            time.sleep(0.05)

    def session(self, supply_id):
        rows = self.query("SELECT * FROM sessions WHERE supply_id = ?", supply_id)
        check(len(rows) == 1, "%d rows for supply %s in Central's database", len(rows), supply_id)
        return rows[0]

    def wait_session_ended(self, supply_id, timeout=WAIT_S):
        """Central's row of a supply, once its end is committed."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.query("SELECT * FROM sessions WHERE supply_id = ? AND ended_at IS NOT NULL",
                              supply_id)
            if rows:
                return rows[0]
            check(time.monotonic() < deadline, "supply %s not ended in Central's database", supply_id)
            time.sleep(0.2)

    def topic(self, *names, timeout=10.0 * SLOW):
        """Every message of these topics, read from the beginning with kafka-python."""
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(*names, bootstrap_servers=self.bootstrap, group_id=None,
                                 client_id="ev-e2e", auto_offset_reset="earliest",
                                 enable_auto_commit=False, consumer_timeout_ms=int(2000 * SLOW))
        values = []
        try:
            deadline = time.monotonic() + timeout
            # Wait for the assignment, then read until nothing comes for a while.
            while not consumer.assignment() and time.monotonic() < deadline:
                consumer.poll(timeout_ms=200)
            consumer.seek_to_beginning()
            for record in consumer:
                values.append(json.loads(record.value))
                if time.monotonic() > deadline:
                    break
        finally:
            consumer.close()
        return values

    def produce(self, topic, key, value):
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", client_id="ev-e2e")
        try:
            producer.send(topic, key=key.encode(), value=value.encode()).get(timeout=10 * SLOW)
        finally:
            producer.close()

    # -- end --------------------------------------------------------------

    def stop_all(self):
        """Quit every program still running: drivers, stations, Central, broker."""
        live = [p for p in self.procs if p.running() and p is not self.broker]
        for proc in live:
            proc.send("quit")
        for proc in live:
            proc.quit(None)
        if self.broker is not None and self.broker.running():
            self.broker.quit()

    def close(self, failed):
        for proc in self.procs:
            if proc.running():
                proc.popen.kill()
                proc.pause(False)
            try:
                proc.wait_exit(5)
            except Failure:
                pass
        if failed:
            for proc in self.procs:
                with open(os.path.join(self.dir, "%s.events" % proc.name), "w") as f:
                    for event in proc.events:
                        f.write(json.dumps(event) + "\n")
                log("--- %s (pid %d), last events:\n%s" % (proc.name, proc.pid, proc.tail_events()))
                log("--- %s, end of stderr:\n%s" % (proc.name, proc.stderr_tail()))
            log("--- files kept in %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- supplies -----------------------------------------------------------------

def request(driver, cp_id, expect="authorized", **fields):
    """Asks for a supply at CP_ID; returns the driver's answer (EXPECT event)."""
    since = driver.mark()
    driver.send("request %s" % cp_id)
    sent = driver.wait("request", since=since, cp_id=cp_id)
    return driver.wait(expect, since=since, request_id=sent["request_id"], **fields)


def plug(station, supply_id):
    """The vehicle plugged in once the engine is WAITING for SUPPLY_ID."""
    station.engine.wait("authorized", supply_id=supply_id)
    station.engine.send("plug")
    return station.engine.wait("started", supply_id=supply_id)


def start_supply(net, driver, station, seq=1):
    """A driver's supply at STATION, plugged in and streaming (SEQ reached)."""
    supply_id = request(driver, station.cp_id)["supply_id"]
    plug(station, supply_id)
    driver.wait("progress", supply_id=supply_id, pred=lambda e: e["seq"] >= seq)
    return supply_id


def same_figures(a, b, what):
    for key in ("kwh", "amount"):
        check(abs(a[key] - b[key]) < 1e-9, "%s: %s %s != %s", what, key, a[key], b[key])


def check_live_data(progress, ticket, price, what):
    """Live figures: seq 1, 2, … without a gap, energy never decreasing,
    amount = energy × price; the ticket closes them with the final sum."""
    check(progress, "%s: no live data before the ticket", what)
    seqs = [p["seq"] for p in progress]
    check(seqs == list(range(1, len(seqs) + 1)), "%s: live seqs %s", what, seqs)
    check(ticket["seq"] == len(seqs) + 1, "%s: ticket seq %s after %d progress", what,
          ticket["seq"], len(seqs))
    steps = [b["kwh"] - a["kwh"] for a, b in zip(progress, progress[1:] + [ticket])]
    check(all(step >= 0 for step in steps), "%s: energy decreased: %s", what, steps)
    total = progress[0]["kwh"] + sum(steps)
    check(abs(total - ticket["kwh"]) < 1e-9, "%s: ticket %s kWh, live data sum %s",
          what, ticket["kwh"], total)
    for figures in progress + [ticket]:
        check(abs(figures["amount"] - figures["kwh"] * price) <= 0.01,
              "%s: amount %s for %s kWh at %s", what, figures["amount"], figures["kwh"], price)


def central_end(net, supply_id, event, phase, reason):
    """Central's EVENT ending a supply, and its database row in PHASE, agree."""
    central = net.central.wait(event, supply_id=supply_id)
    check(central["reason"] == reason, "Central's %s reason %s, not %s", event, central["reason"], reason)
    row = net.wait_session_ended(supply_id)
    check(row["phase"] == phase and row["reason"] == reason,
          "database row %s/%s for a %s %s", row["phase"], row["reason"], reason, event)
    same_figures(row, central, "database and Central's %s" % event)
    return central


def check_ticket(net, supply_id, reason, *, engine, driver=None):
    """One supply's end seen the same way by every party: the engine's
    ticket (its meter), Central's event and database row, and the driver's
    ticket."""
    central = central_end(net, supply_id, "ticket", "finished", reason)
    ticket = engine.wait("ticket", supply_id=supply_id)
    same_figures(ticket, central, "engine and Central tickets")
    check_live_data(engine.find("progress", supply_id=supply_id), ticket, ticket["price"],
                    "engine %s" % engine)
    if driver is not None:
        ticket = driver.wait("ticket", supply_id=supply_id)
        check(ticket["reason"] == reason, "driver's ticket reason %s", ticket["reason"])
        same_figures(ticket, central, "driver and Central tickets")
        check(len(driver.find("ticket", supply_id=supply_id)) == 1, "the driver got two tickets")
        live = driver.find("progress", supply_id=supply_id)
        if engine is not None:
            streamed = {p["seq"]: p for p in engine.find("progress", supply_id=supply_id)}
            for p in live:
                same_figures(p, streamed[p["seq"]], "driver and engine live data")
        if reason == "unplugged" and live and live[0]["seq"] == 1:
            check_live_data(live, ticket, ticket["price"], "driver %s" % driver)
    return central


def check_supply_error(net, supply_id, reason, driver=None, engine=None):
    """A supply ended by a fault: Central's supply-error, its row and the
    driver's error; with ENGINE (one that could send no ticket: killed, or
    never plugged in), they carry the figures of its meter."""
    central = central_end(net, supply_id, "supply-error", "failed", reason)
    if engine is not None:
        figures = meter([engine], supply_id)
        check(figures["kwh"] is not None and not engine.find("ticket", supply_id=supply_id),
              "supply %s: the engine %s, yet Central reported an error", supply_id, figures["source"])
        same_figures(central, figures, "Central's error and the engine's meter (%s)" % figures["source"])
    if driver is not None:
        error = driver.wait("supply-error", supply_id=supply_id)
        check(error["reason"] == reason, "driver's error reason %s", error["reason"])
        same_figures(error, central, "driver and Central")
        check(len(driver.find("supply-error", supply_id=supply_id)) == 1, "the driver got two errors")
        check(not driver.find("ticket", supply_id=supply_id), "the driver got an error and a ticket")
    return central


def meter(engines, supply_id):
    """What the engine's meter says of a supply, over every run of its
    engine (ENGINES): {kwh, amount, source}. Its ticket when it sent one;
    else the last figures it streamed, when that run is dead (killed
    mid-supply, it can send nothing more); else nothing (0) when it never
    started. kwh is None while a live engine supplies without a ticket."""
    tickets = [e for p in engines for e in p.find("ticket", supply_id=supply_id)]
    if tickets:
        source = "ticket" if len(tickets) == 1 else "%d tickets" % len(tickets)
        return {"kwh": tickets[-1]["kwh"], "amount": tickets[-1]["amount"], "source": source}
    streamed = [(e, p) for p in engines for e in p.find("progress", supply_id=supply_id)]
    if streamed:
        last, proc = max(streamed, key=lambda ep: ep[0]["seq"])
        if proc.running():
            return {"kwh": None, "amount": None, "source": "never ended its supply"}
        return {"kwh": last["kwh"], "amount": last["amount"], "source": "killed mid-supply"}
    return {"kwh": 0.0, "amount": 0.0, "source": "never started"}


def outcomes(runs, supply_id):
    """The tickets and supply-errors that the runs of one driver showed for
    a supply, in the order they came."""
    found = [e for p in runs for name in ("ticket", "supply-error")
             for e in p.find(name, supply_id=supply_id)]
    return sorted(found, key=lambda e: e["_at"])


def billing_problems(figures, row, shown, followed=True):
    """What breaks the billing invariant for one supply: [] when Central's
    database ROW and the driver's last outcome (of SHOWN, see outcomes())
    carry the engine's meter FIGURES (see meter()), the row is closed, and
    the driver got at most one error and one ticket, the ticket last
    (SHOWN None: no driver to check). FOLLOWED false: the driver concluded the request otherwise (no answer,
    denied), so no outcome is right when nothing was supplied or billed."""
    problems = []
    kwh = figures["kwh"]
    if kwh is None:
        problems.append("engine: %s" % figures["source"])
    if row is None:
        problems.append("Central: no row in its database")
    elif row["ended_at"] is None:
        problems.append("Central: left open (%s)" % row["phase"])
    elif kwh is not None and abs(row["kwh"] - kwh) > 1e-9:
        problems.append("Central: %.4f kWh (%s %s), the engine's meter %.4f"
                        % (row["kwh"], row["phase"], row["reason"], kwh))
    if shown is None:
        return problems
    tickets = {(e["kwh"], e["amount"]) for e in shown if e["event"] == "ticket"}
    errors = {(e["kwh"], e["amount"]) for e in shown if e["event"] == "supply-error"}
    per_run = {}
    for e in shown:
        if e["event"] == "ticket":
            per_run[e["_run"]] = per_run.get(e["_run"], 0) + 1
    if len(tickets) > 1 or any(n > 1 for n in per_run.values()):
        problems.append("driver: %d tickets" % sum(per_run.values()))
    if len(errors) > 1:
        problems.append("driver: %d different errors" % len(errors))
    if not shown:
        billed = row is not None and row["kwh"] > 0
        if followed or billed or kwh != 0.0:
            problems.append("driver: no outcome")
        return problems
    last = shown[-1]
    if tickets and last["event"] != "ticket":
        problems.append("driver: an error after its ticket")
    if kwh is not None and abs(last["kwh"] - kwh) > 1e-9:
        problems.append("driver: %s of %.4f kWh, the engine's meter %.4f" % (last["event"], last["kwh"], kwh))
    return problems


def wait_billed(net, supply_id, engine, runs=None, followed=True, timeout=WAIT_S):
    """Waits until the billing invariant holds for a supply (see
    billing_problems()): the engine's meter (ENGINE: a process or every run
    of it), Central's database row and the driver's last outcome (RUNS: its
    processes; None: no driver) agree. Fails with what
    still differs after TIMEOUT. Returns the row."""
    deadline = time.monotonic() + timeout
    while True:
        figures = meter(engine if isinstance(engine, list) else [engine], supply_id)
        rows = net.query("SELECT * FROM sessions WHERE supply_id = ?", supply_id)
        shown = outcomes(runs, supply_id) if runs is not None else None
        problems = billing_problems(figures, rows[0] if rows else None, shown, followed)
        if not problems:
            return rows[0]
        check(time.monotonic() < deadline, "supply %s billed wrong: %s", supply_id, "; ".join(problems))
        time.sleep(0.2)


def check_outcome(net, supply_id, reason, engine, driver=None):
    """A supply ended by a fault that either side may report first: the
    engine's ticket or Central's supply-error. Whatever the order, Central's
    database and the driver end with the engine's ticket, once (the driver
    may have had the error first). Returns which came first at Central, and
    the row."""
    ticket = engine.wait("ticket", supply_id=supply_id)
    check(ticket["reason"] == reason, "the engine's ticket reason %s, not %s", ticket["reason"], reason)
    row = wait_billed(net, supply_id, engine, [driver] if driver is not None else None)
    first = min(net.central.find("ticket", supply_id=supply_id) +
                net.central.find("supply-error", supply_id=supply_id),
                key=lambda e: e["_at"], default={"event": "nothing"})
    return first["event"], row


def relayed_once(net, *supply_ids):
    """Each supply's outcome went out to its driver once on Kafka: one
    ticket, or one error, or an error (Central's, at a fault) and then the
    engine's ticket that settled it. One message may stand on the topic
    twice with the same envelope id: Central's outbox sends a row again
    when Central was killed after the broker took it but before it heard
    so, and receivers drop the repeat by its id (docs/protocol.md, section
    3); two messages with different ids would be two relays."""
    messages = {m.get("id"): m for m in net.topic("supply-data2", "supply-error")}.values()
    tickets = [m.get("supply_id") for m in messages if m.get("kind") == "ticket"]
    errors = [m.get("supply_id") for m in messages if "kind" not in m]
    for supply_id in supply_ids:
        check(tickets.count(supply_id) <= 1 and errors.count(supply_id) <= 1 and
              tickets.count(supply_id) + errors.count(supply_id) >= 1,
              "supply %s: %d tickets and %d errors on Kafka",
              supply_id, tickets.count(supply_id), errors.count(supply_id))


def run(tests, network=Network):
    """Runs TESTS (functions taking a new NETWORK) as TAP; exits 1 on a failure."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    only = os.environ.get("EV_E2E_ONLY")
    print("1..%d" % len(tests), flush=True)
    failures = 0
    for number, test in enumerate(tests, 1):
        name = test.__name__
        if only and only not in name:
            print("ok %d %s # SKIP not selected" % (number, name), flush=True)
            continue
        started = time.monotonic()
        net = network(name)
        failed = True
        try:
            test(net)
            net.stop_all()
            failed = False
        except BaseException as error:  # noqa: B902 — report, then clean up
            for line in traceback.format_exc().splitlines():
                print("# " + line, flush=True)
            log(traceback.format_exc())
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                net.close(True)
                raise
        finally:
            net.close(failed)
        failures += failed
        print("# %s: %.1f s" % (name, time.monotonic() - started))
        print("%s %d %s" % ("not ok" if failed else "ok", number, name), flush=True)
    return 1 if failures else 0


def new_id():
    return str(uuid.uuid4())

#!/usr/bin/env python3
"""The benchmark ladder (issue 8): Central under 1,000 … 20,000 charging points.

For every step N: a private ev-broker and `ev-central --headless` on a fresh
database, `ev-station fleet --count N` (every monitor link a real TCP link
to Central, 1 status/s each, about 10% of the CPs supplying) and
`ev-driver fleet` asking for 100 supplies/s. After a warm-up, a window of
S seconds: Central's CPU (average and peak of 1 s samples, from
/proc/PID/stat), its RSS, the status frames/s answered, the latencies the
fleets measured, denials and errors. Then the fault detection times
(engine killed → BROKEN at Central, monitor killed → DISCONNECTED). Then,
for the same N and window, the same station fleet against bench/ack-server
(the least a server can do): Central's CPU per 1,000 status frames as a
ratio to that minimum.

With --gui, every step also runs the real Central window (under Xvfb; the
ladder starts one when DISPLAY is unset) on the same load, on the Log
page (or --page), with `--ui-stats 1000`: its frames and main-loop lateness, next to
the headless figures of the same step.

With --tls, Central serves its monitor port over TLS with a throw-away
certificate (made with certtool, as `./run demo --tls` does) and the
station fleet checks it against the throw-away CA; the ack-server minimum
stays plain TCP.

Results: bench/results/ladder-YYYYMMDD-HHMM.md and .json, and the table on
standard output. Progress goes to standard error. Only the standard
library: run it as `python3 bench/ladder.py [options]` or `./run bench ladder`.
"""

import argparse
import collections
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "demo"))
from demo import make_certificates  # noqa: E402  (the demo's throw-away CA)
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Central's events whose contents matter; the rest are only counted.
PARSED_EVENTS = {"ready", "cp-registered", "cp-disconnected", "error", "stopped", "ui-stats"}
FAULT_STATES = ('"state":"BROKEN"', '"state":"DISCONNECTED"')


def log(*words):
    print(time.strftime("%H:%M:%S"), *words, file=sys.stderr, flush=True)


def field(line, key):
    """The string member `key` of a compact JSON line, without parsing it."""
    start = line.find(f'"{key}":"')
    if start < 0:
        return None
    start += len(key) + 4
    return line[start:line.find('"', start)]


def now_ms():
    return time.time() * 1000.0


class StepFailed(Exception):
    """A step (or one of its phases) could not go on; the message says why."""


# ---------------------------------------------------------------------------
# A child process: commands on stdin, JSON events on stdout (read by a
# thread that notes when each line arrived), stderr to a log file.
# ---------------------------------------------------------------------------

class Child:
    def __init__(self, name, argv, env, folder):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.out_path = os.path.join(folder, name + ".out")
        self.log_path = os.path.join(folder, name + ".log")
        self.cond = threading.Condition()
        self.counts = collections.Counter()
        self.latest = {}          # event name → (receive ms, object)
        self.recent = collections.defaultdict(lambda: collections.deque(maxlen=64))  # name → (seq, object)
        self.seq = collections.Counter()
        self.faults = []          # (receive ms, cp_id, state, Central's ts) of BROKEN / DISCONNECTED
        self.kills = {}           # cp_id → event of engine-killed / monitor-killed
        self.registered = []      # cp ids, in the order Central registered them
        self.states = {}          # cp_id → its latest state, from Central's cp-state events
        self.errors = []
        self.max_links_up = 0     # the most links a fleet reported up at once
        self.ui_stats = []        # (receive ms, object) of the window's ui-stats events
        self.exit_status = None
        self.closed = False
        with open(self.log_path, "ab") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, env=env, close_fds=True)
        self.pid = self.proc.pid
        self.thread = threading.Thread(target=self._read, name=name, daemon=True)
        self.thread.start()

    def _read(self):
        with open(self.out_path, "wb") as out:
            for raw in self.proc.stdout:
                received = now_ms()
                out.write(raw)
                self._line(received, raw.decode("utf-8", "replace"))
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _line(self, received, line):
        start = line.find('"event"')
        if start < 0:
            return
        start = line.find('"', start + 7) + 1
        name = line[start:line.find('"', start)]
        fault = name == "cp-state" and any(s in line for s in FAULT_STATES)
        obj = None
        if name in PARSED_EVENTS or fault or not self.name.startswith("ev-central"):
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
        if name == "cp-state":
            cp_id, state = field(line, "cp_id"), field(line, "state")
        with self.cond:
            if name == "cp-state":
                self.states[cp_id] = state
            self.counts[name] += 1
            self.seq[name] += 1
            self.recent[name].append((self.seq[name], obj))
            if obj is not None:
                self.latest[name] = (received, obj)
                if fault:
                    self.faults.append((received, obj.get("cp_id"), obj.get("state"), obj.get("ts")))
                elif name == "cp-disconnected":
                    self.faults.append((received, obj.get("cp_id"), "DISCONNECTED", obj.get("ts")))
                elif name == "cp-registered":
                    self.registered.append(obj.get("cp_id"))
                elif name in ("engine-killed", "monitor-killed"):
                    self.kills[(name, obj.get("cp_id"))] = obj
                elif name == "stats":
                    self.max_links_up = max(self.max_links_up, obj.get("links_up") or 0)
                elif name == "ui-stats":
                    self.ui_stats.append((received, obj))
                elif name == "error" and len(self.errors) < 5:
                    self.errors.append(obj.get("message", line.strip()))
            self.cond.notify_all()

    def send(self, command):
        try:
            self.proc.stdin.write((command + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as error:
            log(f"{self.name}: could not send “{command}”: {error}")

    def wait_for(self, predicate, timeout):
        """Waits until predicate() (called with the lock held) is true, the
        process ends its output, or timeout seconds pass; returns predicate()."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return predicate()
                self.cond.wait(min(left, 0.5))
            return True

    def wait_event(self, name, timeout, after=0):
        """The first event `name` numbered above `after` (not the latest: a
        periodic `stats` line must not answer a `stats` request made after
        it), or None."""
        if not self.wait_for(lambda: self.seq[name] > after, timeout):
            return None
        with self.cond:
            for seq, obj in self.recent[name]:
                if seq > after:
                    return obj
        return None

    def request(self, command, event, timeout=10):
        """Sends a command and returns the next `event` event it prompts."""
        with self.cond:
            before = self.seq[event]
        self.send(command)
        return self.wait_event(event, timeout, before)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, command="quit", timeout=30, sig=None):
        """Asks it to quit (`command` on stdin, or the signal `sig`), then
        kills it; returns its exit status (128 + signal when it died by
        one)."""
        if self.exit_status is not None:
            return self.exit_status
        if self.alive() and sig is not None:
            self.proc.send_signal(sig)
        elif self.alive() and command:
            self.send(command)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} did not exit within {timeout} s: killed")
            self.proc.kill()
            self.proc.wait()
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.thread.join(10)
        code = self.proc.returncode
        self.exit_status = code if code >= 0 else 128 - code
        return self.exit_status

    def kill(self):
        if self.alive():
            self.proc.kill()
        return self.stop(None, 10)


# ---------------------------------------------------------------------------
# /proc readings.
# ---------------------------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of the whole process (every thread), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def self_cpu_seconds():
    t = os.times()
    return t.user + t.system


def machine_facts():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    try:
        import resource
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError):
        nofile = None
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            somaxconn = int(f.read())
    except (OSError, ValueError):
        somaxconn = None
    return {
        "host": platform.node(),
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", "?")
        if hasattr(platform, "freedesktop_os_release") else "?",
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_gib, 1),
        "nofile_soft_hard": nofile,
        "somaxconn": somaxconn,
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
    }


class Sampler:
    """Samples processes' CPU and RSS once a second over a window."""

    def __init__(self, pids):
        self.pids = pids            # name → pid
        self.start_cpu = {n: cpu_seconds(p) for n, p in pids.items()}
        self.last_cpu = dict(self.start_cpu)
        self.start = self.last = time.monotonic()
        self.start_ms = now_ms()
        self.self_start = self_cpu_seconds()
        self.peak = {n: 0.0 for n in pids}
        self.rss_peak = {n: 0 for n in pids}
        self.samples = {n: [] for n in pids}

    def sample(self):
        t = time.monotonic()
        for name, pid in self.pids.items():
            cpu = cpu_seconds(pid)
            rss = status_kib(pid, "VmRSS")
            if cpu is not None and self.last_cpu[name] is not None and t > self.last:
                share = 100.0 * (cpu - self.last_cpu[name]) / (t - self.last)
                self.samples[name].append(round(share, 1))
                self.peak[name] = max(self.peak[name], share)
            self.last_cpu[name] = cpu
            if rss is not None:
                self.rss_peak[name] = max(self.rss_peak[name], rss)
        self.last = t

    def run_more(self, seconds):
        """Samples for `seconds` more from now (the window in slices)."""
        self.run(time.monotonic() - self.start + seconds)

    def run(self, seconds):
        end = self.start + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(1.0, left))
            self.sample()

    def average(self, name):
        cpu = self.last_cpu.get(name)
        if cpu is None or self.start_cpu.get(name) is None or self.last <= self.start:
            return None
        return 100.0 * (cpu - self.start_cpu[name]) / (self.last - self.start)

    def cpu_used(self, name):
        cpu = self.last_cpu.get(name)
        if cpu is None or self.start_cpu.get(name) is None:
            return None
        return cpu - self.start_cpu[name]

    def self_average(self):
        wall = self.last - self.start
        return 100.0 * (self_cpu_seconds() - self.self_start) / wall if wall > 0 else None


# ---------------------------------------------------------------------------
# One step.
# ---------------------------------------------------------------------------

def private_env(folder):
    """Every program of a step in its own XDG folders: its own broker
    discovery file, tokens and databases."""
    env = dict(os.environ)
    env["GSETTINGS_BACKEND"] = "memory"
    env.pop("G_MESSAGES_DEBUG", None)
    for var, sub in (("XDG_RUNTIME_DIR", "run"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache")):
        path = os.path.join(folder, sub)
        os.makedirs(path, mode=0o700, exist_ok=True)
        env[var] = path
    return env


def quantile(sorted_values, q):
    """The q-quantile of sorted values (nearest rank), or None."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-q * len(sorted_values) // 1)))
    return round(sorted_values[min(rank, len(sorted_values)) - 1], 3)


def pct(d, key):
    """A latency percentile object {"p50","p99","p999","max"} → list."""
    v = (d or {}).get(key) or {}
    return [v.get("p50"), v.get("p99"), v.get("p999"), v.get("max")]


class Step:
    def __init__(self, n, opts, programs):
        self.n = n
        self.opts = opts
        self.p = programs
        self.children = []
        self.row = {"cps": n, "notes": [], "commands": {}}
        self.folder = tempfile.mkdtemp(prefix=f"ladder-{n}-")
        self.env = private_env(self.folder)
        self.central_tls, self.fleet_tls = [], []
        if opts.insecure:
            # The baseline of what security costs: Central neither signs
            # nor checks anything on Kafka, and writes no public key, so
            # the fleets (with no key to find) check nothing either.
            self.central_tls = ["--insecure-bus"]
            self.row["insecure"] = True
        if opts.tls:
            ca, cert, key = make_certificates(self.folder)
            self.central_tls = self.central_tls + ["--tls-cert", cert, "--tls-key", key]
            self.fleet_tls = ["--tls-ca", ca]
            self.row["tls"] = True
        # Little's law: supplying = rate × duration, so 10% of N at R/s.
        self.supply_ms = max(1000, int(round(opts.supplying * n / opts.supply_rate * 1000)))
        self.drivers = max(1000, n // 5)
        if opts.warmup is not None:
            self.warmup = opts.warmup
        else:
            # Long enough for the supplies to reach their steady number.
            self.warmup = 5 + (self.supply_ms + opts.auto_plug_ms) / 1000.0

    def note(self, text):
        log(f"[{self.n}] {text}")
        self.row["notes"].append(text)

    def spawn(self, name, argv, env=None):
        self.row["commands"][name] = " ".join(str(a) for a in argv)
        child = Child(name, argv, env or self.env, self.folder)
        self.children.append(child)
        return child

    def ready(self, child, timeout=60):
        event = child.wait_event("ready", timeout)
        if event is None:
            raise StepFailed(f"{child.name} did not announce itself ready in {timeout} s "
                             f"(exit {child.proc.poll()}; see {child.log_path})")
        return event

    def station_fleet(self, central_port, bootstrap, prefix, tls=True):
        argv = [self.p["station"], "fleet", "--headless", "--count", self.n, "--prefix", prefix,
                "--central", f"127.0.0.1:{central_port}", "--kafka", bootstrap,
                "--auto-plug", self.opts.auto_plug_ms / 1000.0, "--auto-unplug-after", self.supply_ms / 1000.0,
                "--token-dir", os.path.join(self.folder, "tokens-" + prefix),
                "--stats-interval", 1000]
        if tls:
            argv += self.fleet_tls
        return self.spawn("station-fleet-" + prefix, argv)

    def wait_registered(self, fleet, what):
        """Until every CP of the fleet is registered, or no progress for
        15 s, or --timeout. Returns how many registered and how long it took."""
        started = time.monotonic()
        deadline = started + self.opts.timeout
        best, best_at = -1, started
        while time.monotonic() < deadline:
            stats = fleet.request("stats", "stats", 5)
            if not fleet.alive():
                raise StepFailed(f"{fleet.name} exited with status {fleet.proc.poll()} while "
                                 f"registering (see {fleet.log_path})")
            registered = (stats or {}).get("registered", 0) or 0
            if registered >= self.n:
                return registered, time.monotonic() - started
            if registered > best:
                best, best_at = registered, time.monotonic()
            elif time.monotonic() - best_at > 15:
                break
            time.sleep(1)
        self.note(f"{what}: only {max(best, 0)} of {self.n} CPs registered after "
                  f"{time.monotonic() - started:.0f} s")
        return max(best, 0), time.monotonic() - started

    # -- the real Central -------------------------------------------------

    def run_central(self, bootstrap, gui=False):
        opts = self.opts
        if gui:
            # The window, on the Log page (or --page), printing its events and its
            # frame figures; no session bus, so that it cannot hand over
            # to another Central of the session.
            row = self.row.setdefault("gui", {"notes": []})
            env = dict(self.env, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent",
                       GSETTINGS_SCHEMA_DIR=os.path.join(opts.build, "data"), GSK_RENDERER=opts.renderer)
            central = self.spawn("ev-central-window",
                                 [self.p["central"], "--ui-stats", 1000, "--page", opts.page, "--auto-approve",
                                  "--listen", "127.0.0.1:0", "--kafka", bootstrap, "--db",
                                  os.path.join(self.folder, "central-window.db"), *self.central_tls], env)
            prefix = opts.prefix + "W"
        else:
            row = self.row
            central = self.spawn("ev-central", [self.p["central"], "--headless", "--auto-approve",
                                                "--listen", "127.0.0.1:0",
                                                "--kafka", bootstrap, "--db",
                                                os.path.join(self.folder, "central.db"), *self.central_tls])
            prefix = opts.prefix
        port = self.ready(central)["port"]
        station = self.station_fleet(port, bootstrap, prefix)
        self.ready(station, 120)
        registered, took = self.wait_registered(station, "Central")
        row["registered"] = registered
        row["register_s"] = round(took, 2)
        row["central_registered_events"] = central.counts["cp-registered"]
        log(f"[{self.n}] {registered} CPs registered at Central in {took:.1f} s")
        if registered == 0:
            raise StepFailed("no CP registered at Central")

        driver_env = None
        if opts.unverified_drivers:
            # A state folder of its own, without Central's public key: the
            # fleet checks no signature (its drivers still sign).
            driver_env = dict(self.env, XDG_STATE_HOME=os.path.join(self.folder, "driver-state"))
            os.makedirs(driver_env["XDG_STATE_HOME"], mode=0o700, exist_ok=True)
            self.row["unverified_drivers"] = True
        driver = self.spawn("driver-fleet" + ("-window" if gui else ""),
                            [self.p["driver"], "fleet", "--count", self.drivers,
                             "--rate", opts.supply_rate, "--kafka", bootstrap,
                             "--stats-interval", 1000], driver_env)
        self.ready(driver, 120)
        deadline = time.monotonic() + 60
        known = 0
        while time.monotonic() < deadline and driver.alive():
            known = (driver.request("stats", "stats", 5) or {}).get("cps_known", 0) or 0
            if known >= registered:
                break
            time.sleep(1)
        if known < registered:
            self.note(f"the driver fleet knew only {known} of {registered} CPs after 60 s")
        log(f"[{self.n}] warm-up {self.warmup:.0f} s ({self.drivers} drivers at {opts.supply_rate}/s, "
            f"supplies of {self.supply_ms} ms)")
        time.sleep(self.warmup)
        for child in (central, station, driver):
            if not child.alive():
                raise StepFailed(f"{child.name} exited with status {child.proc.poll()} during the warm-up")

        # The window.
        with central.cond:
            events_before = collections.Counter(central.counts)
            faults_before = len(central.faults)
        station.send("reset")
        driver.send("reset")
        broker_pid = next(c.pid for c in reversed(self.children) if c.name.startswith("ev-broker"))
        sampler = Sampler({"central": central.pid, "station": station.pid, "driver": driver.pid,
                           "broker": broker_pid})
        log(f"[{self.n}] window of {opts.seconds} s, {opts.kills} engines killed in it")
        engines = self.kill_engines_in_window(central, station, sampler.run_more, opts.seconds)
        st = station.request("stats", "stats", 10) or {}
        dr = driver.request("stats", "stats", 10) or {}
        window = time.monotonic() - sampler.start
        with central.cond:
            events = collections.Counter(central.counts)
            events.subtract(events_before)
        row.update(self.central_figures(central, st, dr, sampler, window, events))
        row["max_links_up"] = station.max_links_up
        if gui:
            row.update(self.window_figures(central, sampler.start_ms, sampler.start_ms + window * 1000))
        if not st:
            self.note("the station fleet gave no stats after the window")
        if not dr:
            self.note("the driver fleet gave no stats after the window")

        if engines:
            self.detection(central, engines, "BROKEN", faults_before, "engine_kill_broken_s", row)
        self.kill_monitors(central, station, row, set(engines))

        row["exit"] = {}
        for child in (driver, station):
            row["exit"][child.name] = child.stop()
        row["exit"][central.name] = central.stop(sig=signal.SIGTERM if gui else None)
        return row

    def window_figures(self, central, start_ms, end_ms):
        """The window's frames and main-loop lateness over the measuring
        window, pooled from its 1 s ui-stats events."""
        with central.cond:
            stats = [obj for at, obj in central.ui_stats if start_ms <= at <= end_ms + 1500]
        if not stats:
            self.note("the window printed no ui-stats in the window")
            return {}

        def total(key):
            return sum(s.get(key) or 0 for s in stats)

        def p99s(key):
            return sorted(((s.get(key) or {}).get("p99") for s in stats if s.get(key)), key=float)

        frames, probes = total("frames"), total("probes")
        frame_p99s, late_p99s = p99s("frame_ms"), p99s("loop_lateness_ms")
        return {
            "ui_intervals": len(stats),
            "frames": frames,
            "fps": round(frames / max(1, len(stats)), 1),
            "frames_over_33ms": total("frames_over_33ms"),
            "frames_over_33ms_share": round(total("frames_over_33ms") / frames, 4) if frames else None,
            "frame_p99_max_ms": frame_p99s[-1] if frame_p99s else None,
            "frame_p99_median_ms": frame_p99s[len(frame_p99s) // 2] if frame_p99s else None,
            "probes": probes,
            "probes_over_20ms": total("probes_over_20ms"),
            "probes_over_20ms_share": round(total("probes_over_20ms") / probes, 4) if probes else None,
            "lateness_p99_max_ms": late_p99s[-1] if late_p99s else None,
            "lateness_p99_median_ms": late_p99s[len(late_p99s) // 2] if late_p99s else None,
            "ui_rss_max_mb": round(max(s.get("rss_kib") or 0 for s in stats) / 1024, 1),
        }

    def central_figures(self, central, st, dr, sampler, window, events):
        avg = sampler.average("central")
        used = sampler.cpu_used("central")
        answered = st.get("status_answered")
        denials = dr.get("denials") or {}
        return {
            "window_s": round(window, 2),
            "central_cpu_avg": round(avg, 1) if avg is not None else None,
            "central_cpu_peak": round(sampler.peak["central"], 1),
            "central_cpu_samples": sampler.samples["central"],
            "central_rss_peak_mb": round(sampler.rss_peak["central"] / 1024, 1),
            "central_vmhwm_mb": round((status_kib(central.pid, "VmHWM") or 0) / 1024, 1),
            "central_threads": status_kib(central.pid, "Threads"),
            "status_per_s": round(answered / window, 1) if answered is not None else None,
            "status_sent": st.get("status_sent"),
            "status_answered": answered,
            "status_skipped": st.get("status_skipped"),
            "status_ms": pct(st, "status_ms"),
            "response_ms": pct(dr, "response_ms"),
            "progress_ms": pct(dr, "progress_ms"),
            "requests": dr.get("requests"),
            "authorized": dr.get("authorized"),
            "denied": dr.get("denied"),
            "denials": denials,
            "no_answer": dr.get("no_answer"),
            "skipped": dr.get("skipped"),
            "tickets": dr.get("tickets"),
            "supplying": st.get("supplying"),
            "driver_supply_errors": dr.get("supply_errors") or {},
            "errors": {
                "station": st.get("errors"),
                "driver": dr.get("errors"),
                "central_error_events": events.get("error", 0),
                "central_invalid_messages": events.get("invalid-message", 0),
                "reconnects": st.get("reconnects"),
            },
            "links_up_end": st.get("links_up"),
            "links_lost_in_window": events.get("cp-disconnected", 0),
            "central_events_in_window": {k: v for k, v in events.items() if v},
            "central_cpu_per_1000_status_ms": round(1e6 * used / answered, 3)
            if used is not None and answered else None,
            "other_cpu_avg": {name: round(sampler.average(name) or 0, 1)
                              for name in ("station", "driver", "broker")},
            "status_sent_per_s": round(st["status_sent"] / window, 1) if st.get("status_sent") is not None else None,
            "harness_cpu_avg": round(sampler.self_average() or 0, 1),
            "station_stats": st,
            "driver_stats": dr,
        }

    def fault_ids(self, central, count):
        """`count` CPs ACTIVE at Central, spread over the registration order."""
        with central.cond:
            ids = [cp for cp in central.registered if central.states.get(cp) == "ACTIVE"]
        if not ids or count <= 0:
            return []
        count = min(count, len(ids))
        return [ids[(2 * i + 1) * len(ids) // (2 * count)] for i in range(count)]

    def kill(self, station, command, cp_ids):
        """Sends `command CP` for each id; returns {cp_id: the fleet's ts of
        the kill} for those the fleet confirmed."""
        event_name = "engine-killed" if command == "kill-engine" else "monitor-killed"
        for cp_id in cp_ids:
            station.send(f"{command} {cp_id}")
        station.wait_for(lambda: all((event_name, cp) in station.kills for cp in cp_ids), 10)
        with station.cond:
            return {cp: station.kills[(event_name, cp)].get("ts") for cp in cp_ids
                    if (event_name, cp) in station.kills}

    def detection(self, central, killed, state, faults_before, key, row, timeout=20):
        """From each kill's ts (the fleet's clock) to Central's own `ts` of
        the CP's `state` event (Central's clock; both are this machine's
        real-time clock): p50/p99/max in seconds, and how many were never
        seen within `timeout` s of the last kill."""

        def seen():
            found = {f[1] for f in central.faults[faults_before:] if f[2] == state}
            return all(cp in found for cp in killed)

        central.wait_for(seen, timeout)
        delays = []
        with central.cond:
            first = {}
            for f in central.faults[faults_before:]:
                if f[2] == state and f[1] in killed and f[1] not in first:
                    first[f[1]] = f
        for cp_id, kill_ts in killed.items():
            f = first.get(cp_id)
            if f is None or kill_ts is None:
                continue
            # A Central without `ts` (older build): the harness's clock.
            at = f[3] if f[3] is not None else f[0]
            delays.append((at - kill_ts) / 1000.0)
        delays.sort()
        missed = len(killed) - len(delays)
        row[key] = {"n": len(delays), "missed": missed,
                    "p50": quantile(delays, 0.50), "p99": quantile(delays, 0.99),
                    "max": delays[-1] if delays else None}
        if missed:
            self.note(f"{missed} of {len(killed)} kills: Central reported no {state} within {timeout} s")
        log(f"[{self.n}] {len(delays)} kills → {state}: p50 {fmt(row[key]['p50'], 3)} s, "
            f"p99 {fmt(row[key]['p99'], 3)} s, max {fmt(row[key]['max'], 3)} s")

    def kill_engines_in_window(self, central, station, sampler_run, seconds):
        """Runs the window (`sampler_run(seconds)` in slices) while killing
        --kills engines spread evenly over it; returns {cp_id: kill ts}."""
        cp_ids = self.fault_ids(central, self.opts.kills)
        if not cp_ids:
            sampler_run(seconds)
            return {}
        slice_s = seconds / (len(cp_ids) + 1)
        killed = {}
        for cp_id in cp_ids:
            sampler_run(slice_s)
            killed.update(self.kill(station, "kill-engine", [cp_id]))
        sampler_run(slice_s)
        return killed

    def kill_monitors(self, central, station, row, exclude):
        """After the window: --kills monitors, one every 250 ms, so that
        their DISCONNECTED does not count among the window's lost links."""
        with central.cond:
            faults_before = len(central.faults)
        cp_ids = [cp for cp in self.fault_ids(central, self.opts.kills + len(exclude)) if cp not in exclude]
        cp_ids = cp_ids[:self.opts.kills]
        killed = {}
        for cp_id in cp_ids:
            killed.update(self.kill(station, "kill-monitor", [cp_id]))
            time.sleep(0.25)
        if cp_ids:
            self.detection(central, killed, "DISCONNECTED", faults_before, "monitor_kill_disconnected_s", row)

    # -- the minimum --------------------------------------------------------

    def run_minimum(self, bootstrap):
        opts = self.opts
        ack = self.spawn("ack-server", [self.p["ack"]])
        port = self.ready(ack, 10)["port"]
        # The ack-server speaks no TLS: the minimum stays plain TCP.
        station = self.station_fleet(port, bootstrap, opts.prefix + "M", tls=False)
        self.ready(station, 120)
        registered, took = self.wait_registered(station, "ack-server")
        log(f"[{self.n}] {registered} CPs registered at ack-server in {took:.1f} s")
        self.row["min_registered"] = registered
        time.sleep(min(self.warmup, 5))
        station.send("reset")
        window = ack.request("window-start", "window-start", 10)
        if window is None:
            raise StepFailed("ack-server did not start its window")
        sampler = Sampler({"ack": ack.pid, "station": station.pid})
        sampler.run(opts.seconds)
        report = ack.request("window-end", "window", 10) or {}
        st = station.request("stats", "stats", 10) or {}
        answered = st.get("status_answered")
        self.row.update({
            "min_cpu_avg": report.get("cpu_percent"),
            "min_cpu_peak": round(sampler.peak["ack"], 1),
            "min_status_frames": report.get("status_frames"),
            "min_status_answered": answered,
            "min_status_ms": pct(st, "status_ms"),
            "min_cpu_per_1000_status_ms": report.get("cpu_ms_per_1000_status"),
            "min_links": report.get("links"),
            "min_station_errors": st.get("errors"),
            "min_station_cpu_avg": round(sampler.average("station") or 0, 1),
        })
        self.row.setdefault("exit", {})
        self.row["exit"][station.name] = station.stop()
        self.row["exit"]["ack-server"] = ack.stop()
        self.row["min_max_links_up"] = station.max_links_up

    # -- the whole step -----------------------------------------------------

    def run(self):
        started = time.monotonic()
        log(f"[{self.n}] in {self.folder}")
        try:
            # Each phase has a broker of its own: the drivers of a phase
            # must not see the CPs of the one before on cp-states.
            phases = [(self.run_central, "failed", "Central"),
                      (lambda b: self.run_central(b, gui=True), "gui_failed", "window"),
                      (self.run_minimum, "min_failed", "ack-server")]
            skip = {"Central": self.opts.no_central, "window": not self.opts.gui,
                    "ack-server": self.opts.no_minimum}
            for phase, key, what in phases:
                if skip[what]:
                    continue
                broker = self.spawn("ev-broker-" + what, [self.p["broker"]])
                bootstrap = self.ready(broker, 30)["bootstrap"]
                try:
                    phase(bootstrap)
                except StepFailed as error:
                    self.row[key] = str(error)
                    self.note(f"{what} phase failed: {error}")
                # Whatever the phase left running goes before the next one.
                self.kill_all(keep=[broker])
                self.row.setdefault("exit", {})[broker.name] = broker.stop()
        except StepFailed as error:
            self.row["failed"] = str(error)
            self.note(str(error))
        except Exception as error:  # the ladder goes on
            self.row["failed"] = f"harness error: {error!r}"
            self.note(self.row["failed"])
        finally:
            self.kill_all()
        central = self.row.get("central_cpu_per_1000_status_ms")
        minimum = self.row.get("min_cpu_per_1000_status_ms")
        self.row["ratio"] = round(central / minimum, 2) if central and minimum else None
        gui = self.row.get("gui") or {}
        if gui.get("exit"):
            self.row["exit"].update(gui["exit"])
        for name, status in (self.row.get("exit") or {}).items():
            if status not in (0, None):
                self.note(f"{name} exited with status {status}")
        self.row["step_s"] = round(time.monotonic() - started, 1)
        if self.opts.keep or self.row["notes"]:
            self.row["folder"] = self.folder
            log(f"[{self.n}] kept {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
        return self.row

    def kill_all(self, keep=()):
        for child in reversed(self.children):
            if child not in keep and child.exit_status is None:
                status = child.kill()
                self.row.setdefault("exit", {}).setdefault(child.name, status)


# ---------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------

def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def fmt_pcts(values):
    if not values or all(v is None for v in values[:3]):
        return "–"
    return " / ".join(fmt(v, 1) for v in values[:3])


def fmt_kills(d):
    """Detection figures {n, missed, p50, p99, max} → "p50 / p99 / max (n)"."""
    if not isinstance(d, dict) or not d.get("n"):
        return "–"
    text = f"{fmt(d.get('p50'), 2)} / {fmt(d.get('p99'), 2)} / {fmt(d.get('max'), 2)} ({d['n']})"
    if d.get("missed"):
        text += f", {d['missed']} not seen"
    return text


def kill_p99(d):
    return d.get("p99") if isinstance(d, dict) else None


def fmt_counts(d):
    """{reason: n} → "n (reason n, …)" without the zeros, or "0"."""
    d = {k: v for k, v in (d or {}).items() if v}
    if not d:
        return "0"
    return f"{sum(d.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(d.items())) + ")"


COLUMNS = ["CPs", "registered at Central", "window s", "Central CPU avg %", "Central CPU peak %", "RSS peak MB",
           "status frames/s", "status → answer ms p50/p99/p99.9", "request → response ms p50/p99/p99.9",
           "progress → driver ms p50/p99/p99.9", "requests / authorized", "denials", "errors",
           "links lost (cp-disconnected in the window)", "engine kill → BROKEN s p50/p99/max (kills)",
           "monitor kill → DISCONNECTED s p50/p99/max (kills)", "minimum CPU %", "CPU ms per 1k status: Central / minimum", "ratio", "notes"]


def step_name(r):
    if (r.get("runs") or 1) > 1:
        return f"{r['cps']} (run {r['run']} of {r['runs']})"
    return str(r["cps"])


# The figures whose spread over the runs of a step is reported, each
# lower-is-better: (label, how to read it from a row).
SPREAD = [
    ("Central CPU avg %", lambda r: r.get("central_cpu_avg")),
    ("RSS peak MB", lambda r: r.get("central_rss_peak_mb")),
    ("status → answer p99 ms", lambda r: (r.get("status_ms") or [None] * 2)[1]),
    ("request → response p50 ms", lambda r: (r.get("response_ms") or [None])[0]),
    ("request → response p99 ms", lambda r: (r.get("response_ms") or [None] * 2)[1]),
    ("progress → driver p99 ms", lambda r: (r.get("progress_ms") or [None] * 2)[1]),
    ("engine kill → BROKEN p99 s", lambda r: kill_p99(r.get("engine_kill_broken_s"))),
    ("monitor kill → DISCONNECTED p99 s", lambda r: kill_p99(r.get("monitor_kill_disconnected_s"))),
    ("ratio to the minimum", lambda r: r.get("ratio")),
]


def spread(values):
    """min / median / max of the values that are not None."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return [values[0], values[len(values) // 2] if len(values) % 2 else
            round((values[len(values) // 2 - 1] + values[len(values) // 2]) / 2, 3), values[-1]]


def fmt_spread(sp, digits=1):
    if sp is None:
        return "–"
    if sp[0] == sp[2]:
        return fmt(float(sp[1]), digits)
    return f"{fmt(float(sp[1]), digits)} ({fmt(float(sp[0]), digits)}–{fmt(float(sp[2]), digits)})"


def spread_table(rows):
    """Per step size: median (min–max) of each SPREAD figure over its runs."""
    sizes = sorted({r["cps"] for r in rows})
    out = ["| CPs | runs | " + " | ".join(label for label, _ in SPREAD) + " |",
           "|" + "---|" * (len(SPREAD) + 2)]
    for n in sizes:
        runs = [r for r in rows if r["cps"] == n]
        cells = [fmt_spread(spread([get(r) for r in runs]), 3 if " s" in label else 1) for label, get in SPREAD]
        out.append(f"| {n} | {len(runs)} | " + " | ".join(cells) + " |")
    return out


def table_row(r):
    errors = r.get("errors") or {}
    error_text = "–"
    if errors:
        error_text = fmt_counts({"station": errors.get("station"), "driver": errors.get("driver"),
                                 "Central error events": errors.get("central_error_events"),
                                 "no answer": r.get("no_answer")})
        if r.get("driver_supply_errors") and fmt_counts(r["driver_supply_errors"]) != "0":
            error_text += "; supply-error " + fmt_counts(r["driver_supply_errors"])
    lost = "–"
    if "links_lost_in_window" in r:
        lost = f"{r['links_lost_in_window']} (up {fmt(r.get('links_up_end'))}, reconnects {fmt(errors.get('reconnects'))})"
    notes = list(r.get("notes") or [])
    registered = fmt(r.get("registered"))
    if r.get("registered") is not None and r.get("registered") != r["cps"]:
        registered += f" (most links up at once {fmt(r.get('max_links_up'))})"
    return [step_name(r), registered, fmt(r.get("window_s")),
            fmt(r.get("central_cpu_avg")), fmt(r.get("central_cpu_peak")), fmt(r.get("central_rss_peak_mb"), 0),
            fmt(r.get("status_per_s"), 0),
            fmt_pcts(r.get("status_ms")) + (f" ({fmt(r.get('status_skipped'))} held back)"
                                            if r.get("status_skipped") else ""),
            fmt_pcts(r.get("response_ms")),
            fmt_pcts(r.get("progress_ms")),
            f"{fmt(r.get('requests'))} / {fmt(r.get('authorized'))}" if "requests" in r else "–",
            fmt_counts(r.get("denials")) if "denials" in r else "–", error_text, lost,
            fmt_kills(r.get("engine_kill_broken_s")), fmt_kills(r.get("monitor_kill_disconnected_s")),
            fmt(r.get("min_cpu_avg")),
            f"{fmt(r.get('central_cpu_per_1000_status_ms'), 1)} / {fmt(r.get('min_cpu_per_1000_status_ms'), 1)}",
            fmt(r.get("ratio"), 1), "; ".join(notes).replace("|", "/") or ""]


GUI_COLUMNS = ["CPs", "registered at the window's Central", "register s", "window CPU avg %", "RSS peak MB",
               "status → answer ms p50/p99/p99.9", "vs headless p99", "request → response ms p50/p99/p99.9",
               "vs headless p99", "progress → driver ms p50/p99/p99.9", "links lost", "fps",
               "frames > 33 ms", "frame p99 ms (1 s intervals: median / worst)", "loop late > 20 ms",
               "loop lateness p99 ms (median / worst)", "engine kill → BROKEN s p50/p99/max (kills)", "notes"]


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def table_row_gui(r):
    g = r.get("gui") or {}
    errors = g.get("errors") or {}
    lost = "–"
    if "links_lost_in_window" in g:
        lost = f"{g['links_lost_in_window']} (up {fmt(g.get('links_up_end'))}, reconnects {fmt(errors.get('reconnects'))})"

    def share(n, of):
        return f"{fmt(n)} of {fmt(of)} ({100 * n / of:.2f}%)" if n is not None and of else "–"

    status_ratio = ratio((g.get("status_ms") or [None] * 2)[1], (r.get("status_ms") or [None] * 2)[1])
    response_ratio = ratio((g.get("response_ms") or [None] * 2)[1], (r.get("response_ms") or [None] * 2)[1])
    return [step_name(r), fmt(g.get("registered")), fmt(g.get("register_s")), fmt(g.get("central_cpu_avg")),
            fmt(g.get("central_rss_peak_mb"), 0), fmt_pcts(g.get("status_ms")), fmt(status_ratio, 2) + "×",
            fmt_pcts(g.get("response_ms")), fmt(response_ratio, 2) + "×", fmt_pcts(g.get("progress_ms")), lost,
            fmt(g.get("fps")), share(g.get("frames_over_33ms"), g.get("frames")),
            f"{fmt(g.get('frame_p99_median_ms'))} / {fmt(g.get('frame_p99_max_ms'))}",
            share(g.get("probes_over_20ms"), g.get("probes")),
            f"{fmt(g.get('lateness_p99_median_ms'))} / {fmt(g.get('lateness_p99_max_ms'))}",
            fmt_kills(g.get("engine_kill_broken_s")),
            "; ".join(list(g.get("notes") or []) + ([r["gui_failed"]] if r.get("gui_failed") else [])).replace("|", "/")]


def gui_targets(rows):
    """Issue 12's targets for the window, at 10,000 and 1,000 CPs."""
    lines = []

    def verdict(ok):
        return "met" if ok else "NOT met"

    r = next((r for r in rows if r["cps"] == 10000 and r.get("gui")), None)
    if r is not None:
        g = r["gui"]
        lines.append("Window targets at 10,000 CPs:")
        if g.get("register_s") is not None:
            lines.append(f"- every CP registered within 10 s: {fmt(g.get('registered'))} in {g['register_s']:.1f} s — "
                         f"{verdict(g.get('registered') == r['cps'] and g['register_s'] <= 10)}")
        lines.append(f"- no link lost in the window: {fmt(g.get('links_lost_in_window'))} lost — "
                     f"{verdict(g.get('links_lost_in_window') == 0)}")
        for label, key in (("status p99", "status_ms"), ("request → response p99", "response_ms")):
            q = ratio((g.get(key) or [None] * 2)[1], (r.get(key) or [None] * 2)[1])
            lines.append(f"- window {label} within 1.5× of headless: {fmt(q, 2)}× — "
                         f"{verdict(q is not None and q <= 1.5)}")
        if g.get("frames"):
            lines.append(f"- frame p99 ≤ 33 ms: {100 * g['frames_over_33ms_share']:.2f}% of {g['frames']} frames "
                         f"over 33 ms — {verdict(g['frames_over_33ms_share'] <= 0.01)}")
        if g.get("probes"):
            lines.append(f"- main-loop lateness p99 ≤ 20 ms: {100 * g['probes_over_20ms_share']:.2f}% of "
                         f"{g['probes']} probes over 20 ms — {verdict(g['probes_over_20ms_share'] <= 0.01)}")
        if g.get("central_rss_peak_mb") is not None:
            lines.append(f"- RSS ≤ 400 MB: {g['central_rss_peak_mb']:.0f} MB — "
                         f"{verdict(g['central_rss_peak_mb'] <= 400)}")
    r = next((r for r in rows if r["cps"] == 1000), None)
    if r is not None:
        lines.append("Request → response p50 ≤ 12 ms at 1,000 CPs:")
        for label, d in (("headless", r), ("window", r.get("gui"))):
            if d:
                p50 = (d.get("response_ms") or [None])[0]
                lines.append(f"- {label}: {fmt(p50)} ms — {verdict(p50 is not None and p50 <= 12)}")
    return lines


def targets(rows, machine):
    """The issue's targets at 10,000 CPs, over every run of that step: met
    only if met in every run."""
    lines = []
    runs = [r for r in rows if r["cps"] == 10000]
    if runs:
        def check(label, get, limit, unit):
            values = [get(r) for r in runs]
            sp = spread(values)
            if sp is None:
                return f"- {label}: not measured"
            met = sum(1 for v in values if v is not None and v < limit)
            verdict = "met" if met == len(runs) else "NOT met"
            return (f"- {label}: {fmt_spread(sp, 2 if unit == 's' else 1)} {unit} over {len(runs)} run(s) "
                    f"(target < {limit} {unit}) — {verdict} ({met} of {len(runs)} runs)")
        lines.append("Targets at 10,000 CPs (median (min–max) over the runs):")
        lines.append(check("Central CPU, average", lambda r: r.get("central_cpu_avg"), 100, "% of a core"))
        lines.append(check("request → response p99", lambda r: (r.get("response_ms") or [None] * 2)[1], 50, "ms"))
        lines.append(check("progress → driver p99", lambda r: (r.get("progress_ms") or [None] * 2)[1], 100, "ms"))
        lines.append(check("RSS", lambda r: r.get("central_rss_peak_mb"), 300, "MB"))
        lines.append(check("engine kill → BROKEN, p99 of the kills", lambda r: kill_p99(r.get("engine_kill_broken_s")),
                           2, "s"))
    for r in rows:
        if r["cps"] >= 19900:
            held = (r.get("registered") == r["cps"] and r.get("links_lost_in_window") == 0
                    and r.get("links_up_end") == r["cps"])
            lines.append(f"- {r['cps']} CPs without losing a link: {'yes' if held else 'NO'} "
                         f"(registered {fmt(r.get('registered'))}, links up at the end "
                         f"{fmt(r.get('links_up_end'))}, lost in the window {fmt(r.get('links_lost_in_window'))})")
            nofile = (machine.get("nofile_soft_hard") or [None, None])[1]
            if not held and nofile is not None and r["cps"] >= nofile - 50:
                lines.append(f"  The open-file hard limit is {nofile} per process here (it cannot be raised, "
                             f"even as root), and Central and the station fleet each need one descriptor "
                             f"per link besides their own: at most {fmt(r.get('max_links_up'))} links were up "
                             f"at once with Central, {fmt(r.get('min_max_links_up'))} with the ack-server. "
                             f"`--steps 19900` is the practical top on this machine.")
    return lines


def markdown(report):
    out = [f"# Benchmark ladder, {report['started']}", ""]
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for r in report["steps"]:
        out.append("| " + " | ".join(table_row(r)) + " |")
    out.append("")
    if any((r.get("runs") or 1) > 1 for r in report["steps"]):
        out.append("Spread over the runs of each step: median (min–max).")
        out.append("")
        out.extend(spread_table(report["steps"]))
        out.append("")
    out.extend(targets(report["steps"], report["machine"]))
    out.append("")
    if any(r.get("gui") or r.get("gui_failed") for r in report["steps"]):
        page = report["options"].get("page", "log")
        out.append(f"## The window (`ev-central --ui-stats 1000 --page {page}`, under Xvfb) on the same load")
        out.append("")
        out.append("| " + " | ".join(GUI_COLUMNS) + " |")
        out.append("|" + "---|" * len(GUI_COLUMNS))
        for r in report["steps"]:
            out.append("| " + " | ".join(table_row_gui(r)) + " |")
        out.append("")
        out.extend(gui_targets(report["steps"]))
        out.append("")
        out.append("Frames: intervals between two paints of the window's frame clock (a tick callback keeps "
                   "it running at the display's 60 Hz); a frame over 33 ms missed two refreshes. Loop "
                   "lateness: how late a 10 ms timer of the window's main loop fires. Counted over the "
                   "whole window from the window's 1 s `ui-stats` events, so the share over a bound is "
                   "exact and p99 ≤ bound iff the share is ≤ 1%; the 1 s p99s are shown as median / worst.")
        out.append("")
    m = report["machine"]
    o = report["options"]
    out.append("## How")
    out.append("")
    out.append(f"- Machine: {m['os']}, kernel {m['kernel']}, {m['cpus']} × {m['cpu_model']}, "
               f"{m['memory_gib']} GiB; open files soft/hard {m['nofile_soft_hard']}, somaxconn "
               f"{m['somaxconn']}; load average at start {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}. "
               "Every process (broker, Central, both fleets, this harness) shares these cores.")
    out.append(f"- Command: `{report['command']}`; window {o['seconds']} s per step, warm-up "
               f"{'auto (5 s + one supply)' if o['warmup'] is None else str(o['warmup']) + ' s'}; "
               f"{o['supply_rate']} supplies/s asked by max(1000, N/5) drivers; supplies last "
               f"{o['supplying']}·N/{o['supply_rate']} s (so ~{o['supplying'] * 100:.0f}% of the CPs supply), plugged "
               f"{o['auto_plug_ms']} ms after authorisation.")
    out.append("- Central CPU: utime + stime of /proc/PID/stat (every thread), average over the window and "
               "peak of 1 s samples, in % of one core; RSS: the peak of 1 s VmRSS samples in the window. "
               "Status frames/s: the station fleet's `status_answered` over the window. Latencies are "
               "the fleets' own: status → answer on the monitor links, timed from when each status was "
               "due, not when it could leave (a status due while the one before is unanswered is held "
               "back, counted beside the latency, and its wait counts), request → response of "
               "supplies (driver fleet `response_ms`), engine → driver (`progress_ms`: from the "
               "engine's time stamp of every supply-data message the driver receives, progress and "
               "tickets; at 1,000 CPs supplies last 1 s and mostly end before their first progress).")
    out.append(f"- Fault detection: {o.get('kills')} engines killed per step, spread evenly over the "
               "measuring window (CPs spread over the registration order), and as many monitors after "
               "the window, one every 250 ms; each timed from the `ts` of the fleet's `engine-killed` / "
               "`monitor-killed` event to the `ts` of Central's own `cp-state` BROKEN (or DISCONNECTED / "
               "`cp-disconnected`) event, both this machine's real-time clock; p50 / p99 / max over the "
               "kills (nearest rank: with 20 kills the p99 is the slowest).")
    out.append(f"- Runs: each step ran {o.get('runs')} time(s), every run with fresh processes, broker and "
               "database; the spread table gives median (min–max) per figure and a target is met only "
               "if every run met it.")
    out.append("- Minimum: the same station fleet (new prefix, no drivers) against `bench/ack-server` "
               "(one thread, one epoll set; each frame parsed by Central's decoder, a CP id and two timers "
               "per link, no store, no Kafka, no supplies), same N and window; CPU per "
               "1,000 status frames from its own CPU clock over the window. Ratio = Central's CPU per "
               "1,000 status frames ÷ the minimum's: what Central's rules, store and Kafka cost beyond "
               "parsing, answering and timing the same frames (Central's figure includes all its "
               "work in the window: supplies, Kafka, database; the minimum's phase has no supplies).")
    out.append("")
    out.append("## Per step")
    out.append("")
    for r in report["steps"]:
        out.append(f"### {r['cps']} CPs")
        for name, cmd in (r.get("commands") or {}).items():
            out.append(f"- `{name}`: `{cmd}`")
        if r.get("other_cpu_avg"):
            o2 = r["other_cpu_avg"]
            busy = sum(v or 0 for v in o2.values()) + (r.get("central_cpu_avg") or 0) + (r.get("harness_cpu_avg") or 0)
            out.append(f"- Other processes in the window (% of a core): station fleet {o2.get('station')}, "
                       f"driver fleet {o2.get('driver')}, broker {o2.get('broker')}, harness "
                       f"{r.get('harness_cpu_avg')}; with Central, {busy:.0f}% of the "
                       f"{report['machine']['cpus'] * 100}% the machine has; status frames sent "
                       f"{fmt(r.get('status_sent_per_s'), 0)}/s; Central {fmt(r.get('central_threads'))} threads, "
                       f"VmHWM {fmt(r.get('central_vmhwm_mb'), 0)} MB; registration took {fmt(r.get('register_s'))} s")
        if r.get("central_events_in_window"):
            out.append(f"- Central's events in the window: {fmt_counts(r['central_events_in_window'])}")
        if "min_cpu_avg" in r:
            out.append(f"- Minimum: {fmt(r.get('min_registered'))} registered (most links up at once "
                       f"{fmt(r.get('min_max_links_up'))}), {fmt(r.get('min_status_frames'))} "
                       f"status frames in the window, CPU {fmt(r.get('min_cpu_avg'))}% avg / "
                       f"{fmt(r.get('min_cpu_peak'))}% peak, status → answer "
                       f"{fmt_pcts(r.get('min_status_ms'))} ms, station fleet {fmt(r.get('min_station_cpu_avg'))}%")
        if r.get("exit"):
            out.append("- Exit statuses: " + ", ".join(f"{k} {v}" for k, v in r["exit"].items()))
        for note in r.get("notes") or []:
            out.append(f"- {note}")
        if r.get("folder"):
            out.append(f"- Logs kept in `{r['folder']}`")
        out.append(f"- Step took {fmt(r.get('step_s'))} s")
        out.append("")
    return "\n".join(out) + "\n"


def parse_steps(values):
    steps = []
    for v in values:
        for part in str(v).replace(",", " ").split():
            steps.append(int(part))
    if not steps or any(n <= 0 for n in steps):
        raise argparse.ArgumentTypeError("steps must be positive numbers")
    return steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", nargs="+", default=["1000", "5000", "10000", "20000"],
                        help="CPs per step (default 1000 5000 10000 20000; 19900 is the most that fits "
                             "this machine's 20,000 open-file limit)")
    parser.add_argument("-s", "--seconds", type=float, default=30, help="measuring window per step (30)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds between the last registration and the window "
                             "(default: 5 + one supply's duration)")
    parser.add_argument("-t", "--timeout", type=float, default=180,
                        help="the most registering every CP may take, in s (180)")
    parser.add_argument("--supply-rate", type=float, default=100,
                        help="supplies the drivers ask for per second (100)")
    parser.add_argument("--supplying", type=float, default=0.1, help="share of CPs supplying (0.1)")
    parser.add_argument("--auto-plug-ms", type=int, default=200,
                        help="the fleet plugs a vehicle in this long after authorisation (200)")
    parser.add_argument("--prefix", default="L", help="CP id prefix of the station fleet (L)")
    parser.add_argument("--build", default=os.path.join(TOP, "build"), help="the build folder (./build)")
    parser.add_argument("--out", default=os.path.join(TOP, "bench", "results"),
                        help="where the .md and .json go (bench/results)")
    parser.add_argument("--keep", action="store_true", help="keep every step's temporary folder")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of each step, reported as median (min–max) (3)")
    parser.add_argument("--kills", type=int, default=20,
                        help="engines killed in each window, and monitors after it (20)")
    parser.add_argument("--no-minimum", action="store_true", help="skip the ack-server comparison")
    parser.add_argument("--no-central", action="store_true", help="only the ack-server comparison")
    parser.add_argument("--gui", action="store_true",
                        help="also run the real Central window (under Xvfb when DISPLAY is unset) on each step")
    parser.add_argument("--tls", action="store_true",
                        help="monitor links over TLS (throw-away CA and certificate made with certtool)")
    parser.add_argument("--insecure", action="store_true",
                        help="Central with --insecure-bus: nothing signed nor checked on Kafka (the baseline "
                             "against which the cost of signing is measured)")
    parser.add_argument("--unverified-drivers", action="store_true",
                        help="the driver fleet checks no signature of Central's (its state folder has no public "
                             "key): on this machine the load generators share Central's cores, and 2,000 "
                             "simulated drivers' checks would be charged to Central's latencies")
    parser.add_argument("--page", default="log", choices=["dashboard", "requests", "log", "history"],
                        help="the page the window shows while it is measured (log)")
    parser.add_argument("--renderer", default="cairo",
                        help="GSK_RENDERER of the window (cairo; gl and ngl need a GPU to mean anything)")
    opts = parser.parse_args()
    if opts.gui and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            print("--gui needs a display, or xvfb-run to make one", file=sys.stderr)
            return 1
        os.execv(xvfb, [xvfb, "-a", "-s", "-screen 0 1280x1024x24", sys.executable] + sys.argv)
    opts.steps = parse_steps(opts.steps)

    programs = {
        "broker": os.path.join(opts.build, "src", "broker", "ev-broker"),
        "central": os.path.join(opts.build, "src", "central", "ev-central"),
        "station": os.path.join(opts.build, "src", "station", "ev-station"),
        "driver": os.path.join(opts.build, "src", "driver", "ev-driver"),
        "ack": os.path.join(opts.build, "bench", "ack-server"),
    }
    missing = [p for p in programs.values() if not os.access(p, os.X_OK)]
    if missing:
        print("not built: " + ", ".join(missing), file=sys.stderr)
        return 1
    for name in ("station", "driver"):
        check = subprocess.run([programs[name], "fleet", "--help"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        if check.returncode != 0:
            print(f"{programs[name]} fleet --help failed (exit {check.returncode}): no fleet yet",
                  file=sys.stderr)
            return 1

    # Every child inherits the highest open-file limit we may have.
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    started = datetime.datetime.now()
    report = {
        "started": started.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join([os.path.relpath(sys.argv[0], TOP)] + sys.argv[1:]),
        "machine": machine_facts(),
        "options": {k: v for k, v in vars(opts).items() if k not in ("build", "out")},
        "steps": [],
    }
    os.makedirs(opts.out, exist_ok=True)
    base = os.path.join(opts.out, "ladder-" + started.strftime("%Y%m%d-%H%M"))
    for n in opts.steps:
        for run in range(1, opts.runs + 1):
            row = Step(n, opts, programs).run()
            row["run"], row["runs"] = run, opts.runs
            report["steps"].append(row)
            # Written after every run, so a long ladder stopped half way
            # keeps what it measured.
            text = markdown(report)
            with open(base + ".md", "w") as f:
                f.write(text)
            with open(base + ".json", "w") as f:
                json.dump(report, f, indent=1)
                f.write("\n")
    print(text)
    log(f"written {base}.md and {base}.json")
    return 0 if all("failed" not in r and "min_failed" not in r for r in report["steps"]) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""ocpp-central: N OCPP 1.6-J chargers against our Central, next to N
CPs on our own framed protocol (issue 18).

For every step N and both protocols, fresh processes: a private
ev-broker and `ev-central --headless --auto-approve --listen 127.0.0.1:0
--ocpp-listen 127.0.0.1:PORT` on a fresh database (the same command for
both protocols), then either `ev-station fleet --ocpp
ws://127.0.0.1:PORT/ocpp --count N` (OCPP: BootNotification,
StatusNotification, then a Heartbeat every second, the interval Central
gives) or `ev-station fleet --count N` (framed: register, then a status
every second; no drivers, so no supplies either way). It measures:

- registering: from the fleet's start to every charger accepted (OCPP)
  or registered (framed), Central's CPU meanwhile, and the OCPP fleet's
  own boot times (p50/p99/max);
- a steady window of S seconds after a warm-up (the fleet's counters
  reset at its start): Central's CPU (utime + stime of /proc/PID/stat, %
  of one core, average and peak of 1 s samples), its RSS (peak of the
  samples, and per charger above its RSS before the fleet started), the
  fleet's RSS per charger and CPU, the calls (Heartbeat) or statuses
  answered per second and their round trip p50/p99/max as the fleet
  measured it, errors, and links lost (Central's cp-disconnected events
  in the window, and the fleet's links up at its end).

Writes bench/results/ocpp-central-YYYYMMDD-HHMM.{md,json} after every
phase, with the command, the machine and its load. Only the standard
library and the ladder's harness (bench/ladder.py).

    python3 bench/ocpp-central.py                     # 1,000 5,000 10,000
    python3 bench/ocpp-central.py --steps 1000 --seconds 20
    ./run bench ocpp
"""

import argparse
import collections
import datetime
import json
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ladder  # noqa: E402  (Child, Sampler, the /proc readers, fmt)

TOP = ladder.TOP
PROTOCOLS = ("ocpp", "framed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kib(pid):
    return ladder.status_kib(pid, "VmRSS")


COUNTERS = ("count", "connected", "accepted", "links_up", "registered", "calls_sent", "calls_answered",
            "call_errors", "errors", "status_sent", "status_answered", "status_skipped", "reconnects")


def merge_stats(parts):
    """Several fleets' stats as one: counters summed, and of each latency
    figure the worst fleet's (an upper bound: percentiles do not add)."""
    if len(parts) == 1:
        return parts[0]
    merged = {"fleets": parts}
    for key in COUNTERS:
        if any(key in p for p in parts):
            merged[key] = sum(p.get(key) or 0 for p in parts)
    for key in ("boot_ms", "call_ms", "status_ms"):
        figures = [p.get(key) or {} for p in parts]
        merged[key] = {"n": sum(f.get("n") or 0 for f in figures)}
        for q in ("p50", "p99", "max"):
            merged[key][q] = max((f[q] for f in figures if f.get(q) is not None), default=None)
    return merged


class Phase:
    """One protocol at one step: its own folder, broker, Central, fleet."""

    def __init__(self, n, protocol, opts, programs):
        self.n = n
        self.protocol = protocol
        self.opts = opts
        self.p = programs
        self.folder = tempfile.mkdtemp(prefix=f"ocpp-central-{protocol}-{n}-")
        self.env = ladder.private_env(self.folder)
        self.children = []
        self.row = {"cps": n, "protocol": protocol, "notes": [], "commands": {}, "exit": {}}

    def note(self, text):
        ladder.log(f"[{self.n} {self.protocol}] {text}")
        self.row["notes"].append(text)

    def spawn(self, name, argv, ready_timeout):
        self.row["commands"][name] = " ".join(str(a) for a in argv)
        child = ladder.Child(name, argv, self.env, self.folder)
        self.children.append(child)
        event = child.wait_event("ready", ready_timeout)
        if event is None:
            raise ladder.StepFailed(f"{name} did not announce itself ready in {ready_timeout} s "
                                    f"(exit {child.proc.poll()}; see {child.log_path})")
        return child, event

    def fleet_argvs(self, central_port, ocpp_port, bootstrap):
        """One fleet, or for OCPP --fleets K processes sharing the N
        chargers (prefixes O0, O1…)."""
        if self.protocol == "framed":
            return [[self.p["station"], "fleet", "--headless", "--count", self.n, "--prefix", "FR",
                     "--central", f"127.0.0.1:{central_port}", "--kafka", bootstrap,
                     "--token-dir", os.path.join(self.folder, "tokens"), "--stats-interval", 0]]
        k = self.opts.fleets
        return [[self.p["station"], "fleet", "--ocpp", f"ws://127.0.0.1:{ocpp_port}/ocpp",
                 "--count", self.n // k + (i < self.n % k), "--prefix", "OC" if k == 1 else f"O{i}",
                 "--stats-interval", 0] for i in range(k)]

    def ask(self, fleets, timeout):
        return merge_stats([f.request("stats", "stats", timeout) or {} for f in fleets])

    def registered(self, stats):
        return (stats or {}).get("accepted" if self.protocol == "ocpp" else "registered") or 0

    def wait_registered(self, fleets, central):
        """Until every charger is in, or no progress for --stall s, or
        --timeout; the fleet's stats are asked for every second."""
        started = time.monotonic()
        cpu0 = ladder.cpu_seconds(central.pid)
        best, best_at, stats = -1, started, {}
        while time.monotonic() - started < self.opts.timeout:
            stats = self.ask(fleets, 10) or stats
            for child in fleets + [central]:
                if not child.alive():
                    raise ladder.StepFailed(f"{child.name} exited with status {child.proc.poll()} "
                                            f"while registering (see {child.log_path})")
            got = self.registered(stats)
            if got >= self.n:
                break
            if got > best:
                best, best_at = got, time.monotonic()
            elif time.monotonic() - best_at > self.opts.stall:
                self.note(f"no progress for {self.opts.stall:.0f} s at {got} of {self.n}")
                break
            time.sleep(1)
        took = time.monotonic() - started
        cpu1 = ladder.cpu_seconds(central.pid)
        got = self.registered(stats)
        self.row.update({
            "registered": got,
            "register_s": round(took, 2) if got >= self.n else None,
            "registering_s": round(took, 2),
            "central_cpu_registering": round(100.0 * (cpu1 - cpu0) / took, 1)
            if cpu0 is not None and cpu1 is not None and took > 0 else None,
        })
        if self.protocol == "ocpp":
            boot = stats.get("boot_ms") or {}
            self.row["boot_s"] = [None if boot.get(k) is None else round(boot[k] / 1000.0, 2)
                                  for k in ("p50", "p99", "max")]
        if got < self.n:
            self.note(f"only {got} of {self.n} registered after {took:.0f} s")
        ladder.log(f"[{self.n} {self.protocol}] {got} registered in {took:.1f} s")

    def window(self, central, fleets, broker):
        opts = self.opts
        with central.cond:
            before = collections.Counter(central.counts)
        for fleet in fleets:
            fleet.send("reset")
        pids = {"central": central.pid, "broker": broker.pid}
        pids.update((f"fleet{i}", fleet.pid) for i, fleet in enumerate(fleets))
        sampler = ladder.Sampler(pids)
        load0 = os.getloadavg()
        ladder.log(f"[{self.n} {self.protocol}] window of {opts.seconds:.0f} s")
        sampler.run(opts.seconds)
        stats = self.ask(fleets, 30)
        span = time.monotonic() - sampler.start
        with central.cond:
            events = collections.Counter(central.counts)
            events.subtract(before)
        if not stats:
            self.note("the fleets gave no stats after the window")
        if self.protocol == "ocpp":
            answered, sent = stats.get("calls_answered"), stats.get("calls_sent")
            rtt = stats.get("call_ms") or {}
            up = stats.get("connected")
            errors = {"fleet errors": stats.get("errors"), "CALLERRORs": stats.get("call_errors")}
        else:
            answered, sent = stats.get("status_answered"), stats.get("status_sent")
            rtt = stats.get("status_ms") or {}
            up = stats.get("links_up")
            errors = {"fleet errors": stats.get("errors"), "reconnects": stats.get("reconnects")}
        rss_peak = sampler.rss_peak["central"]
        fleet_rss = sum(sampler.rss_peak[f"fleet{i}"] for i in range(len(fleets)))
        base = self.row.get("central_rss_before_kib")
        got = self.row.get("registered") or 0
        self.row.update({
            "window_s": round(span, 2),
            "load_average": [round(x, 2) for x in load0] + [round(x, 2) for x in os.getloadavg()],
            "central_cpu_avg": round(sampler.average("central") or 0, 1),
            "central_cpu_peak": round(sampler.peak["central"], 1),
            "central_cpu_samples": sampler.samples["central"],
            "central_rss_mb": round(rss_peak / 1024, 1),
            "central_kib_per_cp": round((rss_peak - base) / got, 2) if base and got else None,
            "central_threads": ladder.status_kib(central.pid, "Threads"),
            "fleet_rss_mb": round(fleet_rss / 1024, 1),
            "fleet_kib_per_cp": round(fleet_rss / self.n, 2),
            "fleet_cpu_avg": round(sum(sampler.average(f"fleet{i}") or 0 for i in range(len(fleets))), 1),
            "fleets": len(fleets),
            "broker_cpu_avg": round(sampler.average("broker") or 0, 1),
            "harness_cpu_avg": round(sampler.self_average() or 0, 1),
            "sent": sent,
            "answered": answered,
            "answered_per_s": round(answered / span, 1) if answered is not None else None,
            "round_trip_ms": [rtt.get("p50"), rtt.get("p99"), rtt.get("max")],
            "round_trip_n": rtt.get("n"),
            "skipped": stats.get("status_skipped"),
            "errors": errors,
            "links_up_end": up,
            "links_lost_in_window": events.get("cp-disconnected", 0),
            "central_events_in_window": {k: v for k, v in events.items() if v},
            "fleet_stats": stats,
        })
        cpu_used = sampler.cpu_used("central")
        self.row["central_cpu_ms_per_1000"] = round(1e6 * cpu_used / answered, 1) \
            if cpu_used is not None and answered else None

    def run(self):
        started = time.monotonic()
        try:
            broker, ready = self.spawn("ev-broker", [self.p["broker"]], 30)
            bootstrap = ready["bootstrap"]
            ocpp_port = free_port()
            central, ready = self.spawn("ev-central", [
                self.p["central"], "--headless", "--auto-approve", "--listen", "127.0.0.1:0",
                "--ocpp-listen", f"127.0.0.1:{ocpp_port}", "--kafka", bootstrap,
                "--db", os.path.join(self.folder, "central.db")]
                + (["--ocpp-heartbeat", str(self.opts.ocpp_heartbeat)] if self.opts.ocpp_heartbeat else []), 60)
            time.sleep(1)
            self.row["central_rss_before_kib"] = kib(central.pid)
            fleets = [self.spawn(f"fleet{i}", argv, 120)[0] for i, argv in
                      enumerate(self.fleet_argvs(ready["port"], ocpp_port, bootstrap))]
            self.wait_registered(fleets, central)
            if self.row["registered"] == 0:
                raise ladder.StepFailed("no charger registered")
            time.sleep(self.opts.warmup)
            self.window(central, fleets, broker)
            for fleet in fleets:
                self.row["exit"][fleet.name] = fleet.stop()
            self.row["exit"]["ev-central"] = central.stop()
            self.row["exit"]["ev-broker"] = broker.stop()
        except ladder.StepFailed as error:
            self.row["failed"] = str(error)
            self.note(str(error))
        except Exception as error:  # the other phases go on
            self.row["failed"] = f"harness error: {error!r}"
            self.note(self.row["failed"])
        finally:
            for child in reversed(self.children):
                if child.exit_status is None:
                    self.row["exit"].setdefault(child.name, child.kill())
        for name, status in self.row["exit"].items():
            if status not in (0, None):
                self.note(f"{name} exited with status {status}")
        self.row["phase_s"] = round(time.monotonic() - started, 1)
        if self.opts.keep or self.row["notes"]:
            self.row["folder"] = self.folder
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
        return self.row


# ---------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------

fmt = ladder.fmt


def fmt_list(values, digits=1):
    if not values or all(v is None for v in values):
        return "–"
    return " / ".join(fmt(float(v) if isinstance(v, int) else v, digits) for v in values)


def fmt_errors(d):
    d = {k: v for k, v in (d or {}).items() if v}
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "0"


COLUMNS = ["CPs", "protocol", "registered", "all in s", "boot s p50 / p99 / max", "Central CPU % registering",
           "window s", "Central CPU % avg / peak", "Central RSS MB", "Central KiB per CP", "fleet RSS MB",
           "fleet KiB per CP", "fleet CPU %", "answered /s", "round trip ms p50 / p99 / max",
           "Central CPU ms per 1k", "errors", "links lost (up at the end)", "load average (1 min) start → end"]


def table_row(r):
    load = r.get("load_average") or []
    protocol = "OCPP 1.6-J" if r["protocol"] == "ocpp" else "framed"
    if (r.get("fleets") or 1) > 1:
        protocol += f" ({r['fleets']} fleets)"
    return [str(r["cps"]), protocol,
            fmt(r.get("registered")), fmt(r.get("register_s")), fmt_list(r.get("boot_s"), 2),
            fmt(r.get("central_cpu_registering")), fmt(r.get("window_s")),
            f"{fmt(r.get('central_cpu_avg'))} / {fmt(r.get('central_cpu_peak'))}",
            fmt(r.get("central_rss_mb")), fmt(r.get("central_kib_per_cp"), 2), fmt(r.get("fleet_rss_mb")),
            fmt(r.get("fleet_kib_per_cp"), 2), fmt(r.get("fleet_cpu_avg")), fmt(r.get("answered_per_s"), 0),
            fmt_list(r.get("round_trip_ms")), fmt(r.get("central_cpu_ms_per_1000")),
            fmt_errors(r.get("errors")) if "errors" in r else "–",
            f"{fmt(r.get('links_lost_in_window'))} ({fmt(r.get('links_up_end'))})" if "links_up_end" in r else "–",
            f"{load[0]:.1f} → {load[3]:.1f}" if len(load) == 6 else "–"]


def ratio(a, b, digits=1):
    return f"{a / b:.{digits}f}×" if a is not None and b else "–"


def registered_cell(r):
    """How long every charger took, or how many came in how long."""
    if not r:
        return "–"
    if r.get("register_s") is not None:
        return fmt(r["register_s"])
    return f"{fmt(r.get('registered'))} of {r['cps']} in {fmt(r.get('registering_s'))}"


def side_by_side(rows):
    out = ["| CPs | Central CPU % OCPP / framed | Central KiB per CP OCPP / framed | fleet KiB per CP "
           "OCPP / framed | round trip p99 ms OCPP / framed | all registered s OCPP / framed |",
           "|---|---|---|---|---|---|"]
    for n in sorted({r["cps"] for r in rows}):
        o = next((r for r in rows if r["cps"] == n and r["protocol"] == "ocpp"), {})
        f = next((r for r in rows if r["cps"] == n and r["protocol"] == "framed"), {})
        p99 = [(x.get("round_trip_ms") or [None, None])[1] for x in (o, f)]
        out.append(f"| {n} | {fmt(o.get('central_cpu_avg'))} / {fmt(f.get('central_cpu_avg'))} "
                   f"({ratio(o.get('central_cpu_avg'), f.get('central_cpu_avg'))}) | "
                   f"{fmt(o.get('central_kib_per_cp'), 2)} / {fmt(f.get('central_kib_per_cp'), 2)} | "
                   f"{fmt(o.get('fleet_kib_per_cp'), 2)} / {fmt(f.get('fleet_kib_per_cp'), 2)} | "
                   f"{fmt(p99[0])} / {fmt(p99[1])} ({ratio(p99[0], p99[1])}) | "
                   f"{registered_cell(o)} / {registered_cell(f)} |")
    return out


def markdown(report):
    o = report["options"]
    m = report["machine"]
    out = [f"# OCPP chargers against Central, next to the framed protocol, {report['started']}", "",
           f"`{report['command']}`", ""]
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for r in report["phases"]:
        out.append("| " + " | ".join(table_row(r)) + " |")
    out.append("")
    out.append("Side by side (the window's averages; ratio OCPP ÷ framed):")
    out.append("")
    out.extend(side_by_side(report["phases"]))
    out.append("")
    if report.get("remarks"):
        out.extend(f"- {x}" for x in report["remarks"])
        out.append("")
    out.append("## How")
    out.append("")
    out.append(f"- Machine: {m['os']}, kernel {m['kernel']}, {m['cpus']} × {m['cpu_model']}, {m['memory_gib']} GiB; "
               f"open files soft/hard {m['nofile_soft_hard']}; load average at start "
               f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}. Every process of a phase "
               "(broker, Central, the fleet, this harness) and whatever else runs on the machine share "
               "these cores; the load average column shows how busy it was.")
    out.append(f"- Each phase: fresh broker, Central and database; registering until every charger is in, "
               f"no progress for {o['stall']:.0f} s or {o['timeout']:.0f} s; warm-up {o['warmup']:.0f} s; "
               f"window {o['seconds']:.0f} s, the fleet's counters reset at its start.")
    beat = o.get("ocpp_heartbeat") or 0
    out.append((f"- OCPP: Central answers BootNotification with an interval of {beat} s (`--ocpp-heartbeat "
                f"{beat}`), so each charger sends a Heartbeat every {beat} s and is silent after two; a "
                "framed monitor still sends a status a second. " if beat else
                "- OCPP: Central answers BootNotification with an interval of half its 3 s silence timeout, "
                "so each charger sends a Heartbeat a second, as a framed monitor sends a status a second. ") +
               "Round trip: the OCPP fleet's `call_ms` (from sending a CALL to its answer; a heartbeat "
               "falls due on the fleet's 100 ms tick) against the framed fleet's `status_ms` (from when "
               "a status fell due, so a wait behind the previous answer counts too).")
    out.append("- Central KiB per CP: (peak VmRSS in the window − VmRSS before the fleet started) ÷ CPs "
               "registered; fleet KiB per CP: the fleet's peak VmRSS ÷ N (all of it, fixed part included; "
               "with several fleet processes their sum, and of each latency the worst process's). "
               "CPU: utime + stime over the window, % of one core; Central CPU ms per 1k: its CPU time "
               "per 1,000 heartbeats or statuses answered.")
    out += ["", "## Per phase", ""]
    for r in report["phases"]:
        out.append(f"### {r['cps']} {r['protocol']}")
        out.extend(f"- `{name}`: `{cmd}`" for name, cmd in r.get("commands", {}).items())
        if "window_s" in r:
            out.append(f"- CPU in the window (% of a core): broker {fmt(r.get('broker_cpu_avg'))}, harness "
                       f"{fmt(r.get('harness_cpu_avg'))}; Central {fmt(r.get('central_threads'))} threads, "
                       f"RSS before the fleet {fmt((r.get('central_rss_before_kib') or 0) / 1024)} MB; "
                       f"sent {fmt(r.get('sent'))}, answered {fmt(r.get('answered'))}"
                       + (f", held back {fmt(r.get('skipped'))}" if r.get("skipped") is not None else ""))
        if r.get("central_events_in_window"):
            out.append("- Central's events in the window: " + ", ".join(
                f"{k} {v}" for k, v in sorted(r["central_events_in_window"].items())))
        facts = ["exit statuses " + ", ".join(f"{k} {v}" for k, v in r.get("exit", {}).items()),
                 f"took {fmt(r.get('phase_s'))} s"]
        facts += r.get("notes") or []
        facts += [f"logs kept in `{r['folder']}`"] if r.get("folder") else []
        out.extend(f"- {fact}" for fact in facts)
        out.append("")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", nargs="+", default=["1000", "5000", "10000"],
                        help="chargers per step (default 1000 5000 10000)")
    parser.add_argument("--protocols", nargs="+", choices=PROTOCOLS, default=list(PROTOCOLS),
                        help="which fleets, in this order (default ocpp framed)")
    parser.add_argument("--ocpp-heartbeat", type=int, default=0, metavar="S",
                        help="Central's --ocpp-heartbeat (default: not given, a heartbeat a second)")
    parser.add_argument("--fleets", type=int, default=1,
                        help="OCPP fleet processes sharing the chargers (1): each pays GLib's cost per "
                             "source for its own links only")
    parser.add_argument("-s", "--seconds", type=float, default=30, help="the steady window (30)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds between registering and the window (5)")
    parser.add_argument("-t", "--timeout", type=float, default=300,
                        help="the most registering may take, in s (300)")
    parser.add_argument("--stall", type=float, default=60,
                        help="registering ends after this many seconds without progress (60)")
    parser.add_argument("--build", default=os.path.join(TOP, "build"), help="the build folder (./build)")
    parser.add_argument("--out", default=os.path.join(TOP, "bench", "results"), help="where results go")
    parser.add_argument("--keep", action="store_true", help="keep every phase's temporary folder")
    parser.add_argument("--remark", action="append", default=[],
                        help="a line for the results (e.g. what else ran on the machine)")
    opts = parser.parse_args()
    try:
        opts.steps = ladder.parse_steps(opts.steps)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if opts.seconds <= 0 or opts.warmup < 0 or opts.timeout <= 0 or opts.stall <= 0 or opts.fleets < 1 \
            or not 0 <= opts.ocpp_heartbeat <= 86400:
        parser.error("--seconds, --timeout, --stall and --fleets must be positive, --warmup not negative, "
                     "--ocpp-heartbeat 1 to 86400")

    programs = {name: os.path.join(opts.build, *path) for name, path in (
        ("broker", ("src", "broker", "ev-broker")), ("central", ("src", "central", "ev-central")),
        ("station", ("src", "station", "ev-station")))}
    missing = [p for p in programs.values() if not os.access(p, os.X_OK)]
    if missing:
        print("not built: " + ", ".join(missing), file=sys.stderr)
        return 2
    # Central and the fleet need a descriptor per charger: the most we may.
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    started = datetime.datetime.now()
    command = " ".join([os.path.relpath(sys.argv[0], TOP)] + sys.argv[1:])
    options = {k: v for k, v in vars(opts).items() if k not in ("build", "out", "remark")}
    report = dict(started=started.strftime("%Y-%m-%d %H:%M"), command=command,
                  machine=ladder.machine_facts(), options=options, remarks=opts.remark, phases=[])
    os.makedirs(opts.out, exist_ok=True)
    base = os.path.join(opts.out, "ocpp-central-" + started.strftime("%Y%m%d-%H%M"))
    text = ""
    for n in opts.steps:
        for protocol in opts.protocols:
            report["phases"].append(Phase(n, protocol, opts, programs).run())
            # After every phase, so that a run stopped half way keeps what it measured.
            text = markdown(report)
            for suffix, content in ((".md", text), (".json", json.dumps(report, indent=1) + "\n")):
                with open(base + suffix, "w") as out:
                    out.write(content)
    print(text)
    ladder.log(f"written {base}.md and {base}.json")
    return 0 if all("failed" not in r for r in report["phases"]) else 1


if __name__ == "__main__":
    sys.exit(main())

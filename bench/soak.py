#!/usr/bin/python3
"""soak: does Central's memory stay flat over an hour of work?

The real programs, as the ladder runs them (bench/ladder.py): a private
ev-broker, ev-central --headless with a fresh database, ev-station fleet
with --cps charging points (1,000 by default) and ev-driver fleet asking
--supply-rate supplies/s, for --minutes (60). Every --sample seconds (60)
it records Central's VmRSS, its CPU over the interval, its history
length as the store has it and the fleets' counters; then it reports
whether the RSS is flat after the warm-up: the least-squares slope of the
samples after --warmup-minutes (10), in MB per hour, against --max-slope
(2 MB/h), and the growth from the first sample after the warm-up to the
last.

    python3 bench/soak.py                       # the hour
    python3 bench/soak.py --minutes 5 --sample 10 --warmup-minutes 1   # a look

Writes bench/results/soak-YYYYMMDD-HHMM.{md,json} after every sample, so
a soak stopped half way keeps what it measured. Exit status 0 when flat,
1 when not (or a program died), 2 for bad arguments.
"""

import argparse
import datetime
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ladder  # noqa: E402  (the harness's Child, clocks and /proc readers)

TOP = ladder.TOP


def slope_per_hour(points):
    """Least-squares slope of (minutes, MB) points, in MB per hour."""
    n = len(points)
    if n < 2:
        return None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return round(60.0 * sxy / sxx, 3)


def history_rows(db):
    """Ended supplies in Central's database (read-only, WAL allows it)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as conn:
            return conn.execute("SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL").fetchone()[0]
    except sqlite3.Error:
        return None


def verdict(report, opts):
    samples = report["samples"]
    after = [(s["minute"], s["central_rss_mb"]) for s in samples
             if s["minute"] >= opts.warmup_minutes and s["central_rss_mb"] is not None]
    slope = slope_per_hour(after)
    growth = round(after[-1][1] - after[0][1], 1) if len(after) >= 2 else None
    flat = slope is not None and slope <= opts.max_slope
    report["result"] = {"samples_after_warmup": len(after), "slope_mb_per_hour": slope,
                        "growth_mb": growth, "max_slope_mb_per_hour": opts.max_slope, "flat": flat}
    return flat


def markdown(report):
    o = report["options"]
    r = report.get("result") or {}
    out = [f"# Soak, {report['started']}", "",
           f"`{report['command']}`: {o['cps']} CPs, {o['supply_rate']} supplies/s, "
           f"{o['minutes']} min, a sample every {o['sample']} s, warm-up {o['warmup_minutes']} min.", ""]
    if r:
        out.append(f"Central's RSS after the warm-up: slope {ladder.fmt(r.get('slope_mb_per_hour'), 2)} MB/h "
                   f"over {r.get('samples_after_warmup')} samples (limit {r.get('max_slope_mb_per_hour')} MB/h), "
                   f"growth {ladder.fmt(r.get('growth_mb'))} MB — "
                   f"{'flat' if r.get('flat') else 'NOT flat'}.")
        out.append("")
    out.append("| minute | Central RSS MB | Central CPU % | supplies ended (database) | tickets at drivers | "
               "station fleet RSS MB | driver fleet RSS MB |")
    out.append("|---|---|---|---|---|---|---|")
    for s in report["samples"]:
        out.append(f"| {s['minute']:.1f} | {ladder.fmt(s['central_rss_mb'])} | {ladder.fmt(s['central_cpu'])} | "
                   f"{ladder.fmt(s['history_rows'])} | {ladder.fmt(s['tickets'])} | "
                   f"{ladder.fmt(s['station_rss_mb'])} | {ladder.fmt(s['driver_rss_mb'])} |")
    for note in report["notes"]:
        out.append(f"- {note}")
    m = report["machine"]
    out.append("")
    out.append(f"Machine: {m['os']}, {m['cpus']} × {m['cpu_model']}, {m['memory_gib']} GiB; every process "
               "shares its cores. RSS: VmRSS of /proc/PID/status at each sample; CPU: utime + stime over the "
               "interval, % of one core.")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cps", type=int, default=1000, help="charging points (1000)")
    parser.add_argument("--minutes", type=float, default=60, help="how long (60)")
    parser.add_argument("--sample", type=float, default=60, help="seconds between samples (60)")
    parser.add_argument("--warmup-minutes", type=float, default=10, help="left out of the slope (10)")
    parser.add_argument("--max-slope", type=float, default=2.0, help="flat means at most this many MB/h (2)")
    parser.add_argument("--supply-rate", type=float, default=20, help="supplies asked per second (20)")
    parser.add_argument("--supply-seconds", type=float, default=5, help="how long each supply lasts (5)")
    parser.add_argument("--build", default=os.path.join(TOP, "build"), help="the build folder (./build)")
    parser.add_argument("--out", default=os.path.join(TOP, "bench", "results"), help="where results go")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    opts = parser.parse_args()
    if opts.cps <= 0 or opts.minutes <= 0 or opts.sample <= 0 or opts.warmup_minutes >= opts.minutes:
        parser.error("--cps, --minutes and --sample must be positive and --warmup-minutes below --minutes")

    programs = {name: os.path.join(opts.build, *path) for name, path in (
        ("broker", ("src", "broker", "ev-broker")), ("central", ("src", "central", "ev-central")),
        ("station", ("src", "station", "ev-station")), ("driver", ("src", "driver", "ev-driver")))}
    missing = [p for p in programs.values() if not os.access(p, os.X_OK)]
    if missing:
        print("not built: " + ", ".join(missing), file=sys.stderr)
        return 2

    folder = tempfile.mkdtemp(prefix="soak-")
    env = ladder.private_env(folder)
    db = os.path.join(folder, "central.db")
    started = datetime.datetime.now()
    report = {"started": started.strftime("%Y-%m-%d %H:%M"),
              "command": " ".join([os.path.relpath(sys.argv[0], TOP)] + sys.argv[1:]),
              "machine": ladder.machine_facts(),
              "options": {k: v for k, v in vars(opts).items() if k not in ("build", "out")},
              "samples": [], "notes": []}
    os.makedirs(opts.out, exist_ok=True)
    base = os.path.join(opts.out, "soak-" + started.strftime("%Y%m%d-%H%M"))
    children = []

    def spawn(name, argv):
        child = ladder.Child(name, argv, env, folder)
        children.append(child)
        event = child.wait_event("ready", 120)
        if event is None:
            raise RuntimeError(f"{name} did not start (see {child.log_path})")
        return child, event

    def write():
        with open(base + ".md", "w") as f:
            f.write(markdown(report))
        with open(base + ".json", "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")

    flat = False
    failures = []
    try:
        broker, ready = spawn("ev-broker", [programs["broker"]])
        bootstrap = ready["bootstrap"]
        central, ready = spawn("ev-central", [programs["central"], "--headless", "--auto-approve",
                                              "--listen", "127.0.0.1:0", "--kafka", bootstrap, "--db", db])
        port = ready["port"]
        station, _ = spawn("station-fleet", [programs["station"], "fleet", "--headless", "--count", opts.cps,
                                             "--central", f"127.0.0.1:{port}", "--kafka", bootstrap,
                                             "--auto-plug", 0.2, "--auto-unplug-after", opts.supply_seconds,
                                             "--token-dir", os.path.join(folder, "tokens"),
                                             "--stats-interval", 0])
        driver, _ = spawn("driver-fleet", [programs["driver"], "fleet", "--count", max(1000, opts.cps // 5),
                                           "--rate", opts.supply_rate, "--kafka", bootstrap,
                                           "--stats-interval", 0])
        ladder.log(f"soak of {opts.minutes} min in {folder}")
        start = time.monotonic()
        last_cpu, last_t = ladder.cpu_seconds(central.pid), start
        while True:
            due = start + (len(report["samples"]) + 1) * opts.sample
            if due - start > opts.minutes * 60 + 0.5:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            for child in (central, station, driver, broker):
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited with status {child.proc.poll()} "
                                       f"(see {child.log_path})")
            now = time.monotonic()
            cpu = ladder.cpu_seconds(central.pid)
            dr = driver.request("stats", "stats", 10) or {}
            sample = {
                "minute": round((now - start) / 60.0, 2),
                "central_rss_mb": round((ladder.status_kib(central.pid, "VmRSS") or 0) / 1024, 1),
                "central_cpu": round(100.0 * (cpu - last_cpu) / (now - last_t), 1)
                if cpu is not None and last_cpu is not None else None,
                "history_rows": history_rows(db),
                "tickets": dr.get("tickets"),
                "station_rss_mb": round((ladder.status_kib(station.pid, "VmRSS") or 0) / 1024, 1),
                "driver_rss_mb": round((ladder.status_kib(driver.pid, "VmRSS") or 0) / 1024, 1),
            }
            last_cpu, last_t = cpu, now
            report["samples"].append(sample)
            ladder.log(f"minute {sample['minute']:.1f}: Central RSS {sample['central_rss_mb']} MB, "
                       f"CPU {sample['central_cpu']}%, {sample['history_rows']} supplies ended")
            write()
        flat = verdict(report, opts)
    except (RuntimeError, OSError) as error:
        failures.append(str(error))
        ladder.log(str(error))
    finally:
        for child in reversed(children):
            status = child.stop()
            if status not in (0, None):
                failures.append(f"{child.name} exited with status {status}")
        report["notes"].extend(failures)
        if opts.keep or failures:
            report["notes"].append(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
        write()
    print(markdown(report))
    ladder.log(f"written {base}.md and {base}.json")
    return 0 if flat and not failures else 1


if __name__ == "__main__":
    sys.exit(main())

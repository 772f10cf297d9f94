#!/usr/bin/env python3
"""Two builds on the ladder, run by turns: is the new one worse by more than 10%?

Issue 16 asks that no figure of the ladder get worse by more than 10%
against the previous commit. On this machine one ladder run at 10,000 CPs
is not enough to say so: the broker, Central and both fleets share two
cores, and the same build gives a status p99 of 15 ms in one run and
1,400 ms in the next. So this runs `bench/ladder.py` for build A, then
build B, then A again, ... (--runs pairs; by turns, so that whatever else
the machine does falls on both alike), and for every figure reports the
median and the spread of each build, and the median over the pairs of
B's figure ÷ A's figure from the same pair. A figure is within the limit
when that paired median is at most 1 + --limit; it is "not shown" when
the pairs disagree (B better in some, worse in others by more than the
limit): more pairs or a quieter machine are then needed.

    python3 bench/compare.py --a /tmp/base/build --b build --steps 10000 --runs 6

Results: bench/results/compare-YYYYMMDD-HHMM.md and .json (every run's
ladder files beside them, in a folder of the same name); the table on
standard output. Options after `--` go to ladder.py as they are (for
example `-- --unverified-drivers`). Only the standard library.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, unit, how to read it from a ladder step, whether lower is better)
FIGURES = [
    ("Central CPU avg", "%", lambda s: s.get("central_cpu_avg"), True),
    ("Central RSS peak", "MB", lambda s: s.get("central_rss_peak_mb"), True),
    ("status → answer p99", "ms", lambda s: p99(s.get("status_ms")), True),
    ("request → response p99", "ms", lambda s: p99(s.get("response_ms")), True),
    ("progress → driver p99", "ms", lambda s: p99(s.get("progress_ms")), True),
    ("status frames/s", "/s", lambda s: s.get("status_per_s"), False),
    ("station fleet CPU", "%", lambda s: (s.get("other_cpu_avg") or {}).get("station"), True),
    ("driver fleet CPU", "%", lambda s: (s.get("other_cpu_avg") or {}).get("driver"), True),
    ("broker CPU", "%", lambda s: (s.get("other_cpu_avg") or {}).get("broker"), True),
    # With `-- --gui`: the same step again with the real window.
    ("window: Central CPU avg", "%", lambda s: gui(s).get("central_cpu_avg"), True),
    ("window: status → answer p99", "ms", lambda s: p99(gui(s).get("status_ms")), True),
    ("window: request → response p99", "ms", lambda s: p99(gui(s).get("response_ms")), True),
    ("window: progress → driver p99", "ms", lambda s: p99(gui(s).get("progress_ms")), True),
    ("window: frames/s", "/s", lambda s: gui(s).get("fps"), False),
    ("window: frames over 33 ms", "% of frames",
     lambda s: share(gui(s).get("frames_over_33ms"), gui(s).get("frames")), True),
    ("window: main loop late by over 20 ms", "% of probes",
     lambda s: share(gui(s).get("probes_over_20ms"), gui(s).get("probes")), True),
]
# Must stay 0 in every run of both builds (also in the window's run).
ZEROES = ["links_lost_in_window", "denied", "no_answer"]


def gui(step):
    """The figures of the step's run with the window (empty without --gui)."""
    return step.get("gui") or {}


def share(n, of):
    return 100 * n / of if n is not None and of else None


def p99(latency):
    """The p99 of a ladder latency list [p50, p99, p999] (or None)."""
    if isinstance(latency, list) and len(latency) > 1:
        return latency[1]
    if isinstance(latency, dict):
        return latency.get("p99")
    return None


def log(*words):
    print(time.strftime("%H:%M:%S"), *words, file=sys.stderr, flush=True)


def run_ladder(build, steps, out, extra):
    """One ladder run of `build`; returns its steps (list of dicts)."""
    os.makedirs(out, exist_ok=True)
    before = set(os.listdir(out))
    command = [sys.executable, os.path.join(TOP, "bench", "ladder.py"), "--build", build,
               "--steps", *map(str, steps), "--runs", "1", "--no-minimum", "--out", out, *extra]
    with open(os.path.join(out, "ladder.log"), "a") as err:
        code = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=err)
    made = sorted(f for f in set(os.listdir(out)) - before if f.endswith(".json"))
    if code != 0 or not made:
        raise SystemExit(f"compare: the ladder of {build} failed (exit {code}); see {out}/ladder.log")
    with open(os.path.join(out, made[-1])) as f:
        return json.load(f)["steps"]


def compare(pairs, cps, limit):
    """Rows of the table for one step: label, A, B, change, paired, verdict."""
    rows = []
    for label, unit, read, lower_better in FIGURES:
        a = [read(p[0][cps]) for p in pairs]
        b = [read(p[1][cps]) for p in pairs]
        both = [(x, y) for x, y in zip(a, b) if x is not None and y is not None and x > 0]
        if not both:
            continue
        ratios = [y / x for x, y in both]
        paired = statistics.median(ratios)
        worse = paired > 1 + limit if lower_better else paired < 1 - limit
        better_in = sum(r < 1 if lower_better else r > 1 for r in ratios)
        far_worse = sum(r > 1 + limit if lower_better else r < 1 - limit for r in ratios)
        if worse:
            verdict = "worse" if better_in == 0 else "worse in most pairs"
        elif far_worse and better_in:
            verdict = "within, pairs disagree"
        else:
            verdict = "within"
        xs, ys = [x for x, _ in both], [y for _, y in both]
        rows.append({
            "figure": f"{label}, {unit}",
            "a": [statistics.median(xs), min(xs), max(xs)],
            "b": [statistics.median(ys), min(ys), max(ys)],
            "paired": round(paired, 3),
            "b_better_in": better_in,
            "pairs": len(both),
            "verdict": verdict,
        })
    return rows


def zeroes(pairs, cps):
    bad = []
    for i, pair in enumerate(pairs):
        for side, step in zip("AB", pair):
            for where, figures in (("", step[cps]), ("window, ", gui(step[cps]))):
                for key in ZEROES:
                    if figures.get(key):
                        bad.append(f"pair {i + 1}, {side}: {where}{key} = {figures[key]}")
    return bad


def fmt(v):
    return "–" if v is None else (f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}")


def table(cps, rows, limit):
    lines = [f"### {cps} CPs", "",
             "| figure | A: median (min–max) | B: median (min–max) | B ÷ A, median of the pairs | B better in | verdict |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        a, b = r["a"], r["b"]
        lines.append(f"| {r['figure']} | {fmt(a[0])} ({fmt(a[1])}–{fmt(a[2])}) | "
                     f"{fmt(b[0])} ({fmt(b[1])}–{fmt(b[2])}) | {r['paired']:.2f} | "
                     f"{r['b_better_in']} of {r['pairs']} | {r['verdict']} |")
    lines.append("")
    lines.append(f"Limit: B ÷ A ≤ {1 + limit:.2f} for what should be low, ≥ {1 - limit:.2f} for frames/s.")
    return "\n".join(lines)


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--a", help="the build folder of the old build (the reference)")
    parser.add_argument("--b", help="the build folder of the new build")
    parser.add_argument("--pool", nargs="+", metavar="DIR",
                        help="run nothing: pool the pairs of earlier comparisons of the same two builds "
                             "(their compare-STAMP folders)")
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 10000],
                        help="CPs per step (1000 10000)")
    parser.add_argument("--runs", type=int, default=3, help="pairs of runs, A then B each (3)")
    parser.add_argument("--limit", type=float, default=0.10, help="how much worse is too much (0.10)")
    parser.add_argument("--out", default=os.path.join(TOP, "bench", "results"),
                        help="where the .md and .json go (bench/results)")
    opts = parser.parse_args(argv)
    if opts.pool:
        return pool(opts)
    if not opts.a or not opts.b:
        parser.error("--a and --b name the two builds (or --pool earlier comparisons)")
    if opts.runs < 1 or any(n < 1 for n in opts.steps) or not 0 < opts.limit < 1:
        parser.error("--runs and --steps must be positive, --limit between 0 and 1")
    # What ladder.py runs from a build folder.
    needed = ["src/central/ev-central", "src/station/ev-station", "src/driver/ev-driver",
              "src/broker/ev-broker", "bench/ack-server"]
    for build in (opts.a, opts.b):
        missing = [p for p in needed if not os.path.exists(os.path.join(build, p))]
        if missing:
            parser.error(f"{build}: no {', '.join(missing)} in it (build it with ninja first)")

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M")
    name = os.path.join(opts.out, f"compare-{stamp}")
    pairs = []
    for i in range(opts.runs):
        pair = []
        for side, build in (("A", opts.a), ("B", opts.b)):
            log(f"pair {i + 1} of {opts.runs}: {side} ({build})")
            steps = run_ladder(build, opts.steps, os.path.join(name, side), ["--kills", "0", *extra])
            pair.append({s["cps"]: s for s in steps})
        pairs.append(pair)

    seconds = extra[extra.index("--seconds") + 1] if "--seconds" in extra[:-1] else "30"
    write(name, pairs, opts.steps, opts.limit, stamp,
          f"A: `{opts.a}`; B: `{opts.b}`; {opts.runs} pairs of runs, A then B, window {seconds} s, no kills.",
          {"a": opts.a, "b": opts.b, "runs": opts.runs})


def pool(opts):
    """The table over the pairs of earlier comparisons, read again."""
    pairs = []
    for folder in opts.pool:
        sides = []
        for side in "AB":
            files = sorted(f for f in os.listdir(os.path.join(folder, side)) if f.endswith(".json"))
            sides.append([json.load(open(os.path.join(folder, side, f)))["steps"] for f in files])
        if len(sides[0]) != len(sides[1]) or not sides[0]:
            raise SystemExit(f"compare: {folder} has {len(sides[0])} runs of A and {len(sides[1])} of B")
        for a, b in zip(*sides):
            pairs.append([{s["cps"]: s for s in a}, {s["cps"]: s for s in b}])
    steps = sorted({cps for p in pairs for cps in p[0]})
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M")
    write(os.path.join(opts.out, f"compare-pooled-{stamp}"), pairs, steps, opts.limit, stamp,
          f"{len(pairs)} pairs pooled from {', '.join(f'`{f}`' for f in opts.pool)}.",
          {"pool": opts.pool, "runs": len(pairs)})


def write(name, pairs, steps, limit, stamp, what, about):
    report = {"started": stamp, "command": "bench/compare.py " + " ".join(sys.argv[1:]),
              "limit": limit, "steps": {}, **about}
    text = [f"# Two builds on the ladder, {stamp}", "", f"{what} Command: `{report['command']}`", ""]
    for cps in steps:
        if not all(cps in p[0] and cps in p[1] for p in pairs):
            text.append(f"### {cps} CPs\n\nA run has no figures for this step.\n")
            continue
        rows = compare(pairs, cps, limit)
        report["steps"][cps] = {"rows": rows, "must_be_zero": zeroes(pairs, cps)}
        text.append(table(cps, rows, limit))
        bad = report["steps"][cps]["must_be_zero"]
        text.append("\nLinks lost, denials, requests unanswered: " + ("none in any run." if not bad else "; ".join(bad)))
        text.append("")
    with open(name + ".json", "w") as f:
        json.dump(report, f, indent=1)
    with open(name + ".md", "w") as f:
        f.write("\n".join(text) + "\n")
    print("\n".join(text))
    log(f"written {name}.md and {name}.json")


if __name__ == "__main__":
    main()

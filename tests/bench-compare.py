#!/usr/bin/python3
"""bench/compare.py's verdicts, over ladder files this test writes.

The test plays the ladder on purpose (the files are what ladder.py
writes, with only the figures compare.py reads): three pairs of a
"base" and a "new" build at 10,000 CPs, in two comparison folders, read
back with --pool. It checks each verdict the table can give, the
window's figures, the must-be-zero list, and that a folder whose A and B
runs do not pair up is refused.

    bench-compare.py BENCH/compare.py
"""

import json
import os
import subprocess
import sys
import tempfile


def step(cpu, status, response, progress, gui=None):
    s = {"cps": 10000, "central_cpu_avg": cpu, "central_rss_peak_mb": 80.0,
         "status_ms": [1.0, status, status * 2], "response_ms": [1.0, response, response * 2],
         "progress_ms": [1.0, progress, progress * 2], "status_per_s": 10000.0,
         "other_cpu_avg": {"station": 50.0, "driver": 25.0, "broker": 45.0},
         "links_lost_in_window": 0, "denied": 0, "no_answer": 0}
    if gui is not None:
        s["gui"] = gui
    return s


def window(frames_late, lost=0):
    return {"central_cpu_avg": 70.0, "status_ms": [1.0, 100.0, 200.0], "response_ms": [1.0, 50.0, 90.0],
            "progress_ms": [1.0, 50.0, 90.0], "fps": 50.0, "frames": 1000, "frames_over_33ms": frames_late,
            "probes": 1000, "probes_over_20ms": 5, "links_lost_in_window": lost, "denied": 0, "no_answer": 0}


def write_runs(folder, side, steps):
    os.makedirs(os.path.join(folder, side))
    for i, s in enumerate(steps):
        with open(os.path.join(folder, side, f"ladder-2026120{i}.json"), "w") as f:
            json.dump({"steps": [s]}, f)


def main():
    compare = sys.argv[1]
    failures = []

    def check(what, ok):
        print(("ok" if ok else "FAILED") + ": " + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as top:
        # CPU the same, status 20% worse in every pair, request 5% worse,
        # progress 30% better in two pairs and 30% worse in the third;
        # the window's frames late halved, and one link lost in B's last
        # window run.
        first, second = os.path.join(top, "compare-1"), os.path.join(top, "compare-2")
        write_runs(first, "A", [step(60.0, 100.0, 100.0, 100.0, window(200)),
                                step(62.0, 200.0, 110.0, 100.0, window(220))])
        write_runs(first, "B", [step(60.0, 120.0, 105.0, 70.0, window(100)),
                                step(62.0, 240.0, 115.5, 70.0, window(110))])
        write_runs(second, "A", [step(61.0, 150.0, 90.0, 100.0, window(210))])
        write_runs(second, "B", [step(61.0, 180.0, 94.5, 130.0, window(105, lost=1))])

        done = subprocess.run([sys.executable, compare, "--pool", first, second, "--out", top],
                              capture_output=True, text=True)
        check("--pool exits 0", done.returncode == 0)
        out = done.stdout
        rows = {}
        for line in out.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 6 and cells[0] not in ("figure", "---"):
                rows[cells[0]] = cells
        check("three pairs pooled", "3 pairs pooled" in out)
        check("CPU within", rows.get("Central CPU avg, %", [""] * 6)[5] == "within")
        check("status worse in every pair: 'worse', 1.20",
              rows.get("status → answer p99, ms", [""] * 6)[3:6] == ["1.20", "0 of 3", "worse"])
        check("request 5% worse: within", rows.get("request → response p99, ms", [""] * 6)[3] == "1.05"
              and rows["request → response p99, ms"][5] == "within")
        check("progress better in two, far worse in one: pairs disagree",
              rows.get("progress → driver p99, ms", [""] * 6)[4:6] == ["2 of 3", "within, pairs disagree"])
        check("the window's late frames halved",
              rows.get("window: frames over 33 ms, % of frames", [""] * 6)[3] == "0.50")
        check("a link lost in the window's run is listed",
              "pair 3, B: window, links_lost_in_window = 1" in out)
        check("the table is written", any(f.startswith("compare-pooled-") and f.endswith(".md")
                                          for f in os.listdir(top)))

        # A folder whose runs do not pair up is refused, in words.
        odd = os.path.join(top, "compare-odd")
        write_runs(odd, "A", [step(60.0, 100.0, 100.0, 100.0)] * 2)
        write_runs(odd, "B", [step(60.0, 100.0, 100.0, 100.0)])
        done = subprocess.run([sys.executable, compare, "--pool", odd, "--out", top],
                              capture_output=True, text=True)
        check("unpaired runs refused", done.returncode != 0 and "2 runs of A and 1 of B" in done.stderr)

        # Without builds or --pool: a usage error, not a traceback.
        done = subprocess.run([sys.executable, compare], capture_output=True, text=True)
        check("no builds: usage error", done.returncode == 2 and "--a and --b" in done.stderr)

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

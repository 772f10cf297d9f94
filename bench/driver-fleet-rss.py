#!/usr/bin/python3
"""The driver fleet's memory per driver, under load.

For each count M: a private ev-broker, `ev-central --headless
--auto-approve`, `ev-station fleet --count CPS` (vehicles plugged and
unplugged by the fleet) and `ev-driver fleet --count M --rate R`; after
--seconds, the driver fleet's VmRSS and its stats. The figure per driver
is the slope between the two counts.

  bench/driver-fleet-rss.py --bin build/src --counts 1000 5000
"""
import argparse, json, os, subprocess, sys, tempfile, threading, time


def program(opts, name):
    flat = os.path.join(opts.bin, name)
    if os.path.exists(flat):
        return flat
    return os.path.join(opts.bin, name.split("-")[1], name)


class Child:
    def __init__(self, argv, env):
        self.proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env)
        self.events, self.cond = [], threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()

    def wait(self, name, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event in self.events:
                    if event.get("event") == name:
                        self.events.remove(event)
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(left)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(opts, count):
    folder = tempfile.mkdtemp(prefix=f"driver-fleet-rss-{count}-")
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(folder, "state"),
               XDG_RUNTIME_DIR=folder, XDG_CONFIG_HOME=os.path.join(folder, "config"))
    children = []
    try:
        broker = Child([program(opts, "ev-broker")], env)
        children.append(broker)
        bootstrap = broker.wait("ready", 30)["bootstrap"]
        central = Child([program(opts, "ev-central"), "--headless", "--auto-approve",
                         "--listen", "127.0.0.1:0", "--kafka", bootstrap,
                         "--db", os.path.join(folder, "central.db")], env)
        children.append(central)
        port = central.wait("ready", 60)["port"]
        station = Child([program(opts, "ev-station"), "fleet", "--count", opts.cps, "--prefix", "RSS",
                         "--central", f"127.0.0.1:{port}", "--kafka", bootstrap,
                         "--auto-plug", 0.2, "--auto-unplug-after", 2,
                         "--token-dir", os.path.join(folder, "tokens"), "--stats-interval", 0], env)
        children.append(station)
        station.wait("ready", 120)
        driver = Child([program(opts, "ev-driver"), "fleet", "--count", count, "--rate", opts.rate,
                        "--kafka", bootstrap, "--stats-interval", 0], env)
        children.append(driver)
        driver.wait("ready", 300)
        time.sleep(opts.seconds)
        driver.send("stats")
        stats = driver.wait("stats", 10) or {}
        rss = rss_kib(driver.proc.pid)
        return rss, stats
    finally:
        for child in reversed(children):
            child.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="build/src")
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--cps", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    opts = parser.parse_args()
    rows = []
    for count in opts.counts:
        rss, stats = run(opts, count)
        keep = {k: stats.get(k) for k in ("requests", "tickets", "denied", "no_answer", "skipped", "errors")}
        print(f"drivers={count} rss_kib={rss} {json.dumps(keep)}", flush=True)
        rows.append((count, rss))
    if len(rows) >= 2:
        (c0, r0), (c1, r1) = rows[0], rows[-1]
        print(f"per_driver_bytes={(r1 - r0) * 1024 / (c1 - c0):.0f}")


if __name__ == "__main__":
    sys.exit(main())

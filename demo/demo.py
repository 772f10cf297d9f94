#!/usr/bin/env python3
"""./run demo: a whole EV Charging Network on this machine.

Starts the embedded broker (or uses the one already running), Central,
three stations (engine + monitor each, in simulation mode) and one driver
running demo/requests.txt, all with windows; with --headless the same
network runs without windows and this script prints a compact live view of
the charging points. Ctrl-C stops every process it started, cleanly.
With --tls the monitor links run over TLS: a throw-away CA and a
certificate for Central are made with certtool (Debian gnutls-bin) in the
demo's folder, and every monitor checks Central against that CA.
"""

import argparse
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# id, location, power in kW (a fast charger shows the figures move).
STATIONS = [
    ("ALC-001", "Alicante, Av. Maisonnave 12", 150),
    ("ELX-001", "Elche, Plaça de Baix 1", 50),
    ("BEN-001", "Benidorm, Playa de Poniente", 350),
]
DRIVER = "demo-driver"
COLOURS = {
    "DISCONNECTED": "\033[90m", "ACTIVE": "\033[32m", "WAITING": "\033[32m",
    "SUPPLYING": "\033[1;32m", "STOPPED": "\033[33m", "BROKEN": "\033[31m",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class Process:
    """One program of the network, its stdout read as JSON-lines events."""

    def __init__(self, name, argv, env, headless, logdir, events=False):
        """EVENTS: read its stdout as events even with windows (Central's
        --events)."""
        self.name = name
        self.headless = headless
        self.events = queue.Queue()
        self.log = open(os.path.join(logdir, name + ".log"), "w")
        self.proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.PIPE if headless else subprocess.DEVNULL,
            stdout=subprocess.PIPE if headless or events else self.log, stderr=self.log, text=True,
            # Ctrl-C reaches this script only; it stops everyone in order.
            start_new_session=True)
        if headless or events:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass
        self.events.put(None)

    def wait_event(self, name, seconds=30):
        end = time.time() + seconds
        while time.time() < end:
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if event is None:
                break
            if event.get("event") == name:
                return event
        sys.exit(f"demo: {self.name} did not report “{name}”; see {self.log.name}")

    def send(self, line):
        if self.headless and self.proc.poll() is None:
            try:
                self.proc.stdin.write(line + "\n")
                self.proc.stdin.flush()
            except OSError:
                pass

    def stop(self):
        if self.proc.poll() is not None:
            return
        if self.headless:
            self.send("quit")
        else:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_broker(build, env, workdir):
    """Our own broker, or the one already announced for this user."""
    log = open(os.path.join(workdir, "ev-broker.log"), "w")
    broker = subprocess.Popen([os.path.join(build, "src/broker/ev-broker"), "--headless"],
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=log, text=True, start_new_session=True)
    first = broker.stdout.readline()
    event = json.loads(first) if first else {}
    if event.get("event") == "ready":
        return broker, event["bootstrap"]
    broker.wait()
    runtime = env.get("XDG_RUNTIME_DIR") or os.path.expanduser("~/.cache")
    with open(os.path.join(runtime, "evcharging", "broker")) as f:
        bootstrap = json.load(f)["bootstrap"]
    print(f"demo: using the broker already running at {bootstrap}")
    return None, bootstrap


def describe(event, skip=("event", "request_id", "supply_id", "peer", "path", "started_at",
                            "ended_at", "results", "_at")):
    """An event's fields for a person: figures rounded (kWh to the Wh,
    money to the cent), lists and objects left out."""
    parts = []
    for key, value in event.items():
        if key in skip or value is None or isinstance(value, (list, dict)):
            continue
        if isinstance(value, float):
            value = f"{value:.3f}" if key == "kwh" else f"{value:.2f}"
        parts.append(f"{key}={value}")
    return ", ".join(parts)


NEWS = {
    "ev-central": ("cp-registered", "authorized", "denied", "ticket", "supply-error",
                   "cp-disconnected", "broker", "tls", "tls-failed"),
    "ev-driver": ("file-request", "file-result", "file-done"),
}


def tell(proc, event):
    """A line for the news of PROC's EVENT, if it is news (headless)."""
    name = event.get("event")
    if proc.headless and name in NEWS.get(proc.name, ()):
        print(f"  · {proc.name[3:]}: {name} ({describe(event)})", flush=True)


def make_certificates(workdir):
    """A throw-away CA and Central's certificate for 127.0.0.1, made with
    certtool: (CA file, certificate, key)."""
    tls = os.path.join(workdir, "tls")
    os.makedirs(tls)

    def certtool(*args):
        subprocess.run(["certtool", *args], cwd=tls, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    with open(os.path.join(tls, "ca.tmpl"), "w") as f:
        f.write('cn = "EV Charging demo CA"\nca\ncert_signing_key\nexpiration_days = 2\n')
    with open(os.path.join(tls, "central.tmpl"), "w") as f:
        f.write('cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\n'
                'tls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n')
    try:
        certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", "ca-key.pem")
        certtool("--generate-self-signed", "--load-privkey", "ca-key.pem",
                 "--template", "ca.tmpl", "--outfile", "ca.pem")
        certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", "central-key.pem")
        certtool("--generate-certificate", "--load-privkey", "central-key.pem",
                 "--load-ca-certificate", "ca.pem", "--load-ca-privkey", "ca-key.pem",
                 "--template", "central.tmpl", "--outfile", "central.pem")
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"demo: cannot make the TLS certificates with certtool (Debian gnutls-bin): {error}")
    return (os.path.join(tls, "ca.pem"), os.path.join(tls, "central.pem"),
            os.path.join(tls, "central-key.pem"))


def wait_linked(monitors, seconds=60):
    """Each monitor's word that its link to Central is up, and over what."""
    for monitor in monitors:
        end = time.time() + seconds
        while time.time() < end:
            try:
                event = monitor.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if event is None:
                break
            if event.get("event") == "central" and event.get("link") in ("registered", "authenticated"):
                print(f"  · {monitor.name}: central (link={event['link']}, tls={event.get('tls')})",
                      flush=True)
                break


def wait_active(central, cp_ids, seconds=60):
    """Until Central shows every CP of CP_IDS ACTIVE (registered and
    reporting), so that the driver's first request finds them."""
    waiting = set(cp_ids)
    end = time.time() + seconds
    while waiting and time.time() < end:
        try:
            event = central.events.get(timeout=0.2)
        except queue.Empty:
            continue
        if event is None:
            break
        tell(central, event)
        if event.get("event") == "cp-state" and event.get("state") == "ACTIVE":
            waiting.discard(event.get("cp_id"))
    if waiting:
        sys.exit("demo: these stations did not come up: %s; see %s"
                 % (", ".join(sorted(waiting)), central.log.name))


def live_view(central, driver, stop):
    """Every 2 s, one line per CP; news as it happens."""
    last = 0.0
    while not stop.is_set():
        for proc in (central, driver):
            try:
                event = proc.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if event is None:
                continue
            if event.get("event") == "list":
                # Printed as it comes, never from an older list after news.
                print_cps({cp["cp_id"]: cp for cp in event["cps"]})
            else:
                tell(proc, event)
        if time.time() - last >= 2.0:
            last = time.time()
            central.send("list")


def print_cps(cps):
    """One line: every CP, its state and its supply's figures."""
    parts = []
    for cp_id, cp in sorted(cps.items()):
        state = cp["state"]
        text = f"{COLOURS.get(state, '')}{cp_id} {state}\033[0m"
        if cp.get("driver_id"):
            text += f" {cp['driver_id']} {cp['kwh']:.2f} kWh {cp['amount']:.2f} €"
        parts.append(text)
    if parts:
        print(time.strftime("%H:%M:%S ") + " | ".join(parts), flush=True)


def main():
    parser = argparse.ArgumentParser(description="Run a whole network on this machine.")
    parser.add_argument("--headless", action="store_true", help="no windows; a live view here")
    parser.add_argument("--build", default="build", help="the meson build directory")
    parser.add_argument("--seconds", type=float, default=0,
                        help="stop by itself after this long (0: until Ctrl-C)")
    parser.add_argument("--tls", action="store_true",
                        help="monitor links over TLS, with a throw-away CA made here")
    args = parser.parse_args()

    if not args.headless and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        sys.exit("demo: no display; run ./run demo --headless, or under xvfb-run")

    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.path.join(top, args.build)
    workdir = tempfile.mkdtemp(prefix="evcharging-demo-")
    env = dict(os.environ)
    # The demo's tokens, driver state and database stay out of the user's.
    env["XDG_STATE_HOME"] = os.path.join(workdir, "state")
    env["XDG_DATA_HOME"] = os.path.join(workdir, "data")
    # The windows' settings schemas, compiled in the build tree.
    schemas = os.path.join(build, "data")
    env["GSETTINGS_SCHEMA_DIR"] = (schemas + os.pathsep + env["GSETTINGS_SCHEMA_DIR"]
                                   if env.get("GSETTINGS_SCHEMA_DIR") else schemas)
    # The apps' icons (About, the windows) from the source tree, as an
    # installed copy would find them under $XDG_DATA_DIRS/icons.
    env["XDG_DATA_DIRS"] = os.pathsep.join(
        [os.path.join(top, "data"), env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"])
    print(f"demo: logs and state in {workdir}")

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    central_tls, monitor_tls = [], []
    if args.tls:
        ca, cert, key = make_certificates(workdir)
        central_tls = ["--tls-cert", cert, "--tls-key", key]
        monitor_tls = ["--tls-ca", ca]
        print(f"demo: monitor links over TLS, checked against the demo's CA {ca}")
    else:
        print("demo: monitor links are plain TCP on this machine (./run demo --tls encrypts them)")

    broker, bootstrap = start_broker(build, env, workdir)
    procs = []
    monitors = []
    h = ["--headless"] if args.headless else []

    def start(name, argv, events=False):
        proc = Process(name, argv, env, args.headless, workdir, events)
        procs.append(proc)
        return proc

    try:
        central_port = free_port()
        # With windows, --events still tells the demo what Central sees.
        central = start("ev-central", [os.path.join(build, "src/central/ev-central"),
                                       *(h or ["--events"]),
                                       # A demo's stations are approved as they register.
                                       "--auto-approve",
                                       "--listen", f"127.0.0.1:{central_port}",
                                       "--kafka", bootstrap,
                                       "--db", os.path.join(workdir, "central.db"),
                                       *central_tls], events=True)
        if args.headless:
            central.wait_event("ready")
        elif not wait_port(central_port):
            sys.exit("demo: Central did not start; see " + central.log.name)

        station = os.path.join(build, "src/station/ev-station")
        for cp_id, location, power in STATIONS:
            engine_port = free_port()
            engine = start(f"engine-{cp_id}", [station, "engine", *h,
                                               "--listen", f"127.0.0.1:{engine_port}",
                                               "--kafka", bootstrap, "--location", location,
                                               "--power-kw", str(power),
                                               "--auto-plug", "2", "--auto-unplug-after", "15"])
            if args.headless:
                engine.wait_event("ready")
            elif not wait_port(engine_port):
                sys.exit(f"demo: the engine of {cp_id} did not start; see {engine.log.name}")
            monitors.append(start(f"monitor-{cp_id}", [station, "monitor", *h, "--id", cp_id,
                                                       "--engine", f"127.0.0.1:{engine_port}",
                                                       "--central", f"127.0.0.1:{central_port}",
                                                       *monitor_tls]))

        # The stations are up before the driver asks for them.
        wait_active(central, [cp_id for cp_id, _, _ in STATIONS])
        if args.headless:
            wait_linked(monitors)
        driver = start("ev-driver", [os.path.join(build, "src/driver/ev-driver"), *h,
                                     "--id", DRIVER, "--kafka", bootstrap,
                                     "--file", os.path.join(top, "demo", "requests.txt")])
        print("demo: running; Ctrl-C stops every process it started")

        if args.seconds > 0:
            threading.Timer(args.seconds, stop.set).start()
        if args.headless:
            live_view(central, driver, stop)
        else:
            while not stop.is_set() and any(p.proc.poll() is None for p in procs):
                stop.wait(0.5)
                # Central's events, read for wait_active(), are not kept.
                while not central.events.empty():
                    central.events.get_nowait()
    finally:
        print("demo: stopping")
        for proc in reversed(procs):
            proc.stop()
        if broker is not None:
            try:
                broker.stdin.write("quit\n")
                broker.stdin.flush()
            except OSError:
                pass
            broker.wait(10)
        failed = [p.name for p in procs if p.proc.returncode != 0]
        if failed:
            print("demo: these did not exit cleanly: " + ", ".join(failed))
            sys.exit(1)
        print("demo: every process stopped cleanly")


if __name__ == "__main__":
    main()

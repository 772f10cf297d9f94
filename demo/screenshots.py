#!/usr/bin/env python3
"""./run screenshots: the pictures of docs/, taken from a real network.

Every program runs for real, as in ./run demo: the embedded broker,
Central, twelve stations (an engine and a monitor each) and drivers that
ask for supplies (ev-driver fleet), all talking over Kafka and the framed
links. Four of them have their windows, each alone on an X server of its
own (Xvfb, no window manager, so nothing overlaps): Central's console, one
driver's app running a request file, and one station's engine and
monitor. When supplies are under way, each X server's window is captured
(ImageMagick's `import`) into docs/screenshot-*.png. Nothing is painted
by a test: what the pictures show is what the network did.

    ./run screenshots            # into docs/
    python3 demo/screenshots.py --out /tmp/shots --seconds 30
"""

import argparse
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# id, location, power in kW
STATIONS = [
    ("ALC-001", "Alicante, Av. Maisonnave 12", 150),
    ("ALC-002", "Alicante, Rambla de Méndez Núñez 4", 50),
    ("ALC-003", "Alicante, Estación de Autobuses", 22),
    ("ELX-001", "Elche, Plaça de Baix 1", 50),
    ("ELX-002", "Elche, Parque Municipal", 22),
    ("BEN-001", "Benidorm, Av. del Mediterráneo 40", 350),
    ("BEN-002", "Benidorm, Parking Ayuntamiento", 50),
    ("TOR-001", "Torrevieja, Paseo Juan Aparicio", 22),
    ("ORI-001", "Orihuela, Glorieta Gabriel Miró", 50),
    ("DEN-001", "Dénia, Port, Moll de la Pansa", 150),
    ("VIL-001", "Villena, Plaza de Santiago", 22),
    ("ALT-001", "Altea, Passeig del Mediterrani", 50),
]
WINDOWED = "ALC-001"      # the station whose engine and monitor have windows
BROKEN = "ORI-001"        # an engine fault, for the red card
DRIVER = "lucia"
DISPLAYS = {"central": 71, "driver": 72, "engine": 73, "monitor": 74}
SCREEN = "1280x860x24"


class Program:
    """One program; its stdout read as JSON-line events when asked. A
    headless program runs until its standard input ends: give it one
    (stdin=True) that stays open until it is stopped."""

    def __init__(self, name, argv, env, logdir, events=False, stdin=False):
        self.name = name
        self.events = queue.Queue()
        self.log = open(os.path.join(logdir, name + ".log"), "w")
        self.proc = subprocess.Popen(argv, env=env, text=True,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE if events else self.log,
                                     stderr=self.log, start_new_session=True)
        if events:
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

    def wait(self, name, seconds=60, pred=lambda e: True):
        end = time.time() + seconds
        while time.time() < end:
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if event is None:
                break
            if event.get("event") == name and pred(event):
                return event
        sys.exit(f"screenshots: {self.name} did not report “{name}”; see {self.log.name}")

    def send(self, line):
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (OSError, AttributeError):
            pass

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def supports(program, option):
    """Whether `program --help` mentions `option` (options that only some
    versions have)."""
    out = subprocess.run([program, "--help"], capture_output=True, text=True)
    return option in out.stdout


def window_id(display, title_part, seconds=30):
    """The id of the top-level window whose title has `title_part`."""
    end = time.time() + seconds
    while time.time() < end:
        out = subprocess.run(["xwininfo", "-display", f":{display}", "-root", "-tree"],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("0x") and title_part in line and "(has no name)" not in line:
                return line.split()[0]
        time.sleep(0.5)
    sys.exit(f"screenshots: no window “{title_part}” on :{display}")


def capture(display, title_part, path):
    wid = window_id(display, title_part)
    subprocess.run(["import", "-display", f":{display}", "-window", wid, path], check=True)
    print(f"screenshots: {path}")


def main():
    parser = argparse.ArgumentParser(description="Take docs/'s screenshots from a real network.")
    parser.add_argument("--build", default=os.path.join(TOP, "build"), help="the meson build directory")
    parser.add_argument("--out", default=os.path.join(TOP, "docs"), help="where the pictures go (docs/)")
    parser.add_argument("--seconds", type=float, default=180,
                        help="how long the network runs before the pictures, so that the chart has a "
                             "few minutes to show (180)")
    args = parser.parse_args()
    for tool in ("Xvfb", "import", "xwininfo"):
        if shutil.which(tool) is None:
            sys.exit(f"screenshots: {tool} is missing (./run screenshots installs it)")

    build = args.build
    bins = {name: os.path.join(build, path) for name, path in (
        ("broker", "src/broker/ev-broker"), ("central", "src/central/ev-central"),
        ("station", "src/station/ev-station"), ("driver", "src/driver/ev-driver"))}
    work = tempfile.mkdtemp(prefix="evcharging-screenshots-")
    env = dict(os.environ)
    for var, sub in (("XDG_RUNTIME_DIR", "run"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                     ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
        os.makedirs(os.path.join(work, sub), mode=0o700, exist_ok=True)
        env[var] = os.path.join(work, sub)
    env["GSETTINGS_BACKEND"] = "memory"
    env["GSETTINGS_SCHEMA_DIR"] = os.path.join(build, "data")
    env["XDG_DATA_DIRS"] = os.pathsep.join([os.path.join(TOP, "data"), "/usr/local/share", "/usr/share"])
    env["GSK_RENDERER"] = "cairo"
    env["GTK_A11Y"] = "none"
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    print(f"screenshots: logs in {work}")

    servers, programs = [], []

    def start(name, argv, display=None, events=False, stdin=False):
        penv = dict(env)
        if display is not None:
            penv["DISPLAY"] = f":{display}"
        else:
            penv.pop("DISPLAY", None)
        program = Program(name, argv, penv, work, events, stdin)
        programs.append(program)
        return program

    try:
        for display in DISPLAYS.values():
            servers.append(subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", SCREEN, "-nolisten", "tcp"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.0)

        broker = start("ev-broker", [bins["broker"], "--headless"], events=True, stdin=True)
        bootstrap = broker.wait("ready")["bootstrap"]

        port = free_port()
        central_args = [bins["central"], "--events", "--listen", f"127.0.0.1:{port}", "--kafka", bootstrap,
                        "--db", os.path.join(work, "central.db"), "--price", "0.30-0.49"]
        if supports(bins["central"], "--auto-approve"):
            central_args.append("--auto-approve")
        central = start("ev-central", central_args, display=DISPLAYS["central"], events=True)

        engines = {}
        for cp_id, location, power in STATIONS:
            windowed = cp_id == WINDOWED
            engine_port = free_port() if windowed else 0
            engine = start(f"engine-{cp_id}",
                           [bins["station"], "engine", *([] if windowed else ["--headless"]),
                            "--listen", f"127.0.0.1:{engine_port}",
                            "--kafka", bootstrap, "--location", location, "--power-kw", str(power),
                            "--auto-plug", "1", "--auto-unplug-after", "40"],
                           display=DISPLAYS["engine"] if windowed else None,
                           events=not windowed, stdin=not windowed)
            if not windowed:
                engine_port = engine.wait("ready")["port"]
            engines[cp_id] = engine
            start(f"monitor-{cp_id}",
                  [bins["station"], "monitor", *([] if windowed else ["--headless"]), "--id", cp_id,
                   "--engine", f"127.0.0.1:{engine_port}", "--central", f"127.0.0.1:{port}"],
                  display=DISPLAYS["monitor"] if windowed else None, stdin=not windowed)
        central.wait("cp-state", 60, lambda e: e.get("cp_id") == STATIONS[-1][0] and e.get("state") == "ACTIVE")

        requests = os.path.join(work, "requests.txt")
        with open(requests, "w") as f:
            f.write("# Lucía's trips this week\nELX-001\nBEN-001\nALC-001\n")
        start("ev-driver", [bins["driver"], "--id", DRIVER, "--kafka", bootstrap, "--file", requests],
              display=DISPLAYS["driver"])
        start("driver-fleet", [bins["driver"], "fleet", "--count", "40", "--rate", "0.15",
                               "--kafka", bootstrap, "--stats-interval", "0"], stdin=True)
        engines[BROKEN].send("ko")

        print(f"screenshots: the network runs for {args.seconds:.0f} s")
        time.sleep(args.seconds)

        os.makedirs(args.out, exist_ok=True)
        capture(DISPLAYS["central"], "EV Charging Central", os.path.join(args.out, "screenshot-central.png"))
        capture(DISPLAYS["driver"], "EV Charging Driver", os.path.join(args.out, "screenshot-driver.png"))
        capture(DISPLAYS["engine"], WINDOWED, os.path.join(args.out, "screenshot-station-engine.png"))
        capture(DISPLAYS["monitor"], WINDOWED, os.path.join(args.out, "screenshot-station-monitor.png"))
    finally:
        for program in reversed(programs):
            program.stop()
        for server in servers:
            server.terminate()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

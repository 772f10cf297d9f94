#!/usr/bin/python3
"""End to end across hosts (issue 15): the broker, Central, two stations
(engine and monitor each on a host of its own) and a driver, each in its
own network namespace (tests/e2e/netns.py), reaching each other by IP
address over a bridge; faults are real: a pulled cable (no FIN, no RST),
packet loss from iptables, added latency, a host cut off, a partition.

Kafka: librdkafka's mock cluster (ev-broker) listens on its host's
127.0.0.1 and advertises that address, so, as docs/deployment.md tells
users of the embedded broker, each host runs a forwarder (the test device
tests/e2e/relay.py) from its own 127.0.0.1:PORT to the broker's host, and
the broker's host forwards its address to the broker. A real cluster
needs none of this.

Every scenario checks the billing invariant: the engine's meter (its
ticket), Central's database row and the driver's ticket agree, once.
Skips (77) only when network namespaces cannot be made (not root).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
from network import (SLOW, Network, Station, check, check_ticket, log, plug, program,  # noqa: E402
                     request, run, start_supply, wait_billed)

HOSTS = ["kafka", "central", "engine1", "monitor1", "engine2", "monitor2", "driver"]
CENTRAL_PORT = 7001
ENGINE_PORT = 7100
RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "relay.py")

# What each component gets besides what a test gives it: the one place to
# add a deployment's options (TLS, pairing secrets, approval).
EXTRA_OPTIONS = {
    "broker": [],
    # New CPs need the operator's approval unless Central approves them
    # (issue 14); these tests are not about approval.
    "central": ["--auto-approve"],
    "engine": [],
    "monitor": [],
    "driver": [],
}


def command(component, **options):
    """The command line of COMPONENT (broker, central, engine, monitor,
    driver), from OPTIONS (each `name: value` gives `--name value`; a list
    value gives the option once per item) and EXTRA_OPTIONS."""
    programs = {
        "broker": ["EV_BROKER"],
        "central": ["EV_CENTRAL"],
        "engine": ["EV_STATION", "engine"],
        "monitor": ["EV_STATION", "monitor"],
        "driver": ["EV_DRIVER"],
    }
    first, *sub = programs[component]
    argv = [program(first)] + sub + ["--headless"]
    for name, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            argv += ["--" + name.replace("_", "-"), str(item)]
    return argv + EXTRA_OPTIONS[component]


class HostStation(Station):
    """A CP whose engine and monitor run on hosts of their own."""

    def __init__(self, net, cp_id, number, engine_args, location):
        super().__init__(net, cp_id, engine_args, location)
        self.engine_host = "engine%d" % number
        self.monitor_host = "monitor%d" % number

    def start_engine(self, timeout=None):
        self.runs += 1
        net = self.net
        # An engine listening beyond loopback needs its monitor's pairing
        # secret (both hosts read the same file here).
        argv = command("engine", listen="%s:%d" % (net.lab.ip(self.engine_host), ENGINE_PORT),
                       kafka=net.bootstrap, location=self.location,
                       pairing_secret_file=net.pairing_secret_file,
                       state_dir=os.path.join(net.dir, "engines-" + self.cp_id)) + list(self.engine_args)
        self.engine = net.spawn_on(self.engine_host, "engine-%s.%d" % (self.cp_id, self.runs), argv)
        self.port = self.engine.wait("ready")["port"]
        return self.engine

    def start_monitor(self, timeout=None):
        self.runs += 1
        net = self.net
        options = {}
        if net.delay_ms:
            # Through its host's delaying relay (HostNetwork.start), and
            # with the health time-out docs/deployment.md gives a monitor
            # on a slow, lossy link from its engine: 1 s (for a monitor
            # beside its engine) was missed every few seconds here, each
            # miss a false BROKEN.
            engine = "127.0.0.1:%d" % ENGINE_PORT
            central = "127.0.0.1:%d" % CENTRAL_PORT
            options["health_timeout"] = 3000
        else:
            engine = "%s:%d" % (net.lab.ip(self.engine_host), ENGINE_PORT)
            central = "%s:%d" % (net.lab.ip("central"), CENTRAL_PORT)
        argv = command("monitor", id=self.cp_id, engine=engine, central=central,
                       pairing_secret_file=net.pairing_secret_file, **options)
        self.monitor = net.spawn_on(self.monitor_host, "monitor-%s.%d" % (self.cp_id, self.runs), argv)
        self.monitor.wait("ready")
        return self.monitor


class HostNetwork(Network):
    """A network whose programs each run on a host of their own."""

    def __init__(self, name):
        super().__init__(name)
        self.lab = netns.Lab(HOSTS)
        self.delay_ms = 0
        self.relays = []

    def spawn_on(self, host, name, argv):
        return self.spawn(name, self.lab.command(host, argv))

    def start_relay(self, host, routes, delay_ms=0):
        argv = ["/usr/bin/python3", RELAY, "--delay-ms", str(delay_ms)] + routes
        relay = self.spawn_on(host, "relay-%s" % host, argv)
        relay.wait("ready")
        self.relays.append(relay)
        return relay

    def start(self, delay_ms=0, loss=0.0):
        """The broker, the forwarders and Central; with DELAY_MS every link
        between hosts gains DELAY_MS each way and every host drops LOSS of
        the packets it sends."""
        self.delay_ms = delay_ms
        lab = self.lab
        self.broker = self.spawn_on("kafka", "broker", command("broker"))
        self.bootstrap = self.broker.wait("ready")["bootstrap"]
        port = int(self.bootstrap.rpartition(":")[2])
        kafka = "%s:%d" % (lab.ip("kafka"), port)
        self.start_relay("kafka", ["%s=127.0.0.1:%d" % (kafka, port)])
        for host in HOSTS[1:]:
            routes = []
            if not host.startswith("monitor"):
                routes.append("127.0.0.1:%d=%s" % (port, kafka))
            elif delay_ms:
                engine = "engine" + host[len("monitor"):]
                routes.append("127.0.0.1:%d=%s:%d" % (ENGINE_PORT, lab.ip(engine), ENGINE_PORT))
                routes.append("127.0.0.1:%d=%s:%d" % (CENTRAL_PORT, lab.ip("central"), CENTRAL_PORT))
            if routes:
                self.start_relay(host, routes, delay_ms)
        for host in HOSTS:
            lab.loss(host, loss)
        self.start_central()
        return self

    def start_central(self, *extra, timeout=None):
        self.central_runs += 1
        argv = command("central", listen="%s:%d" % (self.lab.ip("central"), CENTRAL_PORT),
                       kafka=self.bootstrap, db=self.db_path) + list(extra)
        self.central = self.spawn_on("central", "central.%d" % self.central_runs, argv)
        self.central_port = self.central.wait("ready")["port"]
        return self.central

    def new_station(self, cp_id, engine_args, location):
        return HostStation(self, cp_id, len(self.stations) + 1, engine_args, location)

    def start_driver(self, driver_id, *extra, name=None, timeout=None):
        argv = command("driver", id=driver_id, kafka=self.bootstrap) + list(extra)
        driver = self.spawn_on("driver", name or "driver-%s" % driver_id, argv)
        driver.wait("ready")
        return driver

    def stop_all(self):
        """Programs first, then the forwarders they flush through, then the broker."""
        for host in HOSTS:
            self.lab.loss(host, 0)
        programs = [p for p in self.procs if p.running() and p is not self.broker and p not in self.relays]
        for proc in programs:
            proc.send("quit")
        for proc in programs:
            proc.quit(None)
        for relay in self.relays:
            relay.quit(None)
        if self.broker.running():
            self.broker.quit()

    def close(self, failed):
        try:
            super().close(failed)
        finally:
            self.lab.close()


def unplug_and_bill(net, driver, station, supply_id):
    station.engine.send("unplug")
    station.engine.wait("ticket", supply_id=supply_id)
    return wait_billed(net, supply_id, station.engine, [driver])


def test_supply_across_hosts(net):
    """Two supplies at once, each request to ticket, every party on a host of its own."""
    net.start()
    stations = [net.add_station(cp, "--power-kw", "3600") for cp in ("CP1", "CP2")]
    drivers = [net.start_driver(d) for d in ("d1", "d2")]
    peers = {e["cp_id"]: e["peer"] for e in net.central.find("cp-registered")}
    for number, station in enumerate(stations, 1):
        monitor_ip = net.lab.ip("monitor%d" % number)
        check(peers[station.cp_id].startswith(monitor_ip + ":"),
              "Central saw %s's monitor at %s, not from %s", station.cp_id, peers[station.cp_id], monitor_ip)
    supplies = [start_supply(net, d, s, seq=2) for d, s in zip(drivers, stations)]
    for driver, station, supply_id in zip(drivers, stations, supplies):
        station.engine.send("unplug")
        check_ticket(net, supply_id, "unplugged", driver=driver, engine=station.engine)
        wait_billed(net, supply_id, station.engine, [driver])


def test_cable_pulled(net):
    """A monitor's cable pulled during a supply (no FIN, no RST): Central shows
    DISCONNECTED after 3 s of silence; the supply fails at Central and the
    engine's monitor-lost ticket settles it; the cable back, the monitor is
    authenticated again, not locked out."""
    net.start()
    station = net.add_station("CP1", "--power-kw", "3600")
    driver = net.start_driver("d1")
    supply_id = start_supply(net, driver, station, seq=2)

    since = net.central.mark()
    monitor_since = station.monitor.mark()
    pulled = time.monotonic()
    net.lab.cable("monitor1", False)
    gone = net.wait_cp_state("CP1", "DISCONNECTED", since=since)
    log("# cable pulled: DISCONNECTED at Central after %.2f s" % (gone["_at"] - pulled))
    # The monitor sends a status every second and Central allows 3 s
    # without one, checked every 0.75 s.
    check(gone["_at"] - pulled <= 3.0 + 1.5 * SLOW, "DISCONNECTED %.1f s after the pull", gone["_at"] - pulled)
    # Central saw silence, not a closed link: nothing reached the monitor
    # either (it gives up on its own later, when an ACK is 5 s late).
    why = net.central.wait("cp-disconnected", since=since, cp_id="CP1")
    check(why["reason"].startswith("no status"), "Central disconnected CP1 for %s", why["reason"])
    closed = [e for e in station.monitor.find("central", since=monitor_since, link="down") if e["_at"] <= gone["_at"]]
    check(not closed, "the monitor saw its link close before Central noticed: %s", closed)
    error = net.central.wait("supply-error", supply_id=supply_id)
    check(error["reason"] == "cp-disconnected", "Central ended the supply with %s", error["reason"])
    ticket = station.engine.wait("ticket", supply_id=supply_id)
    check(ticket["reason"] == "monitor-lost", "the engine's ticket says %s", ticket["reason"])
    row = wait_billed(net, supply_id, station.engine, [driver])
    check(row["reason"] == "monitor-lost", "Central stored %s", row["reason"])

    since = net.central.mark()
    monitor_since = station.monitor.mark()
    plugged = time.monotonic()
    net.lab.cable("monitor1", True)
    station.monitor.wait("central", since=monitor_since, link="authenticated", timeout=30 * SLOW)
    back = net.wait_cp_state("CP1", "ACTIVE", since=since)
    log("# cable back: ACTIVE at Central after %.2f s" % (back["_at"] - plugged))
    check(not net.central.find("auth-denied", since=since), "Central denied the monitor: %s",
          net.central.find("auth-denied", since=since))
    check(not station.monitor.find("central", since=monitor_since, link="denied"), "the monitor was denied")
    supply_id = start_supply(net, driver, station, seq=1)
    unplug_and_bill(net, driver, station, supply_id)


def test_latency_and_loss(net):
    """200 ms more on every round trip and 5% of every host's packets lost:
    supplies complete, their figures reach the driver, nothing is billed twice.
    The programs start before the loss: each gives up when no broker answers
    within 5 s of its start (docs/cli.md), which three lost SYNs in a row
    can take on a link this bad; what is tested is the network once up."""
    net.start(delay_ms=100)
    stations = [net.add_station(cp, "--power-kw", "3600") for cp in ("CP1", "CP2")]
    driver = net.start_driver("d1")
    for host in HOSTS:
        net.lab.loss(host, 0.05)
    # From here on, each CP is ACTIVE (before, a monitor whose engine had
    # not answered yet may have reported it BROKEN).
    since = net.central.mark()
    for station in stations:
        supply_id = start_supply(net, driver, station, seq=3)
        row = unplug_and_bill(net, driver, station, supply_id)
        check(row["reason"] == "unplugged", "Central stored %s", row["reason"])
        live = driver.find("progress", supply_id=supply_id)
        check(len(live) >= 3, "the driver saw %d figures", len(live))
        check(len(driver.find("ticket", supply_id=supply_id)) == 1, "the driver got two tickets")
    broken = net.central.find("cp-state", since=since, state="BROKEN")
    check(not broken, "a CP was BROKEN on a slow link: %s", broken)
    drops = {host: net.lab.dropped(host) for host in HOSTS}
    log("# packets dropped: %s" % drops)
    check(all(n > 0 for n in drops.values()), "a host lost no packet: %s", drops)


def test_central_cut_off(net):
    """Central's host cut off for 30 s during two supplies, one of which
    ends meanwhile: both finish and are billed once."""
    net.start()
    stations = [net.add_station(cp, "--power-kw", "3600") for cp in ("CP1", "CP2")]
    drivers = [net.start_driver(d) for d in ("d1", "d2")]
    supplies = [start_supply(net, d, s, seq=2) for d, s in zip(drivers, stations)]

    cut = time.monotonic()
    net.lab.cable("central", False)
    for station in stations:
        station.engine.wait("central", reachable=False)
    stations[0].engine.send("unplug")
    stations[0].engine.wait("ticket", supply_id=supplies[0])
    # The cut lasts 30 s (issue 15): the time itself is the fault.
    time.sleep(max(0.0, 30.0 - (time.monotonic() - cut)))
    since = [s.monitor.mark() for s in stations]
    net.lab.cable("central", True)
    for station, mark in zip(stations, since):
        station.monitor.wait("central", since=mark, pred=lambda e: e["link"] in ("authenticated", "registered"),
                             timeout=30 * SLOW)
    stations[1].engine.send("unplug")
    for driver, station, supply_id in zip(drivers, stations, supplies):
        station.engine.wait("ticket", supply_id=supply_id)
        wait_billed(net, supply_id, station.engine, [driver])


def test_driver_partitioned(net):
    """The driver's host cut off from Kafka during a supply: it says so, and
    shows the ticket once the partition heals."""
    net.start()
    station = net.add_station("CP1", "--power-kw", "3600")
    driver = net.start_driver("d1")
    supply_id = start_supply(net, driver, station, seq=2)

    since = driver.mark()
    cut = time.monotonic()
    net.lab.cable("driver", False)
    # A request times out after socket.timeout.ms (10 s, docs/protocol.md).
    told = driver.wait("broker", since=since, reachable=False, timeout=20 * SLOW)
    log("# driver cut off: it said so after %.1f s" % (told["_at"] - cut))
    station.engine.send("unplug")
    station.engine.wait("ticket", supply_id=supply_id)
    net.central.wait("ticket", supply_id=supply_id)
    check(not driver.find("ticket", supply_id=supply_id), "the driver had the ticket through a partition")

    healed = time.monotonic()
    net.lab.cable("driver", True)
    driver.wait("broker", since=since, reachable=True, timeout=60 * SLOW)
    ticket = driver.wait("ticket", supply_id=supply_id, timeout=60 * SLOW)
    log("# partition healed: the driver showed the ticket after %.1f s" % (ticket["_at"] - healed))
    wait_billed(net, supply_id, station.engine, [driver])
    check_ticket(net, supply_id, "unplugged", driver=driver, engine=station.engine)


def main():
    why = netns.unavailable()
    if why is not None:
        print("1..0 # SKIP %s" % why, flush=True)
        return 77
    tests = [test_supply_across_hosts, test_cable_pulled, test_latency_and_loss,
             test_central_cut_off, test_driver_partitioned]
    return run(tests, network=HostNetwork)


if __name__ == "__main__":
    sys.exit(main())

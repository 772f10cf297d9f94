#!/usr/bin/python3
"""ocpp-tls-boot.py [--count N] [--runs R] BUILD_DIR: what OCPP security
profile 2 costs at Central (docs/ocpp.md, "Security profile 2"). N
simulated chargers (`ev-station fleet --ocpp`) boot at once against
`ev-central --ocpp-listen` on loopback, plain ws:// and then wss:// with
every charger's key (Basic auth); for each: the time until all N are
accepted, the fleet's boot and call round-trip percentiles, and Central's
CPU seconds and RSS at that point. Prints a Markdown table."""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))

from network import Network  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_and_rss(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    with open("/proc/%d/status" % pid) as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return cpu, rss


def one_run(build, count, secure):
    os.environ["EV_CENTRAL"] = os.path.join(build, "src/central/ev-central")
    os.environ["EV_STATION"] = os.path.join(build, "src/station/ev-station")
    os.environ["EV_BROKER"] = os.path.join(build, "src/broker/ev-broker")
    net = Network("ocpp-tls-boot")
    try:
        port = free_port()
        extra = []
        fleet_args = []
        if secure:
            from importlib import import_module
            pki = import_module("e2e-ocpp-tls").make_pki(net)
            with open(pki("ocpp-keys"), "w") as f:
                for i in range(1, count + 1):
                    f.write("B%05d bench-key-%010d\n" % (i, i))
            extra = ["--tls-cert", pki("central.pem"), "--tls-key", pki("central-key.pem"),
                     "--ocpp-keys", pki("ocpp-keys")]
            fleet_args = ["--tls-ca", pki("ca.pem"), "--ocpp-keys", pki("ocpp-keys")]
        net.start_broker()
        net.start_central(*extra, "--ocpp-listen", "127.0.0.1:%d" % port)
        scheme = "wss" if secure else "ws"
        started = time.monotonic()
        fleet = net.spawn("fleet", [os.environ["EV_STATION"], "fleet", "--ocpp",
                                    "%s://127.0.0.1:%d/ocpp" % (scheme, port), "--count", str(count),
                                    "--prefix", "B", "--stats-interval", "200", *fleet_args])
        stats = fleet.wait("stats", timeout=300, pred=lambda e: e["accepted"] == count)
        elapsed = time.monotonic() - started
        cpu, rss = cpu_and_rss(net.central.pid)
        return {"mode": scheme, "all_accepted_s": round(elapsed, 2),
                "boot_p50": stats["boot_ms"]["p50"], "boot_p99": stats["boot_ms"]["p99"],
                "call_p50": stats["call_ms"]["p50"], "call_p99": stats["call_ms"]["p99"],
                "errors": stats["errors"], "central_cpu_s": round(cpu, 2), "central_rss_kib": rss}
    finally:
        net.stop_all()
        net.close(False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    rows = [one_run(os.path.abspath(args.build), args.count, secure)
            for _ in range(args.runs) for secure in (False, True)]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    print(json.dumps(rows), file=sys.stderr)


if __name__ == "__main__":
    main()

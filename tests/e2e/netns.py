"""Several hosts on this machine for the multi-host tests: one network
namespace per host, each with one interface (`eth0`, a veth pair) plugged
into a bridge that lives in a namespace of its own (the switch).

Every host namespace and the switch are named `evmh<pid>-<name>`, <pid>
being the test's own process: tests running in parallel never share a
name, and a run that died without cleaning up is recognised (its pid is
gone) and removed by the next. The switch being a namespace of its own,
the bridge, the veth ends and the subnet (10.77.0.0/24) are private to
one run and collide with nothing on the machine.

Faults, all on real packets through the kernel:
- cable(host, False): the switch's end of the host's veth goes down. The
  host keeps its address and sockets; its packets are dropped, nothing
  sends a FIN or a reset, TCP retransmits (a pulled cable).
- loss(host, p): iptables drops each packet the host sends with
  probability p (`-m statistic --mode random`).
Latency has no kernel mechanism here (no `netem` qdisc in this kernel):
tests/e2e/relay.py adds it.
"""

import os
import subprocess

SUBNET = "10.77.0"
PREFIX = "evmh"


def run(*argv, check=True):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), result.stderr.strip()))
    return result.stdout


def unavailable():
    """Why namespaces cannot be used here, or None."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    for tool in ("ip", "iptables"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            return "%s is not installed" % tool
    name = "%s%d-probe" % (PREFIX, os.getpid())
    result = subprocess.run(["ip", "netns", "add", name], stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        return "ip netns add failed: %s" % result.stderr.strip()
    run("ip", "netns", "delete", name, check=False)
    return None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _namespaces():
    return [line.split()[0] for line in run("ip", "netns", "list").splitlines() if line.strip()]


def _delete(ns):
    # Whatever still runs inside goes first: a namespace with processes
    # would outlive its name.
    for pid in run("ip", "netns", "pids", ns, check=False).split():
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass
    run("ip", "netns", "delete", ns, check=False)


def remove_leftovers():
    """Deletes the namespaces of runs whose process is gone."""
    for ns in _namespaces():
        if not ns.startswith(PREFIX):
            continue
        owner = ns[len(PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            _delete(ns)


class Lab:
    """HOSTS (names, at most 250) on one switch, 10.77.0.1, .2, … in order."""

    def __init__(self, hosts):
        remove_leftovers()
        self.tag = "%s%d" % (PREFIX, os.getpid())
        self.switch = "%s-switch" % self.tag
        self.hosts = {}
        self.created = []
        try:
            self._add_ns(self.switch)
            run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
            run("ip", "-n", self.switch, "link", "set", "br0", "up")
            for number, host in enumerate(hosts, 1):
                self._add_host(host, "%s.%d" % (SUBNET, number))
        except BaseException:
            self.close()
            raise

    def _add_ns(self, ns):
        run("ip", "netns", "add", ns)
        self.created.append(ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")

    def _add_host(self, host, ip):
        ns = "%s-%s" % (self.tag, host)
        port = "p-%s" % host[:12]
        self._add_ns(ns)
        run("ip", "-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "-n", self.switch, "link", "set", port, "master", "br0", "up")
        run("ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        self.hosts[host] = {"ns": ns, "ip": ip, "port": port}

    def ip(self, host):
        return self.hosts[host]["ip"]

    def command(self, host, argv):
        """ARGV run on HOST."""
        return ["ip", "netns", "exec", self.hosts[host]["ns"]] + list(argv)

    def cable(self, host, plugged):
        """Plugs or pulls HOST's cable at the switch."""
        run("ip", "-n", self.switch, "link", "set", self.hosts[host]["port"], "up" if plugged else "down")

    def loss(self, host, probability):
        """Drops each packet HOST sends with PROBABILITY (0: none)."""
        ns = self.hosts[host]["ns"]
        run("ip", "netns", "exec", ns, "iptables", "-F", "OUTPUT")
        if probability > 0:
            run("ip", "netns", "exec", ns, "iptables", "-A", "OUTPUT", "-o", "eth0",
                "-m", "statistic", "--mode", "random", "--probability", str(probability), "-j", "DROP")

    def dropped(self, host):
        """How many packets loss() dropped on HOST so far."""
        out = run("ip", "netns", "exec", self.hosts[host]["ns"], "iptables", "-L", "OUTPUT", "-v", "-n", "-x")
        return sum(int(line.split()[0]) for line in out.splitlines() if " DROP " in " %s " % line)

    def close(self):
        for ns in reversed(self.created):
            _delete(ns)
        self.created = []

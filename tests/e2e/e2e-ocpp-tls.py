#!/usr/bin/python3
"""End to end: OCPP security profile 2 (issue 18): `ev-central
--ocpp-listen` over TLS with the chargers' keys (--ocpp-keys), and our
simulated chargers (`ev-station fleet --ocpp wss://… --tls-ca`) with
theirs; a wrong or missing key is refused before the WebSocket upgrade,
and the plain endpoint stays on loopback."""

import json
import os
import socket
import subprocess
import sys

import gi

gi.require_version("Soup", "3.0")
from gi.repository import Gio, GLib, Soup  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from network import SLOW, check, program, run  # noqa: E402

KEYS = {"TL00001": "tl00001-key-0123456789", "TL00002": "tl00002-key-0123456789"}
WRONG = "not-the-key-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def certtool(*args):
    subprocess.run(["certtool", *args], check=True, capture_output=True)


def make_pki(net):
    """A CA and Central's certificate for 127.0.0.1 (as docs/tls.md makes
    them), and the chargers' key file."""
    path = lambda name: os.path.join(net.dir, name)  # noqa: E731
    with open(path("ca.tmpl"), "w") as f:
        f.write('cn = "Test CA"\nca\ncert_signing_key\nexpiration_days = 30\n')
    with open(path("central.tmpl"), "w") as f:
        f.write('cn = "127.0.0.1"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\n'
                'encryption_key\nexpiration_days = 30\n')
    certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", path("ca-key.pem"))
    certtool("--generate-self-signed", "--load-privkey", path("ca-key.pem"),
             "--template", path("ca.tmpl"), "--outfile", path("ca.pem"))
    certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", path("central-key.pem"))
    certtool("--generate-certificate", "--load-privkey", path("central-key.pem"),
             "--load-ca-certificate", path("ca.pem"), "--load-ca-privkey", path("ca-key.pem"),
             "--template", path("central.tmpl"), "--outfile", path("central.pem"))
    with open(path("ocpp-keys"), "w") as f:
        f.write("# the chargers of this test\n")
        for cp, key in KEYS.items():
            f.write("%s %s\n" % (cp, key))
    return path


def start_secure_central(net, pki, port, address="127.0.0.1"):
    net.start_broker()
    return net.start_central("--tls-cert", pki("central.pem"), "--tls-key", pki("central-key.pem"),
                             "--ocpp-keys", pki("ocpp-keys"),
                             "--ocpp-listen", "%s:%d" % (address, port))


def start_fleet(net, pki, port, *auth):
    return net.spawn("fleet-%d" % len(net.procs),
                     [program("EV_STATION"), "fleet", "--ocpp", "wss://127.0.0.1:%d/ocpp" % port,
                      "--tls-ca", pki("ca.pem"), "--count", "2", "--prefix", "TL",
                      "--stats-interval", "0", *auth])


def test_fleet_with_keys(net):
    """Chargers with their keys boot over wss:// and are CPs; with a
    wrong key they are refused, and Central's log names the charger and
    its address, never the key."""
    pki = make_pki(net)
    port = free_port()
    start_secure_central(net, pki, port)

    since = net.central.mark()
    fleet = start_fleet(net, pki, port, "--ocpp-password", WRONG)
    for cp in KEYS:
        denied = net.central.wait("auth-denied", since=since, cp_id=cp)
        check(denied["reason"] == "bad-token", "%s: %s", cp, denied)
        check(WRONG not in json.dumps(denied), "the key is in the event: %s", denied)
    check(not net.central.find("cp-registered", since=since), "a charger with a wrong key registered")
    fleet.kill()
    check(WRONG not in open(net.central.log_path).read(), "the key is in Central's log")

    since = net.central.mark()
    start_fleet(net, pki, port, "--ocpp-keys", pki("ocpp-keys"))
    for cp in KEYS:
        net.central.wait("cp-registered", since=since, cp_id=cp)
        net.wait_cp_state(cp, "ACTIVE", since=since)


class Handshake:
    """One WebSocket handshake by hand (libsoup through gi): its HTTP status."""

    def __init__(self, url, ca=None, user=None, password=None):
        loop = GLib.MainLoop()
        session = Soup.Session()
        if ca:
            session.set_tls_database(Gio.TlsFileDatabase.new(ca))
        self.message = Soup.Message.new("GET", url)
        if user is not None:
            token = GLib.base64_encode(("%s:%s" % (user, password)).encode())
            self.message.get_request_headers().replace("Authorization", "Basic " + token)
        self.conn = None
        self.error = None
        done = []

        def connected(session, result, _data):
            try:
                self.conn = session.websocket_connect_finish(result)
            except GLib.Error as error:
                self.error = error
            done.append(True)

        session.websocket_connect_async(self.message, None, ["ocpp1.6"], GLib.PRIORITY_DEFAULT,
                                        None, connected, None)
        source = GLib.timeout_add(int(10000 * SLOW), lambda: done.append(False) or False)
        while not done:
            loop.get_context().iteration(True)
        if done[0]:
            GLib.source_remove(source)
        self.status = self.message.get_status()
        if self.conn is not None:
            self.conn.close(Soup.WebsocketCloseCode.NORMAL, None)


def test_handshakes_by_hand(net):
    """401 without credentials (with a Basic challenge), with another
    charger's, or with a wrong key; 101 with the right one; a plain
    client on the TLS port gets nothing."""
    pki = make_pki(net)
    port = free_port()
    start_secure_central(net, pki, port)
    url = "wss://127.0.0.1:%d/ocpp/TL00001" % port
    ca = pki("ca.pem")

    none = Handshake(url, ca)
    check(none.status == 401, "without credentials: %s", none.status)
    challenge = none.message.get_response_headers().get_one("WWW-Authenticate")
    check(challenge and challenge.startswith("Basic "), "no Basic challenge: %s", challenge)
    other = Handshake(url, ca, "TL00002", KEYS["TL00002"])
    check(other.status == 401, "another charger's credentials: %s", other.status)
    wrong = Handshake(url, ca, "TL00001", WRONG)
    check(wrong.status == 401, "a wrong key: %s", wrong.status)
    right = Handshake(url, ca, "TL00001", KEYS["TL00001"])
    check(right.status == 101 and right.conn is not None, "the right key: %s %s", right.status, right.error)
    plain = Handshake("ws://127.0.0.1:%d/ocpp/TL00001" % port, None, "TL00001", KEYS["TL00001"])
    check(plain.conn is None, "a plain WebSocket on the TLS port")
    check(net.central.running(), "Central died")


def test_listen_rules(net):
    """Any address with TLS and keys; without TLS, loopback only, keys
    or not (exit 2, with the reason)."""
    pki = make_pki(net)
    port = free_port()
    start_secure_central(net, pki, port, address="0.0.0.0")
    right = Handshake("wss://127.0.0.1:%d/ocpp/TL00001" % port, pki("ca.pem"), "TL00001", KEYS["TL00001"])
    check(right.status == 101, "TLS on 0.0.0.0: %s %s", right.status, right.error)

    proc = net.spawn("central-plain", [program("EV_CENTRAL"), "--headless", "--ocpp-keys", pki("ocpp-keys"),
                                       "--ocpp-listen", "0.0.0.0:%d" % free_port()])
    status = proc.wait_exit()
    check(status == 2, "plain ws on 0.0.0.0 with keys exited %s", status)
    check("--ocpp-listen: " in proc.stderr_tail() and "TLS (--tls-cert" in proc.stderr_tail(),
          "no reason given: %s", proc.stderr_tail())


def test_fleet_bad_credentials(net):
    """The fleet refuses, with the reason and exit 2, a key that is not
    one, a key file with a bad line (naming it, not the key), and a CA
    file it cannot read."""
    pki = make_pki(net)
    with open(pki("bad-keys"), "w") as f:
        f.write("TL00001 %s\nTL00002 short-key\n" % KEYS["TL00001"])
    cases = [(["--ocpp-password", "short-key"], "16 to 40"),
             (["--ocpp-keys", pki("bad-keys")], "line 2"),
             (["--tls-ca", pki("missing.pem")], "missing.pem")]
    for args, reason in cases:
        proc = net.spawn("fleet-bad", [program("EV_STATION"), "fleet", "--ocpp", "wss://127.0.0.1:1/ocpp",
                                       "--count", "1", *args])
        status = proc.wait_exit()
        error = proc.find("error")
        check(status == 2 and error and reason in error[0]["message"], "%s: exit %s, %s", args, status, error)
        check(KEYS["TL00001"] not in json.dumps(error), "%s: a key in the error", args)


if __name__ == "__main__":
    sys.exit(run([test_fleet_with_keys, test_handshakes_by_hand, test_listen_rules,
                  test_fleet_bad_credentials]))

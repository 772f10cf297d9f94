#!/bin/sh
# check-demo.sh SRCDIR BUILDDIR [--tls]: `./run demo --headless` for 50 s
# must show stations registering, a supply ending in a ticket at Central,
# the driver's file moving on, and every process stopping cleanly; with
# --tls, over TLS links that Central and every monitor report as such.
set -u
src=$1 build=$2 tls=${3:-}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
/usr/bin/python3 "$src/demo/demo.py" --headless --build "$build" --seconds 50 $tls >"$out" 2>&1
status=$?
if [ -n "$tls" ]; then echo "1..9"; else echo "1..8"; fi
# The demo's own output, as TAP comments.
sed 's/^/# /' "$out"
fail=0
check() {
  if grep -q "$1" "$out"; then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi
}
check "central: cp-registered (cp_id=BEN-001" "the three stations register"
check "central: ticket (cp_id=ALC-001" "the first supply ends with a ticket"
check "driver: file-request (.*cp_id=ELX-001" "the driver's file moves on to the next CP"
check "every process stopped cleanly" "every process stops cleanly"
if [ -n "$tls" ]; then
  check "central: tls (encrypted=True, fingerprint=" "Central serves TLS and gives its fingerprint"
  for cp in ALC-001 ELX-001 BEN-001; do
    if ! grep -q "monitor-$cp: central (link=.*, tls=True)" "$out"; then
      echo "not ok - the monitor of $cp reports a TLS link"; fail=1
      break
    fi
  done
  [ "$fail" -ne 0 ] || echo "ok - every monitor reports a TLS link"
else
  check "central: tls (encrypted=False" "Central says its links are not encrypted"
fi
# For a person: figures rounded, no raw objects.
if grep -qE "[0-9]\.[0-9]{5,}|\{'" "$out"; then
  echo "not ok - figures are rounded and no raw object is printed"; fail=1
else
  echo "ok - figures are rounded and no raw object is printed"
fi
# The stations were up before the driver's first request: it was not refused.
check "driver: file-result (.*cp_id=ALC-001.*outcome=ticket" "the first request, made once the stations are up, ends in a ticket"
if [ "$status" -eq 0 ]; then echo "ok - demo.py exits 0"; else echo "not ok - demo.py exited with $status"; fail=1; fi
if [ "$fail" -ne 0 ]; then
  # The logs of every process, to see which one stalled.
  dir=$(sed -n 's/^demo: logs and state in //p' "$out")
  for log in "$dir"/*.log; do
    echo "# ---- $log"
    grep -v '"event":"\(progress\|health\|status\)"' "$log" | tail -n 25 | sed 's/^/# /'
  done
fi
exit $fail

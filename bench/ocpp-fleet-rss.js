// ocpp-fleet-rss.js FLEET-PROGRAM N: what N simulated OCPP chargers cost in
// memory. An ocpp-rpc CSMS (another process: this one) accepts every boot
// (heartbeat every 300 s); once all N are accepted and have sent their
// StatusNotification, prints the fleet's stats line and quits it.
// NODE_PATH must reach ocpp-rpc (build/tests/ocpp-npm/node_modules after
// `meson test -C build ocpp-fleet-csms`).
'use strict';

const { spawn } = require('child_process');
const readline = require('readline');
const { RPCServer } = require('ocpp-rpc');

async function main () {
  const [program, count] = process.argv.slice(2);
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: false });
  let statuses = 0;

  server.on('client', (client) => {
    client.handle('BootNotification', () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }));
    client.handle('StatusNotification', () => { statuses++; return {}; });
    client.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
  });
  const http = await server.listen(0, '127.0.0.1');
  const started = Date.now();
  const fleet = spawn(program, ['fleet', '--ocpp', `ws://127.0.0.1:${http.address().port}/ocpp`, '--count', count,
                                '--stats-interval', '1000'],
                      { stdio: ['pipe', 'pipe', 'inherit'] });
  readline.createInterface({ input: fleet.stdout }).on('line', (line) => {
    const e = JSON.parse(line);
    if (e.event === 'stats' && e.accepted === Number(count) && statuses >= Number(count)) {
      console.log(JSON.stringify({ ...e, wall_s: (Date.now() - started) / 1000,
                                   csms_rss_kib: Math.round(process.memoryUsage().rss / 1024) }));
      fleet.stdin.end('quit\n');
    }
  });
  fleet.on('exit', async () => { await server.close({ force: true }); process.exit(0); });
}

main();

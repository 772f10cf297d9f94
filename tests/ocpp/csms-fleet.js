// csms-fleet.js: an ocpp-rpc CSMS in strict mode against our simulated
// OCPP 1.6-J chargers (issue 18). Usage: node csms-fleet.js EV-STATION
// Exits 0 when every check holds, 1 with the reason otherwise.
'use strict';

const { spawn } = require('child_process');
const readline = require('readline');
const assert = require('assert/strict');
const { Csms, run } = require('./csms.js');

const COUNT = 3;
const PREFIX = 'SIM';
const DEADLINE_MS = 60000;

async function main () {
  const program = process.argv[2];
  const csms = new Csms();
  const url = await csms.listen();
  const charger = (id) => csms.charger(id);
  const until = (what, predicate, ms) => csms.until(what, predicate, ms);
  const chargers = csms.chargers;
  const failures = csms.failures;
  const fleet = spawn(program, ['fleet', '--ocpp', url, '--count', String(COUNT), '--prefix', PREFIX,
                                '--power-kw', '1000', '--meter-interval', '1', '--stats-interval', '0'],
                      { stdio: ['pipe', 'pipe', 'inherit'] });
  const events = [];
  readline.createInterface({ input: fleet.stdout }).on('line', (line) => {
    if (process.env.CSMS_DEBUG) console.error(line);
    events.push(JSON.parse(line));
    csms.poke();
  });
  const exited = new Promise((resolve) => fleet.on('exit', (code) => resolve(code)));
  const ids = [...Array(COUNT).keys()].map((i) => `${PREFIX}${String(i + 1).padStart(5, '0')}`);
  const all = (f) => () => ids.every((id) => chargers.has(id) && f(charger(id)));

  try {
    await until('ready', () => events.some((e) => e.event === 'ready'));
    await until('boot after Pending, Available and a heartbeat',
                all((cp) => cp.boots === 2 && cp.statuses[0] === 'Available' && cp.heartbeats >= 1));

    for (const id of ids)
      assert.deepEqual(await charger(id).client.call('RemoteStartTransaction', { idTag: `DRV-${id}` }),
                       { status: 'Accepted' });
    await until('StartTransaction and two MeterValues',
                all((cp) => cp.start !== null && cp.meters.length >= 2 && cp.statuses.includes('Charging')));
    for (const id of ids) {
      const cp = charger(id);
      assert.equal(cp.start.idTag, `DRV-${id}`);
      assert.deepEqual(cp.statuses.slice(0, 3), ['Available', 'Preparing', 'Charging']);
      assert.deepEqual(await cp.client.call('RemoteStopTransaction', { transactionId: cp.start.transactionId }),
                       { status: 'Accepted' });
    }
    await until('StopTransaction', all((cp) => cp.stop !== null));

    // Calls that ocpp-rpc's strict mode would never send: our charger must
    // answer them with the right CALLERROR.
    const first = charger(ids[0]);
    first.client.sendRaw(JSON.stringify([2, 'bad-1', 'RemoteStartTransaction', {}]));
    first.client.sendRaw(JSON.stringify([2, 'bad-2', 'ChangeAvailability', { connectorId: 0, type: 'Sideways' }]));
    first.client.sendRaw(JSON.stringify([2, 'bad-3', 'NoSuchAction', {}]));
    const answer = (id) => first.raw.find((m) => m[0] === 4 && m[1] === id);
    await until('three CALLERRORs', () => answer('bad-1') && answer('bad-2') && answer('bad-3'));
    assert.equal(answer('bad-1')[2], 'OccurenceConstraintViolation');
    assert.equal(answer('bad-2')[2], 'PropertyConstraintViolation');
    assert.equal(answer('bad-3')[2], 'NotImplemented');

    let energy = 0;
    for (const id of ids) {
      const cp = charger(id);
      assert.equal(cp.stop.transactionId, cp.start.transactionId);
      assert.equal(cp.stop.idTag, cp.start.idTag);
      assert.equal(cp.stop.reason, 'Remote');
      const used = cp.stop.meterStop - cp.start.meterStart;
      assert.ok(used > 0, `${id} metered nothing`);
      let last = cp.start.meterStart;
      for (const v of cp.meters) {
        assert.ok(v >= last && v <= cp.stop.meterStop, `${id}: meter ${v} out of order`);
        last = v;
      }
      assert.ok(cp.statuses.at(-1) === 'Available', `${id} not Available after the stop`);
      energy += used;
    }

    fleet.stdin.write('stats\n');
    await until('stats', () => events.some((e) => e.event === 'stats'));
    const stats = events.find((e) => e.event === 'stats');
    assert.equal(stats.energy_wh, energy, 'the fleet metered what the CSMS billed');
    assert.equal(stats.transactions, COUNT);
    assert.equal(stats.accepted, COUNT);
    assert.equal(stats.errors, 3, 'only the three bad calls count as errors');
    assert.equal(stats.call_errors, 0);
    assert.equal(stats.boot_ms.n, COUNT);
    assert.ok(stats.call_ms.p99 >= stats.call_ms.p50);
    assert.ok(stats.rss_kib > 0);

    fleet.stdin.end('quit\n');
    assert.equal(await Promise.race([exited, until('exit', () => false, 10000)]), 0);
    assert.deepEqual(events.slice(-2).map((e) => e.event), ['summary', 'stopped']);
    assert.deepEqual(failures, [], 'ocpp-rpc found every message valid');
    console.log(`ok: ${COUNT} chargers, ${energy} Wh, call p50 ${stats.call_ms.p50} ms`);
  } finally {
    fleet.kill();
    await csms.close();
  }
}

run(main, DEADLINE_MS);

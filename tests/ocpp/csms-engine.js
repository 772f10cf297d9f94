// csms-engine.js: an ocpp-rpc CSMS in strict mode against one OCPP 1.6-J
// charger run by `ev-station engine --ocpp URL --headless` (issue 18).
// Usage: node csms-engine.js EV-STATION
// Exits 0 when every check holds, 1 with the reason otherwise.
'use strict';

const { spawn } = require('child_process');
const readline = require('readline');
const assert = require('assert/strict');
const { Csms, run } = require('./csms.js');

const ID = 'ENG-1';
const DEADLINE_MS = 90000;

async function main () {
  const program = process.argv[2];
  const csms = new Csms();
  const url = await csms.listen();
  const cp = () => csms.charger(ID);
  const engine = spawn(program, ['engine', '--ocpp', `${url}/${ID}`, '--headless',
                                 '--power-kw', '1000', '--meter-interval', '1'],
                       { stdio: ['pipe', 'pipe', 'inherit'] });
  const events = [];
  readline.createInterface({ input: engine.stdout }).on('line', (line) => {
    if (process.env.CSMS_DEBUG) console.error(line);
    events.push(JSON.parse(line));
    csms.poke();
  });
  const exited = new Promise((resolve) => engine.on('exit', (code) => resolve(code)));
  const seen = (name, f = () => true) => events.some((e) => e.event === name && f(e));
  const last = (name) => events.filter((e) => e.event === name).at(-1);
  const lastStatus = () => cp().statuses.at(-1);
  const command = (line) => engine.stdin.write(`${line}\n`);

  // One transaction started by the CSMS; ended by @stop.
  async function transaction (tag, stop, reason) {
    const starts = cp().starts.length;
    assert.deepEqual(await cp().client.call('RemoteStartTransaction', { idTag: tag }), { status: 'Accepted' });
    await csms.until(`${tag}: StartTransaction, Charging and two MeterValues`,
                     () => cp().starts.length === starts + 1 && lastStatus() === 'Charging' &&
                           cp().meters.filter((v) => v > cp().start.meterStart).length >= 2);
    await csms.until(`${tag}: transaction-started`,
                     () => seen('transaction-started', (e) => e.transaction_id === cp().start.transactionId));
    const started = last('transaction-started');
    assert.equal(started.id_tag, tag);
    assert.equal(started.meter_start, cp().start.meterStart);
    const stops = cp().stops.length;
    await stop();
    await csms.until(`${tag}: StopTransaction`, () => cp().stops.length === stops + 1);
    await csms.until(`${tag}: transaction-ended`,
                     () => seen('transaction-ended', (e) => e.transaction_id === cp().start.transactionId));
    const billed = cp().stop.meterStop - cp().start.meterStart;
    const ended = last('transaction-ended');
    assert.equal(cp().stop.transactionId, cp().start.transactionId);
    assert.equal(cp().stop.idTag, tag);
    assert.equal(cp().stop.reason, reason);
    assert.ok(billed > 0, `${tag}: nothing metered`);
    assert.equal(ended.energy_wh, billed, `${tag}: the CSMS bills what the charger metered`);
    assert.equal(ended.meter_stop, cp().stop.meterStop);
    for (const v of cp().meters.filter((m) => m >= cp().start.meterStart))
      assert.ok(v <= cp().stop.meterStop, `${tag}: meter ${v} past meterStop`);
    return billed;
  }

  try {
    await csms.until('ready', () => seen('ready'));
    assert.equal(last('ready').cp_id, ID);
    await csms.until('boot Pending, then Accepted',
                     () => seen('boot', (e) => e.status === 'Pending') && seen('boot', (e) => e.status === 'Accepted'));
    await csms.until('Available', () => cp().boots === 2 && lastStatus() === 'Available' &&
                                        seen('status', (e) => e.status === 'Available'));
    assert.ok(seen('link', (e) => e.link === 'accepted'));

    // Plugged in, a remote start, a remote stop: Finishing until unplugged.
    command('plug');
    await csms.until('Preparing', () => lastStatus() === 'Preparing');
    let energy = await transaction('DRV-1', async () => {
      assert.deepEqual(await cp().client.call('RemoteStopTransaction', { transactionId: cp().start.transactionId }),
                       { status: 'Accepted' });
    }, 'Remote');
    await csms.until('Finishing', () => lastStatus() === 'Finishing');
    command('unplug');
    await csms.until('Available after unplugging', () => lastStatus() === 'Available');

    // Plugged in again; unplugging ends the transaction.
    command('plug');
    await csms.until('Preparing again', () => lastStatus() === 'Preparing');
    energy += await transaction('DRV-2', async () => command('unplug'), 'EVDisconnected');
    await csms.until('Available after EVDisconnected', () => lastStatus() === 'Available');

    // A fault: Faulted with an error code, a remote start refused, repaired.
    command('ko');
    await csms.until('Faulted', () => lastStatus() === 'Faulted');
    assert.equal(cp().errorCodes.at(-1), 'OtherError');
    assert.deepEqual(await cp().client.call('RemoteStartTransaction', { idTag: 'DRV-3' }), { status: 'Rejected' });
    command('ok');
    await csms.until('Available after the repair', () => lastStatus() === 'Available');

    // Bad input: a command it does not know, a call it must refuse.
    command('fly');
    await csms.until('error event', () => seen('error'));
    cp().client.sendRaw(JSON.stringify([2, 'bad-1', 'RemoteStartTransaction', {}]));
    const answer = () => cp().raw.find((m) => m[0] === 4 && m[1] === 'bad-1');
    await csms.until('a CALLERROR', answer);
    assert.equal(answer()[2], 'OccurenceConstraintViolation');

    command('state');
    await csms.until('state', () => seen('state'));
    assert.equal(last('state').status, 'Available');
    assert.equal(last('state').boot, 'Accepted');

    const metered = events.filter((e) => e.event === 'transaction-ended').reduce((a, e) => a + e.energy_wh, 0);
    assert.equal(metered, energy, 'every Wh metered is billed once');
    assert.equal(cp().stops.length, 2);

    engine.stdin.end('quit\n');
    assert.equal(await Promise.race([exited, csms.until('exit', () => false, 10000)]), 0);
    assert.deepEqual(csms.failures, [], 'ocpp-rpc found every message valid');
    console.log(`ok: ${ID}, 2 transactions, ${energy} Wh`);
  } finally {
    engine.kill();
    await csms.close();
  }
}

run(main, DEADLINE_MS);

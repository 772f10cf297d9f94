// csms.js: the ocpp-rpc CSMS in strict mode that the OCPP e2e scripts
// play (issue 18): it records what each charger sends, answers as a CSMS
// would, and lets a script wait for what it expects, bounded.
'use strict';

const { RPCServer } = require('ocpp-rpc');

class Csms {
  constructor () {
    this.failures = [];   // strict validation failures and bad messages
    this.chargers = new Map();
    this.waiters = [];
    this.nextTransaction = 1000;
  }

  charger (id) {
    if (!this.chargers.has(id))
      this.chargers.set(id, { boots: 0, statuses: [], errorCodes: [], heartbeats: 0, meters: [],
                              start: null, stop: null, starts: [], stops: [], client: null, raw: [] });
    return this.chargers.get(id);
  }

  // Resolves when predicate() holds, checked after every message; bounded.
  until (what, predicate, ms = 20000) {
    if (predicate())
      return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  poke () {
    for (const w of [...this.waiters]) {
      if (w.predicate()) {
        clearTimeout(w.timer);
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  // Listens on a free loopback port; resolves to the base URL.
  async listen () {
    this.server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
    this.server.on('client', (client) => this.serve(client));
    const http = await this.server.listen(0, '127.0.0.1');
    return `ws://127.0.0.1:${http.address().port}/ocpp`;
  }

  close () {
    return this.server.close({ force: true });
  }

  serve (client) {
    const cp = this.charger(client.identity);
    cp.client = client;
    client.on('strictValidationFailure', (e) => {
      this.failures.push(`${client.identity}: ${e.method} ${e.outbound ? 'out' : 'in'}: ${e.error.message}`);
    });
    client.on('badMessage', (e) => {
      // Our answers to raw calls answer nothing ocpp-rpc sent.
      if (!/^\[4,"bad-/.test(e.buffer.toString()))
        this.failures.push(`${client.identity}: bad message ${e.buffer}`);
    });
    client.on('message', ({ message, outbound }) => {
      if (!outbound)
        cp.raw.push(JSON.parse(message.toString()));
      setImmediate(() => this.poke());
    });
    client.handle('BootNotification', () => {
      // Pending first: the charger must boot again after the interval.
      cp.boots++;
      return { status: cp.boots === 1 ? 'Pending' : 'Accepted',
               currentTime: new Date().toISOString(), interval: 1 };
    });
    client.handle('Heartbeat', () => {
      cp.heartbeats++;
      return { currentTime: new Date().toISOString() };
    });
    client.handle('StatusNotification', ({ params }) => {
      cp.statuses.push(params.status);
      cp.errorCodes.push(params.errorCode);
      return {};
    });
    client.handle('StartTransaction', ({ params }) => {
      cp.start = { ...params, transactionId: this.nextTransaction++ };
      cp.starts.push(cp.start);
      return { transactionId: cp.start.transactionId, idTagInfo: { status: 'Accepted' } };
    });
    client.handle('MeterValues', ({ params }) => {
      if (params.transactionId !== cp.start.transactionId)
        this.failures.push(`${client.identity}: MeterValues of transaction ${params.transactionId}`);
      for (const mv of params.meterValue)
        for (const sv of mv.sampledValue)
          if (sv.measurand === 'Energy.Active.Import.Register')
            cp.meters.push(Number(sv.value));
      return {};
    });
    client.handle('StopTransaction', ({ params }) => {
      cp.stop = params;
      cp.stops.push(params);
      return { idTagInfo: { status: 'Accepted' } };
    });
  }
}

// Ends the process after ms whatever happens, and runs main().
function run (main, ms) {
  const deadline = setTimeout(() => { console.error('test deadline passed'); process.exit(1); }, ms);
  main().then(() => { clearTimeout(deadline); process.exit(0); },
              (e) => { console.error(e); process.exit(1); });
}

module.exports = { Csms, run };

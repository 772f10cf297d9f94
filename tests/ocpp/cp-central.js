// cp-central.js: an ocpp-rpc client in strict mode as an OCPP 1.6-J
// charger, driven line by line by tests/e2e/e2e-ocpp-rpc.py (issue 18).
// Usage: node cp-central.js URL CP_ID. Commands on stdin, one a line:
//   connect            open a WebSocket to URL/CP_ID (a new one each time)
//   beat               send a Heartbeat every second from now on
//   call ACTION JSON   send a CALL; prints {"event":"result",...} or "call-error"
//   drop               close the WebSocket (code 1000) without StopTransaction
//   quit               close it and exit, `stopped` last (as our programs do)
// Events on stdout, one JSON object a line: connected, closed, call (a CALL
// of Central's, answered Accepted), result, call-error, strict-failure.
'use strict';

const readline = require('readline');
const { RPCClient } = require('ocpp-rpc');

const [url, identity] = process.argv.slice(2);
let client = null;
let beating = null;
let quitting = null;

function say (event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
}

function answerAccepted (method) {
  return ({ params }) => {
    say('call', { action: method, params });
    return { status: 'Accepted' };
  };
}

async function connect () {
  client = new RPCClient({ endpoint: url, identity, protocols: ['ocpp1.6'],
                           strictMode: true, reconnect: false });
  client.on('strictValidationFailure', (e) =>
    say('strict-failure', { method: e.method, outbound: e.outbound, message: e.error.message }));
  client.on('badMessage', (e) => say('strict-failure', { message: String(e.error) }));
  client.on('close', () => say('closed'));
  for (const method of ['RemoteStartTransaction', 'RemoteStopTransaction', 'ChangeAvailability'])
    client.handle(method, answerAccepted(method));
  await client.connect();
  say('connected');
}

async function command (line) {
  const [verb, action, ...rest] = line.trim().split(' ');

  if (verb === 'connect')
    await connect();
  else if (verb === 'beat' && beating === null)
    beating = setInterval(() => client.call('Heartbeat', {}).catch(() => {}), 1000);
  else if (verb === 'drop')
    await client.close({ code: 1000, awaitPending: false });
  else if (verb === 'quit') {
    quitting = quitting || (async () => {
      clearInterval(beating);
      if (client !== null)
        await client.close({ code: 1000, awaitPending: false });
      say('stopped');
      process.exit(0);
    })();
    await quitting;
  } else if (verb === 'call') {
    try {
      const payload = await client.call(action, JSON.parse(rest.join(' ')));
      say('result', { action, payload });
    } catch (e) {
      say('call-error', { action, code: e.rpcErrorCode || null, message: e.message });
    }
  } else
    say('bad-command', { line });
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  command(line).catch((e) => say('call-error', { message: e.message }));
});
// The end of input quits too (once a `quit` under way has finished).
process.stdin.on('end', () => command('quit'));

// A soak of the Responses WebSocket's lanes on a running server, through the openai npm package's
// ResponsesWebSocketSession: LANES conversations at once on one socket, TURNS sampled turns each (temperature 0.7),
// every turn continuing its lane's last unstored response by previous_response_id. With STEER (0-1), that share of the
// turns is steered at its first text: a response.steer sent with ResponsesWS.send, and the turn goes on from the
// successor (or, when the steer came too late, from the response). Prints one JSON line: turns done, turns failed (each
// failure's error on stderr), steers sent, accepted, accepted after their response's end (the server sends every
// acceptance before that end: this counts the exceptions) and ended steered, cached tokens, seconds. Not a test: a
// measurement (docs/benchmarks.md).
// Usage (after npm ci here): node soak-lanes.mjs http://127.0.0.1:8000 MODEL LANES TURNS [STEER]
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { ResponsesWebSocketSession } from 'openai/lib/responses/responses-websocket-session';

const [baseUrl, model, lanesArg, turnsArg, steerArg] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
const ws = new ResponsesWS(client);
ws.on('error', () => {}); // error events reach the lanes
await new Promise((resolve, reject) => { ws.socket.once('open', resolve); ws.socket.once('error', reject); });
const session = new ResponsesWebSocketSession(ws, { maxLanes: 64, maxBufferedEvents: 100000, maxBufferedBytes: 1 << 26 });
const [lanes, turns, steerShare] = [Number(lanesArg), Number(turnsArg), Number(steerArg ?? 0)];
const steers = { sent: 0, accepted: 0, acceptedAfterEnd: 0, steered: 0 };

// One turn's events to its end: the response's, and when a steer of it was accepted, its successor's. Returns the
// response the lane goes on from.
async function turnAsync(lane, body, steer) {
  lane.create(body);
  let id;
  let sent = false;
  let answered = false;
  let accepted = false;
  const ends = [];
  for (;;) {
    const event = await lane.receive();
    if (event.type === 'error') throw new Error(JSON.stringify(event.error));
    if (event.type === 'response.created' && ends.length === 0) id = event.response.id;
    if (steer && !sent && event.type === 'response.output_text.delta') {
      ws.send({ type: 'response.steer', previous_response_id: id, input: 'Say it another way.' });
      sent = true;
      steers.sent++;
    }
    if (event.type === 'response.steer.accepted') {
      answered = accepted = true;
      steers.accepted++;
      if (ends.length > 0) steers.acceptedAfterEnd++;
    }
    if (event.type === 'response.steer.failed') {
      answered = true;
      if (event.error.code !== 'response_already_completed') throw new Error(JSON.stringify(event.error));
    }
    if (['response.completed', 'response.incomplete', 'response.failed'].includes(event.type)) {
      if (event.type === 'response.failed') throw new Error(JSON.stringify(event.response.error));
      if (event.response.incomplete_details?.reason === 'steered') steers.steered++;
      ends.push(event.response);
    }
    if (ends.length > 0 && (!sent || answered) && ends.length === (accepted ? 2 : 1)) return ends.at(-1);
  }
}

const started = Date.now();
let done = 0;
let failed = 0;
let cached = 0;
await Promise.all([...Array(lanes).keys()].map(async (i) => {
  const lane = session.lane(`lane-${i}`);
  let previous;
  for (let t = 0; t < turns; t++) {
    const body = {
      model, input: `Turn ${t} of conversation ${i}. Go on.`, instructions: 'You are a reporter.', store: false,
      max_output_tokens: 16, temperature: 0.7, previous_response_id: previous,
    };
    try {
      const response = await turnAsync(lane, body, Math.random() < steerShare);
      previous = response.id;
      done++;
      cached += response.usage?.input_tokens_details?.cached_tokens ?? 0;
    } catch (error) {
      failed++;
      previous = undefined;
      console.error(`lane ${i} turn ${t}: ${error.message} ${JSON.stringify(error.error ?? null)}`);
    }
  }
}));
session.close();
ws.close();
console.log(JSON.stringify({ lanes, turns, done, failed, steers, cachedTokens: cached, seconds: (Date.now() - started) / 1000 }));

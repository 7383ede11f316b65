// A soak of the Responses WebSocket's lanes on a running server, through the openai npm package's
// ResponsesWebSocketSession: LANES conversations at once on one socket, TURNS sampled turns each (temperature 0.7),
// every turn continuing its lane's last unstored response by previous_response_id. Prints one JSON line: turns done,
// turns failed (each failure's error on stderr), cached tokens, seconds. Not a test: a measurement (docs/benchmarks.md).
// Usage (after npm ci here): node soak-lanes.mjs http://127.0.0.1:8000 MODEL LANES TURNS
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { ResponsesWebSocketSession } from 'openai/lib/responses/responses-websocket-session';

const [baseUrl, model, lanesArg, turnsArg] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
const ws = new ResponsesWS(client);
ws.on('error', () => {}); // error events reach the lanes
await new Promise((resolve, reject) => { ws.socket.once('open', resolve); ws.socket.once('error', reject); });
const session = new ResponsesWebSocketSession(ws, { maxLanes: 64, maxBufferedEvents: 100000, maxBufferedBytes: 1 << 26 });
const [lanes, turns] = [Number(lanesArg), Number(turnsArg)];
const started = Date.now();
let done = 0;
let failed = 0;
let cached = 0;
await Promise.all([...Array(lanes).keys()].map(async (i) => {
  const lane = session.lane(`lane-${i}`);
  let previous;
  for (let t = 0; t < turns; t++) {
    lane.create({
      model, input: `Turn ${t} of conversation ${i}. Go on.`, instructions: 'You are a reporter.', store: false,
      max_output_tokens: 16, temperature: 0.7, previous_response_id: previous,
    });
    try {
      const response = await lane.finalResponse();
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
console.log(JSON.stringify({ lanes, turns, done, failed, cachedTokens: cached, seconds: (Date.now() - started) / 1000 }));

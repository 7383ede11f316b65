// Drives MambaServe's Responses WebSocket lanes (OpenAI's stream_id multiplexing) with the official openai npm
// package's ResponsesWS and its ResponsesWebSocketSession helper, unchanged: two lanes at once, a third lane forking
// the first lane's unstored response while the first lane continues it, two responses queued on one lane, and an
// unknown previous_response_id answered on its own lane, and a response.steer (ResponsesWS.send's typed event) of a
// running response: accepted on its lane, whose next finalResponse() is the steered response and the one after its
// successor. The helper routes events by their stream_id, so a lane's
// finalResponse() sees only its own responses.
// Prints one JSON line of what it saw for the .NET test to check.
// Usage: node responses-ws-lanes.mjs http://127.0.0.1:PORT MODEL
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { ResponsesWebSocketSession } from 'openai/lib/responses/responses-websocket-session';

const [baseUrl, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
const ws = new ResponsesWS(client);
ws.on('error', () => {}); // error events reach the lanes; without a listener the emitter would reject unhandled
await new Promise((resolve, reject) => { ws.socket.once('open', resolve); ws.socket.once('error', reject); });
const session = new ResponsesWebSocketSession(ws, { maxLanes: 8, maxBufferedEvents: 10000, maxBufferedBytes: 1 << 24 });
const [main, side, fork] = [session.lane('main'), session.lane('side'), session.lane('fork')];
const turn = { model, instructions: 'You are a reporter.', store: false, max_output_tokens: 6, temperature: 0 };
const seen = (r) => ({ id: r.id, text: r.output_text, previous: r.previous_response_id ?? null, cached: r.usage?.input_tokens_details?.cached_tokens ?? 0 });

// Two lanes at once.
main.create({ ...turn, input: 'Tell me about the jury.' });
side.create({ ...turn, input: 'Tell me about the weather.' });
const [first, weather] = await Promise.all([main.finalResponse(), side.finalResponse()]);

// A new lane forks the first lane's response while that lane goes on from it.
fork.create({ ...turn, input: 'And then?', previous_response_id: first.id });
main.create({ ...turn, input: 'And then?', previous_response_id: first.id });
const [forked, continued] = await Promise.all([fork.finalResponse(), main.finalResponse()]);

// Two on one lane: queued, answered in the order sent.
side.create({ ...turn, input: 'One.' });
side.create({ ...turn, input: 'Two.' });
const one = await side.finalResponse();
const two = await side.finalResponse();

// An unknown previous response, answered on its lane.
let laneError = null;
fork.create({ ...turn, input: 'Hi', previous_response_id: 'resp_000000000000000000000000000000000000000000000000' });
try {
  await fork.finalResponse();
} catch (error) {
  const event = error.error ?? {};
  laneError = { status: event.status ?? null, code: event.error?.code ?? null, streamId: event.stream_id ?? null };
}

// A steer of the lane's running response: the lane receives the acceptance, the response's end, then its successor.
// The prompt's greedy answer runs to some 300 tokens by itself, so the steer meets it running.
main.create({ ...turn, max_output_tokens: 400, input: 'Tell me everything about the city, street by street, and do not stop.' });
let created;
while ((created = await main.receive()).type !== 'response.created') {
  // a lane's events come in order: the first is the response's created
}
ws.send({ type: 'response.steer', previous_response_id: created.response.id, input: 'What did the court say?' });
let accepted = null;
let refused = null;
const acceptance = (event, afterEnd) => ({ id: event.steer.id, previous: event.steer.previous_response_id, streamId: event.stream_id ?? null, afterEnd });
const steeredEnd = await (async () => {
  for (;;) {
    const event = await main.receive();
    if (event.type === 'response.steer.accepted') accepted = acceptance(event, false);
    if (event.type === 'response.steer.failed') refused = event.error?.code ?? 'unknown';
    if (event.type === 'response.completed' || event.type === 'response.incomplete') return event.response;
  }
})();
// What comes next on the lane: the successor's events (an acceptance sent after the end would come first).
let successor = null;
if (refused === null) {
  for (let event; (event = await main.receive()).type !== 'response.created';) {
    if (event.type === 'response.steer.accepted') accepted = acceptance(event, true);
  }
  successor = await main.finalResponse();
}

session.close();
ws.close();
console.log(JSON.stringify({
  first: seen(first), weather: seen(weather), forked: seen(forked), continued: seen(continued),
  one: seen(one), two: seen(two), laneError,
  steer: { created: created.response.id, accepted, refused, status: steeredEnd.status, reason: steeredEnd.incomplete_details?.reason ?? null, successor: successor && seen(successor) },
}));

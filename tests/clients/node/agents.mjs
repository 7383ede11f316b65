// Drives MambaServe with the OpenAI Agents SDK (@openai/agents), unchanged: an agent with one function tool, its
// first turn forced to call it (toolChoice 'required'), the SDK running the tool and sending its result back with the
// tool choice reset (so the server's Hermes parser reads the next answer), until the agent answers in text. Once over
// the Responses API (the SDK's default), once streamed over Chat Completions. Tracing is off: it would export to
// OpenAI. A second Responses run continues the first by previous_response_id (the SDK's server-managed
// conversation). Prints one JSON line of what it saw for the .NET test to check.
// Usage: node agents.mjs http://127.0.0.1:PORT MODEL
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool } from '@openai/agents';
import OpenAI from 'openai';
import { z } from 'zod';

const [baseUrl, model] = process.argv.slice(2);
const bodies = [];
const replies = [];
setDefaultOpenAIClient(new OpenAI({
  baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0,
  fetch: async (url, init) => {
    const body = JSON.parse(init.body);
    bodies.push({ path: new URL(url).pathname, body });
    const reply = await fetch(url, init);
    replies.push(body.stream ? null : await reply.clone().json());
    return reply;
  },
}));
setTracingDisabled(true);

const cities = [];
const getWeather = tool({
  name: 'get_weather', description: 'The weather in a city',
  parameters: z.object({ city: z.string().max(24), unit: z.enum(['celsius', 'fahrenheit']) }),
  execute: async ({ city, unit }) => { cities.push({ city, unit }); return `18 degrees ${unit} and sunny in ${city}`; },
});
const agent = new Agent({
  name: 'Reporter', instructions: 'You are a reporter.', model, tools: [getWeather],
  modelSettings: { toolChoice: 'required', temperature: 0, maxTokens: 60 },
});

async function turn(api, stream, question = 'What is the weather in Paris?', options = {}) {
  setOpenAIAPI(api);
  const from = bodies.length;
  const result = await run(agent, question, { stream, maxTurns: 4, ...options });
  let deltas = '';
  if (stream) {
    for await (const text of result.toTextStream()) deltas += text;
    await result.completed;
  }

  const sent = bodies.slice(from);
  return {
    lastResponseId: result.lastResponseId ?? null,
    previous: sent[0].body.previous_response_id ?? null,
    firstInput: api === 'responses' ? sent[0].body.input : null,
    cached: replies.slice(from).map((reply) => reply?.usage?.input_tokens_details?.cached_tokens ?? null),
    finalOutput: result.finalOutput,
    deltas: stream ? deltas : null,
    paths: sent.map((request) => request.path),
    toolChoices: sent.map((request) => request.body.tool_choice ?? null),
    // What the second request carried back: the call and its result, as items (Responses) or messages (chat).
    resent: api === 'responses'
      ? sent[1].body.input.map((item) => item.type ?? item.role)
      : sent[1].body.messages.map((message) => message.role),
    result: api === 'responses'
      ? sent[1].body.input.find((item) => item.type === 'function_call_output')?.output ?? null
      : sent[1].body.messages.find((message) => message.role === 'tool')?.content ?? null,
  };
}

const responses = await turn('responses', false);
// The SDK's server-managed conversation: the next run continues the last response by id, sending only the new turn.
const continued = await turn('responses', false, 'And in Rome?', { previousResponseId: responses.lastResponseId });
const chat = await turn('chat_completions', true);
console.log(JSON.stringify({ responses, continued, chat, cities }));

// Drives MambaServe with LangChain's ChatOpenAI (@langchain/openai), unchanged, once over Chat Completions and once
// over the Responses API (useResponsesApi): invoke and stream the same prompt; a tool forced by name (bindTools with
// tool_choice) whose zod schema holds the arguments, run, and its result answered with the tool offered (auto, the
// Hermes parser on); withStructuredOutput's json_schema read back as an object. Prints one JSON line of what it saw
// for the .NET test to check.
// Usage: node langchain.mjs http://127.0.0.1:PORT MODEL
import { ChatOpenAI } from '@langchain/openai';
import { tool } from '@langchain/core/tools';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { z } from 'zod';

const [baseUrl, model] = process.argv.slice(2);
const bodies = [];
const configuration = { baseURL: `${baseUrl}/v1`, fetch: async (url, init) => { bodies.push({ path: new URL(url).pathname, body: JSON.parse(init.body) }); return fetch(url, init); } };
const out = {};
for (const useResponsesApi of [false, true]) {
  const llm = new ChatOpenAI({ model, apiKey: 'unused', configuration, temperature: 0, maxTokens: 60, maxRetries: 0, useResponsesApi });
  const key = useResponsesApi ? 'responses' : 'chat';
  const said = await llm.invoke('Tell me about the jury.');
  let streamed = '';
  for await (const chunk of await llm.stream('Tell me about the jury.')) streamed += chunk.text;
  const weather = tool(async ({ city, unit }) => `18 degrees ${unit} in ${city}`, {
    name: 'get_weather', description: 'The weather in a city', schema: z.object({ city: z.string().max(24), unit: z.enum(['celsius', 'fahrenheit']) }),
  });
  const withTools = llm.bindTools([weather], { tool_choice: 'get_weather' });
  const question = new HumanMessage('What is the weather in Paris?');
  const called = await withTools.invoke([question]);
  const call = called.tool_calls[0];
  const result = await weather.invoke(call);
  const answered = await llm.bindTools([weather]).invoke([question, called, result]);
  const typed = await llm.withStructuredOutput(z.object({ sunny: z.boolean(), degrees: z.number().int() }), { method: 'jsonSchema' }).invoke('The weather today, as JSON.');
  out[key] = { said: said.text, streamed, call, answered: answered.text, answeredCalls: answered.tool_calls?.length ?? 0, typed, usage: said.usage_metadata };
}
out.paths = bodies.map((b) => b.path);
console.log(JSON.stringify(out));

# Drives MambaServe with the official Python openai package, unchanged: a completion; a chat answer, streamed with
# include_usage and not; beta.chat.completions.parse with a pydantic model as the response format, and with a pydantic
# function tool forced by name; a Responses turn continued by previous_response_id through responses.stream;
# responses.parse with a pydantic text_format; a bad request as the package's BadRequestError.
# Prints one JSON line of what it saw for the .NET test (PythonClientTests) to check.
# Usage: python3 openai_client.py http://127.0.0.1:PORT MODEL
import json
import sys
from typing import Literal

import openai
from pydantic import BaseModel, Field

base_url, model = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)
question = [{"role": "user", "content": "Tell me about the jury."}]
seen = {"version": openai.__version__}

completion = client.completions.create(model=model, prompt="The jury said", max_tokens=8, temperature=0)
seen["completion"] = {"text": completion.choices[0].text, "usage": completion.usage.model_dump()}

chat = client.chat.completions.create(model=model, messages=question, max_tokens=8, temperature=0)
chunks = list(client.chat.completions.create(
    model=model, messages=question, max_tokens=8, temperature=0, stream=True, stream_options={"include_usage": True}))
seen["chat"] = {
    "text": chat.choices[0].message.content,
    "finish": chat.choices[0].finish_reason,
    "deltas": "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices),
    "usage": chunks[-1].usage.model_dump(),
}


class Forecast(BaseModel):
    sunny: bool
    degrees: int


parsed = client.beta.chat.completions.parse(
    model=model, messages=[{"role": "user", "content": "The weather today, as JSON."}], response_format=Forecast,
    max_tokens=64, temperature=0)
seen["parsed"] = parsed.choices[0].message.parsed.model_dump()


class GetWeather(BaseModel):
    city: str = Field(max_length=24)
    unit: Literal["celsius", "fahrenheit"]


called = client.beta.chat.completions.parse(
    model=model, messages=[{"role": "user", "content": "What is the weather in Paris?"}],
    tools=[openai.pydantic_function_tool(GetWeather, name="get_weather")],
    tool_choice={"type": "function", "function": {"name": "get_weather"}}, max_tokens=60, temperature=0)
call = called.choices[0].message.tool_calls[0]
seen["call"] = {
    "name": call.function.name, "arguments": call.function.arguments,
    "parsed": call.function.parsed_arguments.model_dump(), "finish": called.choices[0].finish_reason,
}

# Budgets the answers end within: this package's stream helper wants response.completed, and an answer cut by
# max_output_tokens ends with response.incomplete (as OpenAI's API ends it).
first = client.responses.create(model=model, input="Tell me about the jury.", max_output_tokens=64, temperature=0)
with client.responses.stream(
        model=model, input="And then?", previous_response_id=first.id, max_output_tokens=64, temperature=0) as stream:
    deltas = "".join(event.delta for event in stream if event.type == "response.output_text.delta")
    second = stream.get_final_response()
seen["responses"] = {
    "first": first.output_text, "firstUsage": first.usage.model_dump(), "previous": second.previous_response_id,
    "second": second.output_text, "status": second.status, "deltas": deltas, "cached": second.usage.input_tokens_details.cached_tokens,
}

typed = client.responses.parse(
    model=model, input="The weather today, as JSON.", text_format=Forecast, max_output_tokens=64, temperature=0)
seen["typed"] = typed.output_parsed.model_dump()

try:
    client.chat.completions.create(model=model, messages=question, max_tokens=-1)
    seen["refused"] = None
except openai.BadRequestError as error:
    seen["refused"] = {"status": error.status_code, "param": error.param, "type": error.type}

print(json.dumps(seen))

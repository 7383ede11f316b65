using MambaServe.Engine.Scheduling;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Cli;

/// <summary>
/// The first-class serve options (vLLM's names where vLLM has one), each bound to one configuration key. Adding an
/// option is one entry here: help, parsing and the configuration override follow from it.
/// </summary>
public static class ServeSettings
{
    private static readonly ServerOptions s_server = new();
    private static readonly ModelOptions s_model = new();
    private static readonly SchedulerOptions s_scheduler = new();

    public static IReadOnlyList<ServeSetting> Create() =>
    [
        ServeSetting.Text("--model", $"{ModelOptions.Section}:Path", "the embedded models/mamba-demo-5m",
            "Model folder or Hugging Face hub id.", recursive: true),
        ServeSetting.Text("--served-model-name", $"{ModelOptions.Section}:Name", "the hub id, else the folder name",
            "The id clients send as `model`."),
        ServeSetting.Integer("--max-model-len", $"{ModelOptions.Section}:MaxModelLen", s_model.MaxModelLen,
            "Most prompt tokens per request (and the default output budget: what the prompt leaves of it); no context wall.", 1, int.MaxValue),
        ServeSetting.Text("--dtype", $"{ModelOptions.Section}:DType", "auto",
            "The weights' type where the backend supports it (the CPU runner computes in float32 and keeps weights in float32 or bfloat16; auto: as stored when bfloat16).",
            ModelDTypeNames.All),
        ServeSetting.Text("--device", $"{ModelOptions.Section}:Device", "auto",
            "Backend: auto (a usable GPU, else the CPU), cpu, cuda or rocm.", ["auto", "cpu", "cuda", "rocm"], recursive: true),
        ServeSetting.Integer("--max-num-seqs", $"{ServerServices.SchedulerSection}:MaxRunningSequences",
            $"{s_scheduler.MaxRunningSequences}, {GpuSchedulerDefaults.MaxRunningSequences} on a GPU",
            "Sequences decoded together; also the state slots unless MambaServe:StatePool sets them.", 1, 65536),
        ServeSetting.Integer("--max-num-batched-tokens", $"{ServerServices.SchedulerSection}:MaxBatchTokensPerStep",
            $"{s_scheduler.MaxBatchTokensPerStep}, {GpuSchedulerDefaults.MaxBatchTokensPerStep} on a GPU",
            "Tokens one engine step runs: a token for each decoding sequence, then prefill chunks.", 2, int.MaxValue),
        ServeSetting.Text("--host", $"{ServerOptions.Section}:Host", s_server.Host,
            "Address to bind; 0.0.0.0 for every interface."),
        ServeSetting.Integer("--port", $"{ServerOptions.Section}:Port", s_server.Port, "REST port (HTTP/1.1).", 1, 65535),
        ServeSetting.Integer("--grpc-port", $"{ServerOptions.Section}:GrpcPort", s_server.GrpcPort, "gRPC port (HTTP/2 cleartext).", 1, 65535),
        ServeSetting.List("--api-key", $"{ServerOptions.Section}:ApiKeys", "none, the API is open",
            "Accepted bearer key; replaces the configured keys."),
        ServeSetting.Flag("--trust-request-chat-template", $"{ServerOptions.Section}:TrustRequestChatTemplate",
            "Render a chat_template sent in a request (compiled per request, under the template runtime's limits); off, such a request is a 400."),
        ServeSetting.Flag("--enable-auto-tool-choice", $"{ServerOptions.Section}:EnableAutoToolChoice",
            "Serve tool_choice \"auto\" (the default with tools): the model's calls are read out of its text; needs --tool-call-parser."),
        ServeSetting.Text("--tool-call-parser", $"{ServerOptions.Section}:ToolCallParser", "none",
            "The format the model writes tool calls in (Hermes 2 Pro, Qwen 2.5: hermes; Llama 3.1 JSON calls: llama3_json; Llama 3.2 and 4: pythonic).", [.. ToolCallParsers.Names]),
    ];
}

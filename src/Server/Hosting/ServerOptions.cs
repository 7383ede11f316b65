using System.ComponentModel.DataAnnotations;

namespace MambaServe.Server.Hosting;

/// <summary>Section <c>MambaServe:Server</c>: endpoints, limits and access.</summary>
public sealed class ServerOptions
{
    public const string Section = "MambaServe:Server";

    /// <summary>
    /// Address Kestrel binds both ports to. Loopback by default (llama.cpp's server does the same), so a first run
    /// never exposes an open API; containers set 0.0.0.0.
    /// </summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>REST (HTTP/1.1) port.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 8000;

    /// <summary>gRPC (HTTP/2 cleartext) port.</summary>
    [Range(1, 65535)]
    public int GrpcPort { get; set; } = 8001;

    /// <summary>
    /// When true (the default), gRPC services answer only on <see cref="GrpcPort"/>. In-process test servers have no
    /// ports, so they turn it off and reach REST and gRPC on one handler.
    /// </summary>
    public bool RestrictGrpcToGrpcPort { get; set; } = true;

    /// <summary>Accepted bearer tokens; empty leaves the API open. Health and metrics stay open either way.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Whether request logs may contain prompt text (off: prompts can hold personal data).</summary>
    public bool LogPrompts { get; set; }

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 8L << 20;

    /// <summary>
    /// vLLM's --trust-request-chat-template: whether a chat request may bring its own template in chat_template
    /// (chat_template_kwargs.chat_template is refused either way). Off: such a request is a 400. On: the template is compiled for that request
    /// (at most <see cref="MaxRequestChatTemplateChars"/> characters) and runs under the interpreter's usual bounds.
    /// </summary>
    public bool TrustRequestChatTemplate { get; set; }

    /// <summary>
    /// vLLM's --enable-auto-tool-choice: chat requests with tools may leave the call to the model (tool_choice "auto",
    /// the default with tools), its calls read out of its text by <see cref="ToolCallParser"/>, which it needs. Off: such
    /// a request is a 400 that says how to turn it on.
    /// </summary>
    public bool EnableAutoToolChoice { get; set; }

    /// <summary>
    /// vLLM's --tool-call-parser: the format the model writes its calls in, one of <see cref="OpenAi.Chat.ToolCallParsers.Names"/>
    /// (checked at start, <see cref="ServerServices"/>): <c>hermes</c> (Hermes 2 Pro, Qwen 2.5), <c>llama3_json</c> (Llama
    /// 3.1's JSON calls) or <c>pythonic</c> (Llama 3.2 and 4).
    /// </summary>
    public string? ToolCallParser { get; set; }

    /// <summary>Whether tool_choice "auto" is served: <see cref="EnableAutoToolChoice"/> with a <see cref="ToolCallParser"/>.</summary>
    public bool AutoToolChoice => EnableAutoToolChoice && ToolCallParser is not null;

    /// <summary>Longest chat template a request may bring when <see cref="TrustRequestChatTemplate"/> is on.</summary>
    [Range(1, 1 << 24)]
    public int MaxRequestChatTemplateChars { get; set; } = 65536;

    /// <summary>Largest n (samples per prompt) times prompts in one request.</summary>
    [Range(1, 1024)]
    public int MaxChoices { get; set; } = 64;

    /// <summary>
    /// Most lanes (distinct <c>stream_id</c>s, the default lane among them) one Responses WebSocket may use; a
    /// <c>response.create</c> naming one more is refused (<c>too_many_streams</c>). Each lane keeps its latest unstored
    /// response, so this also bounds what a socket holds.
    /// </summary>
    [Range(1, 4096)]
    public int MaxSocketStreams { get; set; } = 64;

    /// <summary>
    /// Most <c>response.create</c>s running or waiting on one Responses WebSocket, its lanes together; more are refused
    /// (<c>socket_queue_full</c>). A create counts until its response's last event goes out (or its steered successor's).
    /// It bounds the message bodies a socket holds (each up to <see cref="MaxRequestBodyBytes"/>); the default lets every
    /// lane of <see cref="MaxSocketStreams"/> have one response in flight.
    /// </summary>
    [Range(1, 1024)]
    public int MaxSocketPending { get; set; } = 64;

    /// <summary>
    /// Most <c>response.steer</c> submissions queued for one response on a Responses WebSocket (running, or waiting for
    /// its tool outputs); more are refused (<c>too_many_pending_steers</c>). It bounds the steering input a socket holds.
    /// </summary>
    [Range(1, 1024)]
    public int MaxPendingSteers { get; set; } = 16;
}

using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>The official OpenAI .NET client over the in-process server's HttpClient (its pipeline, no sockets).</summary>
public static class OpenAiClients
{
    public static ChatClient Chat(HttpClient http, string model) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/v1"),
            Transport = new HttpClientPipelineTransport(http),
        });
}

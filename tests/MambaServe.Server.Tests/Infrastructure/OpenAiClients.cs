using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Conversations;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // the Responses and Conversations clients are marked experimental in the OpenAI .NET package

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

    public static ResponsesClient Responses(HttpClient http) =>
        new(new ApiKeyCredential("unused"), new ResponsesClientOptions { Endpoint = new Uri(http.BaseAddress!, "/v1"), Transport = new HttpClientPipelineTransport(http) });

    public static ConversationClient Conversations(HttpClient http) =>
        new(new ApiKeyCredential("unused"), new ConversationClientOptions { Endpoint = new Uri(http.BaseAddress!, "/v1"), Transport = new HttpClientPipelineTransport(http) });
}

using System.CommandLine;
using System.Globalization;
using MambaServe.Engine.Backends;
using MambaServe.Server.Cli.Bench;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.Cli;

/// <summary>
/// The program's commands: no subcommand serves (REST + gRPC); `generate` streams a completion to stdout; `bench` measures. Serve options override
/// appsettings.json and MambaServe__* environment variables; any other argument goes to the ASP.NET Core host.
/// </summary>
public static class CommandLine
{
    public static RootCommand Build()
    {
        var model = new Option<string?>("--model")
        {
            Description = "Model folder or Hugging Face hub id (default: the embedded models/mamba-demo-5m).",
            Recursive = true,
        };
        var port = new Option<int?>("--port") { Description = "REST port, HTTP/1.1 (default 8000)." };
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC port, HTTP/2 cleartext (default 8001)." };
        var host = new Option<string?>("--host") { Description = "Address to bind (default 0.0.0.0)." };
        var device = new Option<DeviceKind?>("--device")
        {
            Description = "Backend: auto (a usable GPU, else the CPU), cpu, cuda or rocm (default auto).",
            Recursive = true,
        };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda", "rocm");
        var root = new RootCommand("MambaServe: an inference server for Mamba language models.") { model, port, grpcPort, host, device };
        root.Subcommands.Add(GenerateCommand.Create(model, device));
        root.Subcommands.Add(BenchCommand.Create(model, device));
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            Set(overrides, $"{ModelOptions.Section}:Path", parse.GetValue(model));
            Set(overrides, $"{ModelOptions.Section}:Device", parse.GetValue(device)?.ToString());
            Set(overrides, $"{ServerOptions.Section}:Port", parse.GetValue(port)?.ToString(CultureInfo.InvariantCulture));
            Set(overrides, $"{ServerOptions.Section}:GrpcPort", parse.GetValue(grpcPort)?.ToString(CultureInfo.InvariantCulture));
            Set(overrides, $"{ServerOptions.Section}:Host", parse.GetValue(host));
            var app = ServerApp.Build(parse.UnmatchedTokens.ToArray(), overrides);
            await app.RunAsync(ct);
            return 0;
        });
        return root;
    }

    private static void Set(Dictionary<string, string?> overrides, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            overrides[key] = value;
        }
    }
}

using MambaServe.Server.Cli;

return await CommandLine.RunAsync(args);

/// <summary>The entry point; public so that WebApplicationFactory&lt;Program&gt; can host the server in tests.</summary>
public partial class Program;

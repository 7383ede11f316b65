namespace MambaServe.Server.Cli;

/// <summary>A model argument resolved to its local folder.</summary>
/// <param name="DefaultName">What it is served as unless a name is configured: the hub id, else the folder's name.</param>
public sealed record ResolvedModel(string Directory, string DefaultName);

using MambaServe.Engine.Generation;

namespace MambaServe.Server.Hosting;

/// <summary>An engine update tagged with its response choice (<c>prompt * n + sample</c>) and its prompt.</summary>
public sealed record ChoiceUpdate(int Choice, int Prompt, GenerationUpdate Update);

namespace MambaServe.Engine.Cpu;

/// <summary>Which positions of a forward pass need logits (the LM head is the largest matrix: skip what nobody reads).</summary>
internal enum LogitRows
{
    None,
    Last,
    All,
}

using System.Runtime.CompilerServices;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>Python's equality and hashing for dict keys: 1, 1.0 and True are one key; strings compare ordinally.</summary>
internal sealed class ValueComparer : IEqualityComparer<object>
{
    public static ValueComparer Instance { get; } = new();

    public new bool Equals(object? x, object? y) => PyOps.Equal(x, y);

    public int GetHashCode(object value) => value switch
    {
        bool b => (b ? 1L : 0L).GetHashCode(),
        long l => l.GetHashCode(),
        double d when d == Math.Floor(d) && Math.Abs(d) < 9.2e18 => ((long)d).GetHashCode(),
        double d => d.GetHashCode(),
        string s => StringComparer.Ordinal.GetHashCode(s),
        object?[] tuple => tuple.Aggregate(17, (hash, item) => (hash * 31) + (item is null ? 0 : GetHashCode(item))),
        _ => RuntimeHelpers.GetHashCode(value),
    };
}

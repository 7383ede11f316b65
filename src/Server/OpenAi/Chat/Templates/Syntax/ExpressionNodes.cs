namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

// The expression tree. Small immutable records kept in one file: each is a shape, the meaning lives in Runtime/Renderer.

internal abstract record Expr(int Line);

internal sealed record LiteralExpr(int Line, object? Value) : Expr(Line);

internal sealed record NameExpr(int Line, string Name) : Expr(Line);

internal sealed record ListExpr(int Line, IReadOnlyList<Expr> Items) : Expr(Line);

internal sealed record TupleExpr(int Line, IReadOnlyList<Expr> Items) : Expr(Line);

internal sealed record DictExpr(int Line, IReadOnlyList<KeyValuePair<Expr, Expr>> Items) : Expr(Line);

internal sealed record GetAttrExpr(int Line, Expr Target, string Name) : Expr(Line);

internal sealed record GetItemExpr(int Line, Expr Target, Expr Key) : Expr(Line);

internal sealed record SliceExpr(int Line, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);

internal sealed record CallExpr(int Line, Expr Callee, CallArgs Args) : Expr(Line);

internal sealed record FilterExpr(int Line, Expr Target, FilterCall Filter) : Expr(Line);

internal sealed record TestExpr(int Line, Expr Target, string Name, CallArgs Args, bool Negated) : Expr(Line);

/// <summary><c>-</c>, <c>+</c> or <c>not</c>.</summary>
internal sealed record UnaryExpr(int Line, string Op, Expr Operand) : Expr(Line);

/// <summary>Arithmetic (<c>+ - * / // % **</c>), <c>~</c>, and the short-circuit <c>and</c> / <c>or</c>.</summary>
internal sealed record BinaryExpr(int Line, string Op, Expr Left, Expr Right) : Expr(Line);

/// <summary>A comparison chain, <c>a &lt; b &lt;= c</c>: ops are == != &lt; &gt; &lt;= &gt;= in, "not in".</summary>
internal sealed record CompareExpr(int Line, Expr First, IReadOnlyList<KeyValuePair<string, Expr>> Rest) : Expr(Line);

/// <summary><c>Then if Test else Else</c>; without an else the false branch is undefined.</summary>
internal sealed record ConditionalExpr(int Line, Expr Test, Expr Then, Expr? Else) : Expr(Line);

internal sealed record CallArgs(IReadOnlyList<Expr> Positional, IReadOnlyList<KeyValuePair<string, Expr>> Named)
{
    public static CallArgs None { get; } = new([], []);
}

internal sealed record FilterCall(string Name, CallArgs Args);

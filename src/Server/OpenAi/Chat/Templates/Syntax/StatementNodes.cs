namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

// The statement tree, one record per tag (generation blocks leave no node: their body is spliced in).

internal abstract record Stmt(int Line);

internal sealed record TextStmt(int Line, string Text) : Stmt(Line);

internal sealed record OutputStmt(int Line, Expr Value) : Stmt(Line);

internal sealed record IfBranch(Expr Condition, IReadOnlyList<Stmt> Body);

internal sealed record IfStmt(int Line, IReadOnlyList<IfBranch> Branches, IReadOnlyList<Stmt>? Else) : Stmt(Line);

/// <summary><c>for Target in Iterable [if Filter]</c>; <see cref="Else"/> runs when no item passed.</summary>
internal sealed record ForStmt(int Line, Expr Target, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt>? Else) : Stmt(Line);

/// <summary><c>set Target = Value</c>; Target is a name, a tuple of names or <c>namespace.attribute</c>.</summary>
internal sealed record SetStmt(int Line, Expr Target, Expr Value) : Stmt(Line);

internal sealed record SetBlockStmt(int Line, string Name, IReadOnlyList<FilterCall> Filters, IReadOnlyList<Stmt> Body) : Stmt(Line);

internal sealed record MacroParam(string Name, Expr? Default);

internal sealed record MacroStmt(int Line, string Name, IReadOnlyList<MacroParam> Params, IReadOnlyList<Stmt> Body) : Stmt(Line);

internal sealed record FilterBlockStmt(int Line, IReadOnlyList<FilterCall> Filters, IReadOnlyList<Stmt> Body) : Stmt(Line);

internal sealed record WithStmt(int Line, IReadOnlyList<KeyValuePair<string, Expr>> Assignments, IReadOnlyList<Stmt> Body) : Stmt(Line);

internal sealed record LoopControlStmt(int Line, bool IsBreak) : Stmt(Line);

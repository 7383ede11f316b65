using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

/// <summary>
/// Splits a template into text and tag tokens the way Jinja's lexer does, whitespace control included: a <c>-</c>
/// beside a delimiter strips all whitespace on that side, <c>+</c> keeps it; with trim_blocks the first newline after a
/// block or comment tag goes, with lstrip_blocks the spaces and tabs between a line start and a block or comment tag
/// go. As in Jinja, newlines are normalised to \n and one trailing newline of the source is dropped.
/// </summary>
internal sealed partial class Lexer
{
    // Longest first, so that "//" wins over "/".
    private static readonly string[] s_operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"];

    private readonly string _src;
    private readonly TemplateOptions _options;
    private readonly List<int> _lineStarts = [0];
    private readonly List<Token> _tokens = [];
    private readonly Stack<char> _brackets = new();
    private int _pos;
    private bool _lineStarting = true;

    private Lexer(string source, TemplateOptions options)
    {
        var text = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        _src = text.EndsWith('\n') ? text[..^1] : text;
        _options = options;
        for (int i = 0; i < _src.Length; i++)
        {
            if (_src[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public static List<Token> Tokenize(string source, TemplateOptions options)
    {
        var lexer = new Lexer(source, options);
        lexer.Run();
        return lexer._tokens;
    }

    [GeneratedRegex(@"\G\{%[-+]?\s*raw\s*(-?)%\}")]
    private static partial Regex RawBegin();

    [GeneratedRegex(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}")]
    private static partial Regex RawEnd();

    private void Run()
    {
        while (_pos < _src.Length)
        {
            int open = FindOpen(_pos);
            if (open < 0)
            {
                AddText(_pos, _src[_pos..]);
                break;
            }

            char kind = _src[open + 1];
            char control = open + 2 < _src.Length ? _src[open + 2] : '\0';
            AddText(_pos, ControlLeft(_src[_pos..open], kind, control));
            if (kind == '%' && TryRaw(open))
            {
                continue;
            }

            _pos = open + 2 + (control is '-' or '+' ? 1 : 0);
            if (kind == '#')
            {
                Comment(open);
            }
            else
            {
                Tag(open, block: kind == '%');
            }
        }

        _tokens.Add(new Token(TokenKind.Eof, string.Empty, LineAt(_src.Length)));
    }

    private void AddText(int start, string text)
    {
        if (text.Length > 0)
        {
            _tokens.Add(new Token(TokenKind.Text, text, LineAt(start)));
        }
    }

    private int FindOpen(int from)
    {
        for (int i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
        {
            if (_src[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The text before a tag after the tag's left whitespace control (Jinja's OptionalLStrip rule).</summary>
    private string ControlLeft(string text, char kind, char control)
    {
        if (control == '-')
        {
            return text.TrimEnd();
        }

        if (control == '+' || kind == '{' || !_options.LstripBlocks)
        {
            return text;
        }

        int lineStart = text.LastIndexOf('\n') + 1;
        if ((lineStart > 0 || _lineStarting) && lineStart < text.Length && text.AsSpan(lineStart).IsWhiteSpace())
        {
            return text[..lineStart];
        }

        return text;
    }

    /// <summary>After a tag's closing delimiter: <c>-</c> eats all whitespace, trim_blocks one newline (block tags only).</summary>
    private void ControlRight(char control, bool block)
    {
        if (control == '-')
        {
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos]))
            {
                _pos++;
            }
        }
        else if (control != '+' && block && _options.TrimBlocks && _pos < _src.Length && _src[_pos] == '\n')
        {
            _pos++;
        }

        _lineStarting = _src[_pos - 1] == '\n';
    }

    private void Comment(int open)
    {
        int close = _src.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (close < 0)
        {
            throw Error("unclosed comment: '{#' without a matching '#}'", open);
        }

        char control = close > _pos && _src[close - 1] is '-' or '+' ? _src[close - 1] : '\0';
        _pos = close + 2;
        ControlRight(control, block: true);
    }

    private bool TryRaw(int open)
    {
        var begin = RawBegin().Match(_src, open);
        if (!begin.Success)
        {
            return false;
        }

        _pos = begin.Index + begin.Length;
        ControlRight(begin.Groups[1].Value == "-" ? '-' : '+', block: true);
        var end = RawEnd().Match(_src, _pos);
        if (!end.Success)
        {
            throw Error("'{% raw %}' without a matching '{% endraw %}'", open);
        }

        char endControl = end.Groups[1].Value.Length > 0 ? end.Groups[1].Value[0] : '\0';
        AddText(_pos, ControlLeft(_src[_pos..end.Index], '%', endControl));
        _pos = end.Index + end.Length;
        ControlRight(end.Groups[2].Value.Length > 0 ? end.Groups[2].Value[0] : '\0', block: true);
        return true;
    }

    private void Tag(int open, bool block)
    {
        _tokens.Add(new Token(block ? TokenKind.BlockBegin : TokenKind.VariableBegin, block ? "{%" : "{{", LineAt(open)));
        _brackets.Clear();
        while (true)
        {
            if (_pos >= _src.Length)
            {
                throw Error($"unexpected end of template: '{(block ? "{%" : "{{")}' is never closed with '{(block ? "%}" : "}}")}'", open);
            }

            if (_brackets.Count == 0 && TryTagEnd(block))
            {
                return;
            }

            char c = _src[_pos];
            if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                Name();
            }
            else if (char.IsAsciiDigit(c))
            {
                Number();
            }
            else if (c is '\'' or '"')
            {
                StringLiteral();
            }
            else
            {
                Operator();
            }
        }
    }

    private bool TryTagEnd(bool block)
    {
        string close = block ? "%}" : "}}";
        int at = _pos;
        char control = '\0';
        if (_src[at] == '-' || (block && _src[at] == '+'))
        {
            control = _src[at];
            at++;
        }

        if (string.CompareOrdinal(_src, at, close, 0, 2) != 0)
        {
            return false;
        }

        _tokens.Add(new Token(block ? TokenKind.BlockEnd : TokenKind.VariableEnd, close, LineAt(at)));
        _pos = at + 2;
        ControlRight(control, block);
        return true;
    }

    private void Operator()
    {
        foreach (var op in s_operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) != 0)
            {
                continue;
            }

            CheckBracket(op);
            _tokens.Add(new Token(TokenKind.Operator, op, LineAt(_pos)));
            _pos += op.Length;
            return;
        }

        throw Error($"unexpected character '{_src[_pos]}'", _pos);
    }

    private void CheckBracket(string op)
    {
        if (op is "(" or "[" or "{")
        {
            _brackets.Push(op[0] switch { '(' => ')', '[' => ']', _ => '}' });
        }
        else if (op is ")" or "]" or "}")
        {
            if (_brackets.Count == 0 || _brackets.Peek() != op[0])
            {
                throw Error(_brackets.Count == 0 ? $"unexpected '{op}'" : $"unexpected '{op}', expected '{_brackets.Peek()}'", _pos);
            }

            _brackets.Pop();
        }
    }

    private int LineAt(int pos)
    {
        int i = _lineStarts.BinarySearch(pos);
        return i >= 0 ? i + 1 : ~i;
    }

    private TemplateException Error(string message, int pos) => new(message, LineAt(pos));
}

using System.Globalization;
using System.Text;

namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

/// <summary>Names, numbers and string literals inside a tag.</summary>
internal sealed partial class Lexer
{
    private void Name()
    {
        int start = _pos;
        while (_pos < _src.Length && (char.IsAsciiLetterOrDigit(_src[_pos]) || _src[_pos] == '_'))
        {
            _pos++;
        }

        _tokens.Add(new Token(TokenKind.Name, _src[start.._pos], LineAt(start)));
    }

    private void Number()
    {
        int start = _pos;
        // As Jinja's float rule ((?<!\.)...): after a dot (items.0.name) only an integer is read.
        bool afterDot = start > 0 && _src[start - 1] == '.';
        Digits();
        bool isFloat = false;
        if (!afterDot && _pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            _pos++;
            Digits();
            isFloat = true;
        }

        if (!afterDot && _pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            int mark = _pos++;
            if (_pos < _src.Length && _src[_pos] is '+' or '-')
            {
                _pos++;
            }

            if (_pos < _src.Length && char.IsAsciiDigit(_src[_pos]))
            {
                Digits();
                isFloat = true;
            }
            else
            {
                _pos = mark;
            }
        }

        string text = _src[start.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
        object value = isFloat
            ? (object)double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : throw Error($"integer literal {text} is too large", start);
        _tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, LineAt(start), value));
    }

    private void Digits()
    {
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || (_src[_pos] == '_' && _pos + 1 < _src.Length && char.IsAsciiDigit(_src[_pos + 1]))))
        {
            _pos++;
        }
    }

    private void StringLiteral()
    {
        int start = _pos;
        char quote = _src[_pos++];
        var value = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length)
            {
                throw Error("unterminated string literal", start);
            }

            char c = _src[_pos++];
            if (c == quote)
            {
                break;
            }

            if (c != '\\')
            {
                value.Append(c);
            }
            else if (_pos >= _src.Length)
            {
                throw Error("unterminated string literal", start);
            }
            else
            {
                Escape(value);
            }
        }

        _tokens.Add(new Token(TokenKind.String, value.ToString(), LineAt(start)));
    }

    /// <summary>Python's unicode-escape rules, which Jinja applies to string literals; unknown escapes stay as written.</summary>
    private void Escape(StringBuilder value)
    {
        int at = _pos - 1;
        char e = _src[_pos++];
        switch (e)
        {
            case '\n': break;
            case '\\' or '\'' or '"': value.Append(e); break;
            case 'a': value.Append('\a'); break;
            case 'b': value.Append('\b'); break;
            case 'f': value.Append('\f'); break;
            case 'n': value.Append('\n'); break;
            case 'r': value.Append('\r'); break;
            case 't': value.Append('\t'); break;
            case 'v': value.Append('\v'); break;
            case 'x': AppendCodePoint(value, HexDigits(2, at)); break;
            case 'u': AppendCodePoint(value, HexDigits(4, at)); break;
            case 'U': AppendCodePoint(value, HexDigits(8, at)); break;
            case >= '0' and <= '7':
                int code = e - '0';
                for (int i = 0; i < 2 && _pos < _src.Length && _src[_pos] is >= '0' and <= '7'; i++)
                {
                    code = (code * 8) + (_src[_pos++] - '0');
                }

                AppendCodePoint(value, code);
                break;
            default: value.Append('\\').Append(e); break;
        }
    }

    private int HexDigits(int count, int at)
    {
        if (_pos + count > _src.Length || !int.TryParse(_src.AsSpan(_pos, count), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || _src.AsSpan(_pos, count).ContainsAny('+', '-'))
        {
            throw Error($"truncated \\{_src[at + 1]} escape in a string literal", at);
        }

        _pos += count;
        return code;
    }

    private void AppendCodePoint(StringBuilder value, int code)
    {
        if (code is < 0 or > 0x10FFFF)
        {
            throw Error($"escape \\U{code:x8} is not a Unicode code point", _pos);
        }

        if (code < 0x10000)
        {
            value.Append((char)code);
        }
        else
        {
            value.Append(char.ConvertFromUtf32(code));
        }
    }
}

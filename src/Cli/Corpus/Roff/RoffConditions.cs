using System.Globalization;

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>
/// The conditions of <c>.if</c>/<c>.ie</c> as nroff on a terminal sees them: <c>n</c> holds, <c>t</c>/<c>v</c>/<c>e</c>
/// do not, <c>\n(.g</c> (running groff) is 1, strings compare with <c>'a'b'</c>, and numeric expressions are
/// evaluated left to right as troff does (no operator precedence; scale units ignored). What cannot be parsed is false.
/// </summary>
internal static class RoffConditions
{
    /// <summary>Splits the arguments of <c>.if</c>/<c>.ie</c> into the condition's value and the rest of the line.</summary>
    public static (bool Holds, string Body) Parse(string arguments, RoffEscapes escapes, Func<string, bool> isMacro)
    {
        int i = SkipBlanks(arguments, 0);
        bool negate = false;
        while (i < arguments.Length && arguments[i] == '!') { negate = !negate; i++; }
        if (i >= arguments.Length) return (negate, "");
        char c = arguments[i];
        bool holds;
        if (c is 'n' or 'o') { holds = true; i++; }
        else if (c is 't' or 'v' or 'e') { holds = false; i++; }
        else if (c is 'd' or 'r' or 'c' or 'm' or 'F' or 'S' && i + 1 < arguments.Length && arguments[i + 1] is ' ' or '\t')
        {
            int start = SkipBlanks(arguments, i + 1);
            int end = WordEnd(arguments, start);
            var name = arguments[start..end];
            holds = c switch
            {
                'd' => escapes.HasString(name) || isMacro(name),
                'r' => escapes.HasRegister(name),
                _ => c == 'c',
            };
            i = end;
        }
        else if (!char.IsAsciiLetterOrDigit(c) && c is not ('(' or '\\' or '+' or '-' or '.' or '|'))
        {
            // 'left'right': compare the two expanded strings.
            int middle = arguments.IndexOf(c, i + 1);
            int end = middle < 0 ? -1 : arguments.IndexOf(c, middle + 1);
            if (end < 0) return (false, "");
            holds = escapes.Expand(arguments[(i + 1)..middle]) == escapes.Expand(arguments[(middle + 1)..end]);
            i = end + 1;
        }
        else
        {
            int end = WordEnd(arguments, i);
            holds = Evaluate(escapes.Expand(arguments[i..end])) > 0;
            i = end;
        }
        return (holds != negate, arguments[SkipBlanks(arguments, i)..]);
    }

    /// <summary>A troff numeric expression, left to right; 0 for what it cannot read.</summary>
    public static double Evaluate(string expression)
    {
        int i = 0;
        return Expression(expression, ref i);
    }

    private static double Expression(string s, ref int i)
    {
        double value = Term(s, ref i);
        while (i < s.Length && s[i] != ')')
        {
            string op = s[i..].StartsWith(">=", StringComparison.Ordinal) || s[i..].StartsWith("<=", StringComparison.Ordinal)
                        || s[i..].StartsWith("==", StringComparison.Ordinal) || s[i..].StartsWith("<>", StringComparison.Ordinal)
                ? s.Substring(i, 2) : s[i].ToString();
            if ("+-*/%<>=&:".IndexOf(op[0]) < 0 && op.Length == 1) return value;
            i += op.Length;
            double right = Term(s, ref i);
            value = op switch
            {
                "+" => value + right, "-" => value - right, "*" => value * right,
                "/" => right == 0 ? 0 : Math.Truncate(value / right), "%" => right == 0 ? 0 : value % right,
                "<" => Bool(value < right), ">" => Bool(value > right), "<=" => Bool(value <= right), ">=" => Bool(value >= right),
                "=" or "==" => Bool(value == right), "<>" => Bool(value != right),
                "&" => Bool(value > 0 && right > 0), ":" => Bool(value > 0 || right > 0),
                _ => value,
            };
        }
        return value;
    }

    private static double Term(string s, ref int i)
    {
        if (i >= s.Length) return 0;
        switch (s[i])
        {
            case '(':
                i++;
                double inner = Expression(s, ref i);
                if (i < s.Length && s[i] == ')') i++;
                return inner;
            case '-': i++; return -Term(s, ref i);
            case '+': i++; return Term(s, ref i);
        }
        int start = i;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        if (i == start) { i = s.Length; return 0; }
        double number = double.TryParse(s.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        if (i < s.Length && "uicpPmnvMsfz".IndexOf(s[i]) >= 0) i++;
        return number;
    }

    private static double Bool(bool value) => value ? 1 : 0;

    private static int SkipBlanks(string s, int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t') i++;
        return i;
    }

    // A condition word ends at a blank outside parentheses; escapes such as \n(.g keep their parenthesis.
    private static int WordEnd(string s, int i)
    {
        int depth = 0;
        while (i < s.Length && !(depth <= 0 && s[i] is ' ' or '\t'))
        {
            if (s[i] == '\\') { i = RoffEscapes.SkipEscape(s, i) + 1; continue; }
            if (s[i] == '(') depth++;
            else if (s[i] == ')') depth--;
            i++;
        }
        return Math.Min(i, s.Length);
    }
}

namespace ModuleService.Cli.Corpus.Roff;

/// <summary>The requests and man(7) macros the renderer acts on; every other request is layout and is ignored.</summary>
internal sealed partial class RoffRenderer
{
    /// <returns>false when the name is not a request or man macro (it may be mdoc, or unknown).</returns>
    private bool Builtin(string name, string arguments)
    {
        switch (name)
        {
            case "TH": break;
            case "SH" or "SS" or "Sh" or "Ss": Heading(arguments); break;
            case "PP" or "P" or "LP" or "Pp" or "HP" or "bp" or "Sp":
                output.Paragraph();
                prevailingIndent = DefaultIndent;
                break;
            case "sp":
                if (arguments.Trim().Length > 0 && RoffConditions.Evaluate(escapes.Expand(arguments.Trim())) <= 0) output.Break();
                else output.Paragraph();
                break;
            case "br" or "ti" or "RS" or "RE" or "YS": output.Break(); break;
            case "nf" or "EX" or "Vb":
                output.Break();
                output.NoFill = true;
                break;
            case "fi" or "EE" or "Ve":
                output.Break();
                output.NoFill = false;
                break;
            case "TP":
                output.Paragraph();
                tagIndent = Indent(RoffArguments.Parse(arguments).FirstOrDefault().Raw);
                break;
            case "TQ":
                output.Break();
                tagIndent = prevailingIndent;
                break;
            case "IP":
                var ip = RoffArguments.Parse(arguments);
                output.Paragraph();
                int indent = Indent(ip.Count > 1 ? ip[1].Raw : null);
                if (ip.Count > 0 && ip[0].Raw.Length > 0)
                {
                    output.Text(escapes.Expand(ip[0].Raw));
                    if (output.LineLength >= indent) output.Break();
                }
                break;
            case "B" or "I" or "SM" or "SB": Font(arguments, " "); break;
            case "BR" or "BI" or "IB" or "IR" or "RB" or "RI": Font(arguments, ""); break;
            case "SY":
                output.Paragraph();
                Font(arguments, " ");
                break;
            case "OP":
                output.Text("[" + Words(arguments, " ") + "]");
                break;
            case "UR" or "MT":
                linkTarget = Words(arguments, " ");
                break;
            case "UE" or "ME":
                if (!string.IsNullOrEmpty(linkTarget)) output.Text($"\u27E8{linkTarget}\u27E9");
                output.Append(Words(arguments, ""));
                linkTarget = null;
                break;
            case "ds" or "ds1" or "as" or "as1":
                var (stringName, value) = RoffArguments.FirstWord(arguments);
                value = RoffArguments.StripComment(value).Replace("\\\\", "\\");
                if (value.StartsWith('"')) value = value[1..];
                if (name.StartsWith('a')) escapes.AppendString(stringName, value);
                else escapes.DefineString(stringName, value);
                break;
            case "rm":
                foreach (var removed in RoffArguments.Parse(arguments)) { escapes.RemoveString(removed.Raw); macros.Remove(removed.Raw); }
                break;
            case "als" or "rn":
                var pair = RoffArguments.Parse(arguments);
                if (pair.Count < 2) break;
                if (macros.TryGetValue(pair[1].Raw, out var aliased)) macros[pair[0].Raw] = aliased;
                escapes.AliasString(pair[0].Raw, pair[1].Raw);
                if (name == "rn") { macros.Remove(pair[1].Raw); escapes.RemoveString(pair[1].Raw); }
                break;
            case "nr": SetRegister(arguments); break;
            case "rr":
                foreach (var register in RoffArguments.Parse(arguments)) escapes.RemoveRegister(register.Raw);
                break;
            case "tr": escapes.AddTranslations(RoffArguments.StripComment(arguments).Trim()); break;
            case "de" or "de1" or "dei" or "am" or "am1" or "ami":
                var definition = RoffArguments.Parse(arguments);
                if (definition.Count == 0) break;
                var macroBody = ReadBlock(definition.Count > 1 ? definition[1].Raw : ".");
                if (name.StartsWith('a') && macros.TryGetValue(definition[0].Raw, out var existing)) existing.AddRange(macroBody);
                else macros[definition[0].Raw] = macroBody;
                break;
            case "ig":
                ReadBlock(RoffArguments.Parse(arguments).FirstOrDefault().Raw is { Length: > 0 } end ? end : ".");
                break;
            case "if": Conditional(arguments, isIe: false); break;
            case "ie": Conditional(arguments, isIe: true); break;
            case "el": Branch(ieResults.Count > 0 && !ieResults.Pop(), arguments); break;
            case "TS": RoffTables.Render(ReadBlock("TE"), escapes, output); break;
            case "PS": ReadBlock("PE"); break;
            case "EQ": ReadBlock("EN"); break;
            case "nop": TextLine(arguments.TrimStart(' ', '\t')); break;
            default: return IsLayoutRequest(name);
        }
        return true;
    }

    private void SetRegister(string arguments)
    {
        var (register, rest) = RoffArguments.FirstWord(arguments);
        var expression = RoffArguments.FirstWord(escapes.Expand(rest)).Word;
        if (expression.Length == 0) return;
        int value = (int)RoffConditions.Evaluate(expression.TrimStart('+', '-'));
        if (expression[0] == '+') value = escapes.Register(register) + value;
        else if (expression[0] == '-') value = escapes.Register(register) - value;
        escapes.SetRegister(register, value);
    }

    // Requests and man macros that only change layout, fonts or the environment: no text, nothing to do.
    private static bool IsLayoutRequest(string name) => name is
        "ad" or "na" or "nh" or "hy" or "hys" or "hlm" or "hw" or "ll" or "in" or "ta" or "ft" or "fam" or "ps" or "vs"
        or "ne" or "ns" or "rs" or "cp" or "ss" or "ce" or "ul" or "cu" or "so" or "mso" or "do" or "tm" or "tm1" or "ev"
        or "di" or "da" or "ch" or "wh" or "it" or "itc" or "lf" or "pc" or "cs" or "bd" or "uf" or "fp" or "pl" or "po"
        or "mk" or "rt" or "sv" or "os" or "lt" or "tl" or "nm" or "nn" or "em" or "ec" or "eo" or "cc" or "c2" or "fl"
        or "char" or "fchar" or "schar" or "ftr" or "hcode" or "hla" or "hpf" or "kern" or "lg" or "color" or "defcolor"
        or "PD" or "DT" or "UC" or "AT" or "UN" or "IX" or "ab" or "ex" or "warn" or "nroff" or "troff" or "pso"
        or "rj" or "ls" or "lc" or "fc" or "mc" or "chop" or "substring" or "length" or "shift" or "return" or "break"
        or "while" or "continue" or "ecs" or "ecr" or "pev" or "pm" or "pnr" or "ptr" or "sty" or "T&" or "TE";
}

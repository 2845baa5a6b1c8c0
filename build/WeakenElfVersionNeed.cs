// Compiled by MSBuild's RoslynCodeTaskFactory (netstandard2.0): keep to APIs available there.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenElfVersionNeed : Task
{
    [Required] public string File { get; set; }
    [Required] public string Version { get; set; }
    [Required] public string AllowedSymbols { get; set; }

    const uint ShtDynsym = 11, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        byte[] elf = System.IO.File.ReadAllBytes(File);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
        {
            Log.LogMessage(MessageImportance.High, "{0}: not ELF64 little-endian, left unchanged", File);
            return true;
        }
        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        Func<int, ulong> sectionOffset = i => BitConverter.ToUInt64(elf, (int)shoff + i * shentsize + 0x18);
        Func<int, uint> sectionType = i => BitConverter.ToUInt32(elf, (int)shoff + i * shentsize + 0x04);
        Func<int, uint> sectionLink = i => BitConverter.ToUInt32(elf, (int)shoff + i * shentsize + 0x28);
        Func<int, uint> sectionInfo = i => BitConverter.ToUInt32(elf, (int)shoff + i * shentsize + 0x2C);
        Func<int, ulong> sectionSize = i => BitConverter.ToUInt64(elf, (int)shoff + i * shentsize + 0x20);

        int verneed = -1, versym = -1, dynsym = -1;
        for (int i = 0; i < shnum; i++)
        {
            uint type = sectionType(i);
            if (type == ShtVerneed) verneed = i;
            else if (type == ShtVersym) versym = i;
            else if (type == ShtDynsym) dynsym = i;
        }
        if (verneed < 0 || versym < 0 || dynsym < 0)
        {
            Log.LogMessage(MessageImportance.High, "{0}: no version-need section, left unchanged", File);
            return true;
        }

        // Walk Verneed records to the vernaux entry of libstdc++ that names Version.
        int strtab = (int)sectionOffset((int)sectionLink(verneed));
        int record = (int)sectionOffset(verneed);
        int flagsOffset = -1, versionIndex = -1;
        for (uint n = 0; n < sectionInfo(verneed); n++)
        {
            string file = ReadString(elf, strtab + (int)BitConverter.ToUInt32(elf, record + 4));
            int aux = record + (int)BitConverter.ToUInt32(elf, record + 8);
            for (int a = 0; a < BitConverter.ToUInt16(elf, record + 2); a++)
            {
                string name = ReadString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                if (file.StartsWith("libstdc++", StringComparison.Ordinal) && name == Version)
                {
                    flagsOffset = aux + 4;
                    versionIndex = BitConverter.ToUInt16(elf, aux + 6);
                }
                aux += (int)BitConverter.ToUInt32(elf, aux + 12);
            }
            uint next = BitConverter.ToUInt32(elf, record + 12);
            if (next == 0) break;
            record += (int)next;
        }
        if (flagsOffset < 0)
        {
            Log.LogMessage(MessageImportance.High, "{0}: needs no {1}, left unchanged", File, Version);
            return true;
        }

        // Guard: every dynamic symbol bound to that version must be on the allow list.
        var allowed = new HashSet<string>(AllowedSymbols.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries));
        int dynstr = (int)sectionOffset((int)sectionLink(dynsym));
        int symbols = (int)(sectionSize(dynsym) / 24);
        for (int s = 0; s < symbols; s++)
        {
            int index = BitConverter.ToUInt16(elf, (int)sectionOffset(versym) + 2 * s) & 0x7fff;
            if (index != versionIndex) continue;
            string symbol = ReadString(elf, dynstr + (int)BitConverter.ToUInt32(elf, (int)sectionOffset(dynsym) + 24 * s));
            if (!allowed.Contains(symbol))
            {
                Log.LogWarning("{0}: symbol {1} really needs {2}; not patching (TorchSharp will fail to load on this system)", File, symbol, Version);
                return true;
            }
        }

        ushort flags = BitConverter.ToUInt16(elf, flagsOffset);
        if ((flags & VerFlgWeak) != 0) return true;
        flags |= VerFlgWeak;
        using (var stream = new FileStream(File, FileMode.Open, FileAccess.Write))
        {
            stream.Position = flagsOffset;
            stream.Write(BitConverter.GetBytes(flags), 0, 2);
        }
        Log.LogMessage(MessageImportance.High, "{0}: marked {1} weak", File, Version);
        return true;
    }

    static string ReadString(byte[] bytes, int offset)
    {
        int end = offset;
        while (bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, offset, end - offset);
    }
}

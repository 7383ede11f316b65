#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks GLIBCXX_* version needs that the host's libstdc++ does not define as weak (VER_FLG_WEAK) in ELF64
/// little-endian shared libraries, so the dynamic loader accepts them. See WeakenMissingGlibcxx.targets for why.
/// </summary>
public class WeakenMissingGlibcxxVersions : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required]
    public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        var host = FindHostLibstdcxx();
        if (host == null)
        {
            Log.LogMessage(MessageImportance.Low, "No host libstdc++.so.6 found; leaving TorchSharp native library as is.");
            return true;
        }
        var hostBytes = File.ReadAllBytes(host);
        foreach (var item in Libraries)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var weakened = Weaken(path, hostBytes);
                if (weakened.Count > 0)
                    Log.LogMessage(MessageImportance.High, $"{Path.GetFileName(path)}: marked {string.Join(", ", weakened)} weak (host {host} lacks them)");
            }
            catch (Exception ex)
            {
                Log.LogError($"Could not patch ELF version needs of {path}: {ex.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static string? FindHostLibstdcxx()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        foreach (var c in candidates)
            if (File.Exists(c)) return c;
        return null;
    }

    private static bool HostDefines(byte[] host, string version)
    {
        // The version name appears NUL-terminated in the host's .dynstr when it defines that version.
        // (Inline tasks compile against netstandard2.0: no Span search, so a plain loop.)
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        for (var i = 0; i <= host.Length - needle.Length; i++)
        {
            var j = 0;
            while (j < needle.Length && host[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    private static List<string> Weaken(string path, byte[] host)
    {
        var elf = File.ReadAllBytes(path);
        var weakened = new List<string>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
            return weakened; // not ELF64 little-endian: nothing we know how to patch

        var shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (var i = 0; i < shnum; i++)
        {
            var sh = (int)(shoff + (long)i * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            var offset = (int)BitConverter.ToUInt64(elf, sh + 0x18);
            var link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            var count = (int)BitConverter.ToUInt32(elf, sh + 0x2C);
            var strtab = (int)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);
            WeakenNeeds(elf, offset, count, strtab, host, weakened);
        }
        if (weakened.Count > 0) File.WriteAllBytes(path, elf);
        return weakened;
    }

    private static void WeakenNeeds(byte[] elf, int verneed, int count, int strtab, byte[] host, List<string> weakened)
    {
        for (var n = 0; n < count; n++)
        {
            int auxCount = BitConverter.ToUInt16(elf, verneed + 2);
            var aux = verneed + (int)BitConverter.ToUInt32(elf, verneed + 8);
            for (var a = 0; a < auxCount; a++)
            {
                var flags = BitConverter.ToUInt16(elf, aux + 4);
                var name = ReadCString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                if (name.StartsWith("GLIBCXX_", StringComparison.Ordinal) && (flags & VerFlgWeak) == 0 && !HostDefines(host, name))
                {
                    BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                    weakened.Add(name);
                }
                aux += (int)BitConverter.ToUInt32(elf, aux + 12);
            }
            verneed += (int)BitConverter.ToUInt32(elf, verneed + 12);
        }
    }

    private static string ReadCString(byte[] bytes, int start)
    {
        var end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }
}

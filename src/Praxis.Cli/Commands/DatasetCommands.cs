using System.Globalization;
using Praxis.Cli.Recipes;
using Praxis.Data;
using Spectre.Console;

namespace Praxis.Cli.Commands;

/// <summary><c>praxis datasets</c>: list the known datasets, download them into the cache, verify their checksums.</summary>
public static class DatasetCommands
{
    /// <summary>Each dataset with where a copy was found.</summary>
    public static int List(CliContext ctx)
    {
        var table = new Table { Border = ctx.IsTerminal ? TableBorder.Rounded : TableBorder.Ascii2 };
        table.AddColumns("Dataset", "Description", "Files", "Local copies", "Licence");
        foreach (var d in DatasetRegistry.All)
        {
            var copies = d.LocalCopies().Select(c => $"{c.Kind}: {RunsCommands.Rel(c.Directory)}").ToList();
            table.AddRow(Markup.Escape(d.Name), Markup.Escape(d.Description), d.Files.Count.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(copies.Count == 0 ? "none (praxis datasets download " + d.Name + ")" : string.Join("; ", copies)), Markup.Escape(d.Licence));
        }
        ctx.Console.Write(table);
        ctx.Out.WriteLine($"Cache: {DatasetCache.Root} (set PRAXIS_CACHE to move it).");
        return 0;
    }

    /// <summary>Downloads a dataset's files into the cache, checking each SHA-256.</summary>
    public static int Download(CliContext ctx, string name)
    {
        var d = DatasetRegistry.Get(name);
        ctx.Out.WriteLine($"Downloading {d.Name} from {d.BaseUrl} into {d.CacheDirectory} …");
        try
        {
            foreach (var path in d.Download()) ctx.Out.WriteLine($"  ok  {Path.GetFileName(path)} (SHA-256 verified)");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"downloading {d.Name} failed: {e.Message.TrimEnd('.')}. Is the network reachable? A shipped copy still works: {string.Join(", ", d.LocalCopies().Select(c => c.Directory))}");
        }
        ctx.Out.WriteLine("Done.");
        return 0;
    }

    /// <summary>Verifies the SHA-256 of every local copy; exit code 1 if any file is corrupt.</summary>
    public static int Verify(CliContext ctx, string? name)
    {
        int bad = 0, checkedFiles = 0;
        foreach (var d in name == null ? DatasetRegistry.All : [DatasetRegistry.Get(name)])
        {
            var copies = d.LocalCopies().ToList();
            if (copies.Count == 0)
            {
                ctx.Out.WriteLine($"{d.Name}: no local copy (run: praxis datasets download {d.Name})");
                continue;
            }
            foreach (var (kind, dir) in copies)
            {
                ctx.Out.WriteLine($"{d.Name} ({kind}: {RunsCommands.Rel(dir)})");
                foreach (var (file, sha) in d.Files)
                {
                    string actual = DatasetCache.Sha256(Path.Combine(dir, file));
                    bool ok = string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase);
                    checkedFiles++;
                    if (!ok) bad++;
                    ctx.Out.WriteLine(ok ? $"  ok        {file}" : $"  MISMATCH  {file}: expected {sha}, got {actual}");
                }
            }
        }
        ctx.Out.WriteLine(bad == 0 ? $"{checkedFiles} files verified." : $"{bad} of {checkedFiles} files failed verification.");
        return bad == 0 ? 0 : 1;
    }
}

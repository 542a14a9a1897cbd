using System.Globalization;
using Praxis.Cli.Recipes;
using Praxis.Data;
using Spectre.Console;

namespace Praxis.Cli.Commands;

/// <summary><c>praxis datasets</c>: list the known datasets, download or import them into the cache, verify their checksums.</summary>
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
                Markup.Escape(copies.Count == 0 ? NoCopyHint(d) : string.Join("; ", copies)), Markup.Escape(d.Licence));
        }
        ctx.Console.Write(table);
        ctx.Out.WriteLine($"Cache: {DatasetCache.Root} (set PRAXIS_CACHE to move it). Also searched: $PRAXIS_DATA/NAME, " +
                          $"data/NAME above the program and the working directory{SystemFolders()}.");
        return 0;
    }

    private static string NoCopyHint(DatasetInfo d) => $"none ({HowToGet(d)})";

    /// <summary>The ways to get a copy: download (when there is a URL), import a folder, or the system package.</summary>
    private static string HowToGet(DatasetInfo d)
    {
        string fetch = d.BaseUrl.Length > 0 ? $"praxis datasets download {d.Name}, or " : "";
        string package = d.Manifest.SystemPackage is { } p ? $", or apt-get install {p}" : "";
        return $"{fetch}praxis datasets import {d.Name} DIR{package}";
    }

    private static string SystemFolders() =>
        DatasetManifest.SystemDataDirectories() is { Count: > 0 } dirs ? ", " + string.Join(", ", dirs.Select(r => Path.Combine(r, "datasets", "NAME"))) : "";

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
            var copies = d.LocalCopies().Select(c => c.Directory).ToList();
            throw new CliException($"downloading {d.Name} failed: {e.Message.TrimEnd('.')}. Is the network reachable? " +
                                   (copies.Count > 0 ? $"A local copy still works: {string.Join(", ", copies)}" : $"To use a copy you have: praxis datasets import {d.Name} DIR"));
        }
        ctx.Out.WriteLine("Done.");
        return 0;
    }

    /// <summary>
    /// Copies a local copy of a dataset into the cache: copied to a temporary folder, every file verified (by its own
    /// SHA-256 or its decompressed contents'), then renamed into place; a copy that fails changes nothing.
    /// </summary>
    public static int Import(CliContext ctx, string name, string directory)
    {
        var d = DatasetRegistry.Get(name);
        ctx.Out.WriteLine($"Importing {d.Name} from {directory} into {d.CacheDirectory} …");
        string dest;
        try
        {
            dest = d.Manifest.Import(directory);
        }
        catch (InvalidDataException e)
        {
            throw new CliException(e.Message + " Check that the folder holds the original files, or download them: praxis datasets download " + d.Name);
        }
        foreach (var check in d.Manifest.Verify(dest))
            ctx.Out.WriteLine($"  ok  {check.File.Name} ({(check.Status == FileCheckStatus.Verified ? "SHA-256 verified" : "re-compressed; decompressed contents verified")})");
        ctx.Out.WriteLine($"Done: {dest}");
        return 0;
    }

    /// <summary>Verifies every local copy (by each file's SHA-256, or its decompressed contents'); exit code 1 if any file fails.</summary>
    public static int Verify(CliContext ctx, string? name)
    {
        int bad = 0, checkedFiles = 0;
        foreach (var d in name == null ? DatasetRegistry.All : [DatasetRegistry.Get(name)])
        {
            var copies = d.LocalCopies().ToList();
            if (copies.Count == 0)
            {
                ctx.Out.WriteLine($"{d.Name}: no local copy (run: {HowToGet(d)})");
                continue;
            }
            foreach (var (kind, dir) in copies)
            {
                ctx.Out.WriteLine($"{d.Name} ({kind}: {RunsCommands.Rel(dir)})");
                foreach (var check in d.Manifest.Verify(dir))
                {
                    checkedFiles++;
                    if (!check.Ok) bad++;
                    ctx.Out.WriteLine(check.Status switch
                    {
                        FileCheckStatus.Verified => $"  ok        {check.File.Name}",
                        FileCheckStatus.PayloadVerified => $"  ok        {check.File.Name} (re-compressed; decompressed contents verified)",
                        _ => $"  MISMATCH  {check.File.Name}: {check.Reason}",
                    });
                }
            }
        }
        ctx.Out.WriteLine(bad == 0 ? $"{checkedFiles} files verified." : $"{bad} of {checkedFiles} files failed verification.");
        return bad == 0 ? 0 : 1;
    }
}

namespace Praxis.Cli.Journal;

/// <summary>The folder of run folders: listing them and finding one from what a user types.</summary>
public static class RunStore
{
    /// <summary>Every run folder under <paramref name="root"/>, oldest first.</summary>
    public static List<RunFolder> List(string root)
    {
        if (!Directory.Exists(root)) return new List<RunFolder>();
        return Directory.GetDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, RunFolder.ConfigFile)))
            .Select(RunFolder.Open)
            .OrderBy(r => r.Started)
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Finds a run from a reference: a path to a run folder; a folder name under <paramref name="root"/>;
    /// <c>latest</c> (or <c>last</c>); the number shown by <c>praxis runs</c> (1 = oldest, negative counts from the
    /// newest); or any unique part of a folder name.
    /// </summary>
    public static RunFolder Resolve(string root, string reference)
    {
        if (File.Exists(Path.Combine(reference, RunFolder.ConfigFile))) return RunFolder.Open(reference);
        var runs = List(root);
        if (runs.Count == 0) throw new CliException($"no runs in '{root}' yet; train one with: praxis train seed-mlp");
        if (reference is "latest" or "last") return runs[^1];
        if (int.TryParse(reference, out int n) && n != 0 && Math.Abs(n) <= runs.Count) return n > 0 ? runs[n - 1] : runs[^-n];
        var exact = runs.FirstOrDefault(r => r.Id == reference);
        if (exact != null) return exact;
        var matches = runs.Where(r => r.Id.Contains(reference, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliException($"no run matches '{reference}' in '{root}'. See the list with: praxis runs"),
            _ => throw new CliException($"'{reference}' matches {matches.Count} runs ({string.Join(", ", matches.Take(5).Select(r => r.Id))}{(matches.Count > 5 ? ", …" : "")}); give more of the name."),
        };
    }

    /// <summary>The newest run with a trained model (for <c>predict</c>, <c>evaluate</c> and <c>export</c> without a run named).</summary>
    public static RunFolder LatestWithModel(string root)
    {
        var runs = List(root);
        for (int i = runs.Count - 1; i >= 0; i--)
            if (runs[i].HasModel) return runs[i];
        throw new CliException(runs.Count == 0
            ? $"no runs in '{root}' yet; train one first: praxis train seed-mlp"
            : $"no run in '{root}' has a trained model; train one first: praxis train seed-mlp");
    }
}

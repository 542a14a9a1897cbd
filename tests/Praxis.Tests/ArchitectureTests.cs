using System.Text.RegularExpressions;

namespace Praxis.Tests;

/// <summary>
/// The dependency direction of docs/ARCHITECTURE.md ("Dependency direction"): each part of src/Praxis refers only to
/// parts on its level or below it, apart from the upward edges listed (with their reason) in <see cref="AllowedUpward"/>.
/// A file's part is its folder (IO is split into file formats and model serialization); a reference is a
/// <c>using</c> directive, a qualified name (<c>Praxis.Models.Model</c>, <c>Models.Model</c>), or a type of the shared
/// <c>Praxis</c> namespace (Tensors, Ops) used by name.
/// </summary>
public partial class ArchitectureTests
{
    /// <summary>Levels, lowest first; a part may use parts on its own level or lower ones.</summary>
    private static readonly Dictionary<string, int> Levels = new()
    {
        ["Kernels"] = 0,
        ["Tensors"] = 1, ["Autograd"] = 1, ["IO formats"] = 1,
        ["Ops"] = 2,
        ["Initializers"] = 3, ["Regularizers"] = 3, ["Losses"] = 3, ["Metrics"] = 3, ["Optimizers"] = 3, ["Data"] = 3,
        ["Layers"] = 4,
        ["Models"] = 5, ["Callbacks"] = 5, ["IO serialization"] = 5,
        ["Distributed"] = 6,
        ["Keras"] = 7,
    };

    /// <summary>The upward edges that exist on purpose. A new one fails the test; so does an entry no longer needed.</summary>
    private static readonly Dictionary<(string From, string To), string> AllowedUpward = new()
    {
        [("Kernels", "Tensors")] = "ConvGeometry, shared by kernels, ops and layers, reports bad sizes with Size2 and ShapeMismatchException",
        [("Models", "Keras")] = "GPT-2 and the decoder use the facade's seed and sampling helpers",
    };

    // IO files that read and write formats (no knowledge of layers or models); the rest of IO serializes models.
    private static readonly HashSet<string> IoFormats = new(StringComparer.Ordinal)
    {
        "AtomicFile.cs", "IRandomStateful.cs", "JsonEscapes.cs", "MappedSafeTensors.cs", "Png.cs", "SafeTensors.cs",
    };

    private static readonly string[] Namespaces =
        ["Autograd", "Callbacks", "Data", "Distributed", "IO", "Initializers", "Kernels", "Layers", "Losses", "Metrics", "Models", "Optimizers", "Regularizers"];

    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Praxis.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException($"No Praxis.sln above {AppContext.BaseDirectory}.");
    }

    private static string PartOf(string relative)
    {
        var segments = relative.Split('/');
        if (segments.Length == 1) return segments[0] == "Keras.cs" ? "Keras" : "Tensors"; // PraxisInfo, Sampling: plain helpers
        if (segments[0] == "IO") return IoFormats.Contains(segments[^1]) ? "IO formats" : "IO serialization";
        return segments[0];
    }

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@?\$?""(?:[^""\\\n]|\\.)*""", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    [GeneratedRegex(@"^(?:(?:public|internal|static|sealed|abstract|partial|readonly|ref|file)\s+)*(?:class|struct|interface|enum|record(?:\s+struct)?)\s+([A-Z]\w*)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"(?<![\w.])(?:Praxis\.)?([A-Z]\w*)\.([A-Z]\w*)")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\b")]
    private static partial Regex Identifier();

    /// <summary>Every (from part, to part) reference in src/Praxis, with one example (file: name) each.</summary>
    private static Dictionary<(string From, string To), string> Edges()
    {
        string src = Path.Combine(Root(), "src", "Praxis");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(src, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .ToDictionary(f => f, f => CommentsAndStrings().Replace(File.ReadAllText(Path.Combine(src, f)), " "));

        // Types of each part's namespace, by name. The shared Praxis namespace (Tensors, Ops, helpers) is visible from
        // every file without a using, so its types are found by name; a partial type belongs to its Tensors part.
        var typesByNamespace = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (file, text) in files)
        {
            var ns = Regex.Match(text, @"^namespace\s+Praxis(?:\.(\w+))?", RegexOptions.Multiline);
            if (!ns.Success) continue;
            string key = ns.Groups[1].Success ? ns.Groups[1].Value : "";
            if (!typesByNamespace.TryGetValue(key, out var types)) typesByNamespace[key] = types = new();
            foreach (Match m in TopLevelType().Matches(text))
            {
                string name = m.Groups[1].Value, part = PartOf(file);
                if (!types.ContainsKey(name) || part == "Tensors") types[name] = part;
            }
        }
        var rootTypes = typesByNamespace.GetValueOrDefault("") ?? new();

        var edges = new Dictionary<(string, string), string>();
        void Add(string from, string to, string where)
        {
            if (from != to) edges.TryAdd((from, to), where);
        }
        foreach (var (file, text) in files)
        {
            string from = PartOf(file);
            foreach (Match m in QualifiedName().Matches(text))
            {
                string ns = m.Groups[1].Value, member = m.Groups[2].Value;
                if (Array.IndexOf(Namespaces, ns) < 0 || !typesByNamespace.TryGetValue(ns, out var types)) continue;
                // Models.Model, Praxis.IO.ModelFile: the named type's part (IO splits in two); a using names the namespace.
                if (types.TryGetValue(member, out var part)) Add(from, part, $"{file}: {m.Value}");
                else if (ns == member || m.Value.StartsWith("Praxis.", StringComparison.Ordinal)) Add(from, ns == "IO" ? "IO serialization" : ns, $"{file}: {m.Value}");
            }
            foreach (Match u in Regex.Matches(text, @"^\s*using\s+(?:static\s+)?Praxis\.(\w+)(?:\.\w+)*\s*;", RegexOptions.Multiline))
            {
                string ns = u.Groups[1].Value;
                if (ns == "IO")
                {
                    // A using of Praxis.IO is attributed to the IO types the file names.
                    foreach (var (name, part) in typesByNamespace["IO"])
                        if (Regex.IsMatch(text, $@"(?<![\w.]){name}\b")) Add(from, part, $"{file}: {name}");
                }
                else if (Array.IndexOf(Namespaces, ns) >= 0) Add(from, ns, $"{file}: {u.Value.Trim()}");
            }
            foreach (Match m in Identifier().Matches(text))
                if (rootTypes.TryGetValue(m.Groups[1].Value, out var part)) Add(from, part, $"{file}: {m.Value}");
        }
        return edges;
    }

    [Fact]
    public void NoPartOfTheLibraryPointsUpward()
    {
        var edges = Edges();
        Assert.True(edges.Count > 20, $"the scan found only {edges.Count} references; is src/Praxis where it was?");
        var unknown = edges.Keys.SelectMany(e => new[] { e.From, e.To }).Where(p => !Levels.ContainsKey(p)).Distinct().ToList();
        Assert.True(unknown.Count == 0, $"Parts without a level in ArchitectureTests.Levels: {string.Join(", ", unknown)}.");
        var upward = edges.Where(e => Levels[e.Key.From] < Levels[e.Key.To]).ToList();
        var bad = upward.Where(e => !AllowedUpward.ContainsKey(e.Key)).Select(e => $"{e.Key.From} → {e.Key.To} ({e.Value})").ToList();
        Assert.True(bad.Count == 0, "Upward references (a lower part using a higher one; see docs/ARCHITECTURE.md):\n" + string.Join("\n", bad));
        var stale = AllowedUpward.Keys.Where(k => !edges.ContainsKey(k)).Select(k => $"{k.From} → {k.To}").ToList();
        Assert.True(stale.Count == 0, $"AllowedUpward lists edges that no longer exist; remove them: {string.Join(", ", stale)}.");
    }

    [Fact]
    public void TheScanSeesAKnownReferenceOfEachKind()
    {
        var edges = Edges();
        Assert.Contains(("Layers", "Kernels"), edges.Keys);      // using Praxis.Kernels
        Assert.Contains(("Ops", "Tensors"), edges.Keys);         // Shape, used by name in the shared namespace
        Assert.Contains(("IO serialization", "Models"), edges.Keys);
        Assert.Contains(("Layers", "IO formats"), edges.Keys);   // Praxis.IO.IRandomStateful
    }
}

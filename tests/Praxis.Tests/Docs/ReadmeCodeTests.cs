using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Praxis.Tests.Docs;

/// <summary>
/// Every ```csharp block of the README and of the package README compiles against the Praxis assembly, with the C#
/// compiler of the SDK's own version (Roslyn from NuGet). A block is a whole program (top-level statements) and must
/// compile as shown in a new console project (<c>dotnet new console</c> + <c>dotnet add package Praxis</c>: the SDK's
/// implicit usings, nullable on, warnings as errors). A block that is a fragment by design says so in an HTML comment
/// on the line before it, <c>&lt;!-- csharp-fragment: DECLARATIONS --&gt;</c>: it is compiled as a program after the
/// Praxis usings and those declarations (the variables and functions it takes from the text around it), so it must
/// still use the API as it is, but may leave out the data and the model it works on.
/// </summary>
public class ReadmeCodeTests
{
    private const string FragmentMarker = "<!-- csharp-fragment";

    // The usings `dotnet new console` gets from ImplicitUsings (Microsoft.NET.Sdk).
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    // What a fragment may use without saying so: Praxis' namespaces.
    private static readonly string[] FragmentUsings =
    [
        "Praxis", "Praxis.Autograd", "Praxis.Callbacks", "Praxis.Data", "Praxis.Distributed", "Praxis.Distributed.Mpi",
        "Praxis.Layers", "Praxis.Losses", "Praxis.Metrics", "Praxis.Models", "Praxis.Optimizers",
    ];

    /// <summary>One fenced block: where it starts, its code, and the fragment declarations (null for a whole program).</summary>
    public sealed record Block(string File, int Line, string Code, string? FragmentDeclarations);

    public static TheoryData<string> Readmes => new() { "README.md", "docs/package/README.md" };

    [Theory]
    [MemberData(nameof(Readmes))]
    public void EveryCSharpBlockCompiles(string readme)
    {
        var blocks = ReadBlocks(Path.Combine(RepoRoot(), readme));
        Assert.NotEmpty(blocks);
        var failures = new StringBuilder();
        foreach (var block in blocks)
        {
            var diagnostics = Compile(block);
            if (diagnostics.Count > 0)
                failures.AppendLine($"{block.File}, the block at line {block.Line} ({(block.FragmentDeclarations is null ? "whole program" : "fragment")}):")
                        .AppendLine(string.Join(Environment.NewLine, diagnostics.Select(d => "  " + d)));
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    /// <summary>The seed program is shown whole in both READMEs: usings, data loading, model, training, evaluation.</summary>
    [Theory]
    [MemberData(nameof(Readmes))]
    public void TheSeedProgramIsAWholeProgram(string readme)
    {
        var seed = ReadBlocks(Path.Combine(RepoRoot(), readme)).Where(b => b.Code.Contains("new Dense(64, activation: \"relu\")")).ToList();
        Assert.NotEmpty(seed);
        Assert.All(seed, b =>
        {
            Assert.Null(b.FragmentDeclarations);
            Assert.Contains("Mnist.LoadData()", b.Code);
            Assert.Contains("ToCategorical", b.Code);
        });
    }

    /// <summary>The check itself can fail: a block that misuses the API, or a whole program missing a using, is reported.</summary>
    [Fact]
    public void ABrokenBlockIsReported()
    {
        Assert.Contains(Compile(new Block("t", 1, "var model = new Praxis.Models.Model();\nmodel.Fit(epochs: \"five\");", null)), d => d.Contains("error"));
        Assert.Contains(Compile(new Block("t", 1, "var d = new Dense(3);", null)), d => d.Contains("CS0246"));  // no using Praxis.Layers
        Assert.Empty(Compile(new Block("t", 1, "var d = new Dense(3);", "")));                                  // a fragment has it
        Assert.Contains(Compile(new Block("t", 1, "model.Fit(x, epochs: 1);", "Model model = null!;")), d => d.Contains("CS0103")); // x undeclared
        Assert.Contains(Compile(new Block("t", 1, "string s = null;\nConsole.WriteLine(s);", null)), d => d.Contains("CS8600")); // warnings count
    }

    [Fact]
    public void BlocksAndMarkersAreRead()
    {
        string path = Path.Combine(Path.GetTempPath(), $"praxis-readme-{Guid.NewGuid():N}.md");
        File.WriteAllText(path, "text\n\n```csharp\nvar a = 1;\n```\n\n<!-- csharp-fragment: Model model = null!; -->\n  ```csharp\n  model.Summary();\n  ```\n```python\nx = 1\n```\n");
        try
        {
            var blocks = ReadBlocks(path);
            Assert.Equal(2, blocks.Count);
            Assert.Equal((3, "var a = 1;\n", (string?)null), (blocks[0].Line, blocks[0].Code, blocks[0].FragmentDeclarations));
            Assert.Equal((8, "model.Summary();\n", "Model model = null!;"), (blocks[1].Line, blocks[1].Code, blocks[1].FragmentDeclarations));
        }
        finally { File.Delete(path); }
    }

    /// <summary>The ```csharp blocks of a Markdown file, each with the fragment marker on the line before it, if any.</summary>
    public static List<Block> ReadBlocks(string path)
    {
        var lines = File.ReadAllLines(path);
        var blocks = new List<Block>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp") continue;
            int indent = lines[i].IndexOf('`');
            string? declarations = null;
            string previous = i > 0 ? lines[i - 1].Trim() : "";
            if (previous.StartsWith(FragmentMarker, StringComparison.Ordinal))
            {
                if (!previous.EndsWith("-->", StringComparison.Ordinal))
                    throw new InvalidDataException($"{path}:{i}: a fragment marker must be one line ending in -->");
                string rest = previous[FragmentMarker.Length..^3].Trim();
                declarations = rest.StartsWith(':') ? rest[1..].Trim() : rest;
            }
            var code = new StringBuilder();
            int start = i + 1, j = i + 1;
            for (; j < lines.Length && lines[j].Trim() != "```"; j++)
                code.Append(lines[j].Length >= indent && string.IsNullOrWhiteSpace(lines[j][..indent]) ? lines[j][indent..] : lines[j].TrimStart()).Append('\n');
            if (j == lines.Length) throw new InvalidDataException($"{path}:{start}: the ```csharp block is not closed");
            blocks.Add(new Block(path, start, code.ToString(), declarations));
            i = j;
        }
        return blocks;
    }

    /// <summary>Errors and warnings from compiling a block, as "line N: error CSxxxx: message" with N the file's line (empty when it compiles).</summary>
    public static List<string> Compile(Block block)
    {
        bool whole = block.FragmentDeclarations is null;
        var parse = new CSharpParseOptions(LanguageVersion.Default);
        var implicitUsings = CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), parse, "ImplicitUsings.cs");
        // #line: messages give the line in the README.
        var program = CSharpSyntaxTree.ParseText(whole ? $"#line {block.Line}\n{block.Code}" : FragmentProgram(block), parse, block.File);
        var options = new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable);
        var compilation = CSharpCompilation.Create("ReadmeProgram", [implicitUsings, program], References(fragment: !whole), options);
        return compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error || (whole && d.Severity == DiagnosticSeverity.Warning))
            .Select(d =>
            {
                var at = d.Location.GetMappedLineSpan().StartLinePosition;
                return $"line {at.Line + 1}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage()}";
            })
            .ToList();
    }

    /// <summary>
    /// A fragment as a top-level program: Praxis' usings, the declared variables, the fragment's statements, then its
    /// types (a README may show a class before the lines that use it; C# wants statements first). Declared functions go
    /// to a static class imported with <c>using static</c>, so the fragment's own classes can call them too.
    /// </summary>
    private static string FragmentProgram(Block block)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Default);
        var code = CSharpSyntaxTree.ParseText(block.Code, parse).GetCompilationUnitRoot();
        var given = CSharpSyntaxTree.ParseText(block.FragmentDeclarations!, parse).GetCompilationUnitRoot();
        var text = new StringBuilder();
        foreach (var u in FragmentUsings) text.Append($"using {u};\n");
        text.Append("using static Praxis.Keras;\nusing static ReadmeGiven;\n");
        foreach (var u in code.Usings) text.Append(u.ToFullString().Trim()).Append('\n');
        var functions = new StringBuilder();
        foreach (var member in given.Members)
        {
            if (member is GlobalStatementSyntax { Statement: LocalFunctionStatementSyntax f })
                functions.Append("    internal ").Append(f.ToString()).Append('\n');
            else
                text.Append(member.ToString()).Append('\n');
        }
        // Statements first, then declarations, each under a #line of where it stands in the README block.
        foreach (var member in code.Members.Where(m => m is GlobalStatementSyntax).Concat(code.Members.Where(m => m is not GlobalStatementSyntax)))
        {
            int line = block.Line + member.GetLocation().GetLineSpan().StartLinePosition.Line;
            text.Append($"#line {line}\n").Append(member.ToString()).Append('\n');
        }
        text.Append("#line default\nstatic class ReadmeGiven\n{\n").Append(functions).Append("}\n");
        return text.ToString();
    }

    /// <summary>
    /// The shared framework, Praxis and what its package brings (System.Numerics.Tensors, Google.Protobuf); fragments
    /// also see Praxis.Distributed.Mpi, the package of the MPI example.
    /// </summary>
    private static List<MetadataReference> References(bool fragment)
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == framework).ToList();
        paths.Add(typeof(Tensor).Assembly.Location);
        paths.Add(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location);
        paths.Add(typeof(Google.Protobuf.MessageParser).Assembly.Location);
        if (fragment) paths.Add(Path.Combine(AppContext.BaseDirectory, "Praxis.Distributed.Mpi.dll"));
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Praxis.sln")) && File.Exists(Path.Combine(d.FullName, "README.md"))) return d.FullName;
        throw new DirectoryNotFoundException($"No Praxis.sln with a README.md above {AppContext.BaseDirectory}.");
    }
}

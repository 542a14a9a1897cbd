using Praxis.Cli;

[assembly: CollectionBehavior(DisableTestParallelization = true)] // the library's random seed and layer names are global

namespace Praxis.Cli.Tests;

/// <summary>Runs the praxis command in-process, as a pipe would see it (not a terminal).</summary>
internal static class CliHarness
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(params string[] args)
    {
        var o = new StringWriter { NewLine = "\n" };
        var e = new StringWriter { NewLine = "\n" };
        int rc = PraxisCli.Run(args, new CliContext(o, e, isTerminal: false));
        return new Result(rc, o.ToString(), e.ToString());
    }
}

/// <summary>Two short seed-mlp runs in a temporary journal, shared by the tests that read runs.</summary>
public sealed class TrainedRuns : IDisposable
{
    /// <summary>The collection whose tests share one instance (two trainings for the whole assembly).</summary>
    public const string Collection = "Trained runs";

    public TrainedRuns()
    {
        Root = Directory.CreateTempSubdirectory("praxis-cli-runs-").FullName;
        First = CliHarness.Run("train", "seed-mlp", "--epochs", "2", "--samples", "6000", "--runs-dir", Root);
        Second = CliHarness.Run("train", "seed-mlp", "--epochs", "3", "--samples", "6000", "--lr", "0.003", "--seed", "7", "--runs-dir", Root);
        var dirs = Directory.GetDirectories(Root).Order(StringComparer.Ordinal).ToArray();
        FirstDir = dirs[0];
        SecondDir = dirs[^1];
    }

    public string Root { get; }
    internal CliHarness.Result First { get; }
    internal CliHarness.Result Second { get; }
    public string FirstDir { get; }
    public string SecondDir { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Shares one <see cref="TrainedRuns"/> between the test classes.</summary>
[CollectionDefinition(TrainedRuns.Collection)]
public sealed class TrainedRunsCollection : ICollectionFixture<TrainedRuns>;

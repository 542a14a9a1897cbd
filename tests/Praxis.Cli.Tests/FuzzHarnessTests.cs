using Praxis.Fuzz;
using Xunit.Abstractions;

namespace Praxis.Cli.Tests;

/// <summary>
/// The bounded CI mode of bench/fuzz (issue 18): a fixed-seed sample of cases over every parser and loader, each
/// within the harness' memory and time bounds, in well under a minute. The long mode's figures are in bench/RESULTS.md.
/// </summary>
/// <remarks>
/// It runs alone (no other test class at the same time): the peak-RSS bound is per process, so a CLI test training a
/// model in parallel grew a 0 ms case's peak RSS by 90 MiB and flagged it.
/// </remarks>
[Collection(FuzzAlone.Name)]
public class FuzzHarnessTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryParserFailsCleanlyWithinItsBounds()
    {
        var report = FuzzHarness.Run(cases: 25_000, FuzzHarness.DefaultSeed, budget: TimeSpan.FromSeconds(40));
        output.WriteLine(report.Format());
        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures.Take(3)));
        Assert.True(report.Flagged.Count == 0, string.Join("\n", report.Flagged.Take(5)));
        Assert.True(report.Cases >= 5_000, $"only {report.Cases} cases ran within the budget");
        // Every target ran, and the mutations both pass and fail the checks.
        Assert.Equal(12, report.PerTarget.Count);
        Assert.Contains(report.Outcomes, o => o.Key.EndsWith(": loaded", StringComparison.Ordinal));
        Assert.Contains(report.Outcomes, o => o.Key.EndsWith(": InvalidDataException", StringComparison.Ordinal));
        Assert.Contains(report.Outcomes, o => o.Key.EndsWith(": CliException", StringComparison.Ordinal));
    }
}

/// <summary>The fuzz harness' collection: run after the parallel tests, with nothing beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzAlone
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Fuzz harness alone";
}

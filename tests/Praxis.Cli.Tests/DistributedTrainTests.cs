using System.Text.Json.Nodes;
using Praxis.Tests.Distributed;

namespace Praxis.Cli.Tests;

/// <summary><c>mpirun -np 2 dotnet Praxis.Cli.dll train seed-mlp --distributed</c>: one run, kept and reported by rank 0.</summary>
[Collection("MPI jobs")]
public sealed class DistributedTrainTests : IDisposable
{
    private readonly string _runs = Directory.CreateTempSubdirectory("praxis-cli-mpi-").FullName;

    public void Dispose() => Directory.Delete(_runs, recursive: true);

    [MpiFact]
    public void TwoRanksTrainOneRunThatRankZeroReportsAndKeeps()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Praxis.Cli.dll");
        var r = MpiJob.RunProgram(2, TimeSpan.FromMinutes(3), cli,
            "train", "seed-mlp", "--distributed", "--epochs", "2", "--samples", "4000", "--quiet", "--output", _runs);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Single(r.Lines, l => l.Line.Contains("Test accuracy:")); // rank 0 alone reports

        var run = Assert.Single(Directory.GetDirectories(_runs)); // and alone keeps the journal
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        Assert.Equal(2, config["distributed"]!["ranks"]!.GetValue<int>());
        Assert.Equal(64, config["distributed"]!["global_batch_size"]!.GetValue<int>());
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "result.json")))!;
        Assert.Equal("completed", result["status"]!.GetValue<string>());
        Assert.Equal(2, result["epochs_run"]!.GetValue<int>());
        Assert.True(result["test"]!["accuracy"]!.GetValue<double>() > 0.8, result.ToJsonString());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length); // header + one row per epoch, written once
    }
}

namespace Praxis.Tests.Distributed;

/// <summary>
/// The one-process reference run (plain Fit, batch 32, no MPI), made once for the class: the worker trains the seed MLP
/// on real MNIST rows in two scenarios and writes the weights and per-epoch logs.
/// </summary>
public sealed class ReferenceRun : IDisposable
{
    private readonly Lazy<string> _dir;

    public ReferenceRun() => _dir = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("praxis-mpi-ref-").FullName;
        var r = MpiJob.RunAlone(TimeSpan.FromMinutes(2), "train", "--out", dir, "--single");
        Assert.True(r.ExitCode == 0, $"reference run failed: {r}");
        return dir;
    });

    public string Dir => _dir.Value;

    public void Dispose()
    {
        if (_dir.IsValueCreated) Directory.Delete(_dir.Value, recursive: true);
    }
}

/// <summary>
/// Data-parallel training on 2 ranks under Open MPI's mpirun (skipped without it): the collectives, equivalence with one
/// process, and failing fast.
/// </summary>
[Collection("MPI jobs")]
public sealed class MpiTrainingTests(ReferenceRun reference) : IClassFixture<ReferenceRun>, IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly string _out = Directory.CreateTempSubdirectory("praxis-mpi-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [MpiFact]
    public void EveryCollectiveGivesThePredictedValuesOnTwoRanks()
    {
        var r = MpiJob.Run(2, Limit, "selftest");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("selftest ok rank 0 of 2", r.Output);
        Assert.Contains("selftest ok rank 1 of 2", r.Output);
    }

    [MpiFact]
    public void TwoRanksOfBatch16EqualOneProcessOfBatch32After100Steps()
    {
        var r = MpiJob.Run(2, Limit, "train", "--out", _out);
        Assert.True(r.ExitCode == 0, r.ToString());
        // 100 steps: 2 epochs of 1600 samples in global batches of 2 × 16; "ragged" adds a short last batch (8 samples,
        // all on rank 0) and checks the per-rank weighting of the gradient.
        Assert.Contains("rank0: fit even done, 100 data-parallel steps", r.Output);
        AssertSameTraining("even", 1e-5);
        AssertSameTraining("ragged", 1e-5);
        // A custom TrainStep and a two-output model go through the general path (gradients combined in ApplyGradients);
        // the same equivalence holds, rank 1's empty last share included.
        AssertSameTraining("custom", 1e-5);
        AssertSameTraining("heads", 1e-5);

        // Only rank 0 prints progress (one "Epoch 1/2" line for the job), and steps allocate nothing on either rank.
        Assert.Single(r.Lines, l => l.Line.Contains("Epoch 1/2"));
        Assert.Contains("rank0: fit even done, 100 data-parallel steps in 1 bucket(s), 0 started during backward, 0.0 bytes allocated per step", r.Output);
        Assert.Contains("rank1: fit even done, 100 data-parallel steps in 1 bucket(s), 0 started during backward, 0.0 bytes allocated per step", r.Output);
    }

    [MpiFact]
    public void SmallBucketsStartDuringBackwardAndGiveTheSameWeights()
    {
        // 1 KiB buckets split the seed model's gradients into 4 buckets; the second layer's two start while backward
        // still has the first layer to do.
        var r = MpiJob.Run(2, Limit, "train", "--out", _out, "--bucket-mb", "0.001");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("rank0: fit even done, 100 data-parallel steps in 4 bucket(s), 200 started during backward, 0.0 bytes allocated per step", r.Output);
        AssertSameTraining("even", 1e-5);
    }

    [MpiFact]
    public void AStopDecidedOnOneRankStopsEveryRankAfterTheSameStep()
    {
        // Rank 1 alone sets StopTraining after batch 20; the flag travels with step 21's gradients, so both ranks leave
        // after step 21 (22 steps) with the same weights, and neither waits for the other.
        var r = MpiJob.Run(2, Limit, "train", "--out", _out, "--stop-at", "20");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("rank0: fit even done, 22 data-parallel steps", r.Output);
        Assert.Contains("rank1: fit even done, 22 data-parallel steps", r.Output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_out, "even-rank0.bin")), File.ReadAllBytes(Path.Combine(_out, "even-rank1.bin")));

        // Set after the epoch's last step (batch 49), the flag is agreed before the next epoch: both stop after 50 steps.
        r = MpiJob.Run(2, Limit, "train", "--out", _out, "--stop-at", "49");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("rank0: fit even done, 50 data-parallel steps", r.Output);
        Assert.Contains("rank1: fit even done, 50 data-parallel steps", r.Output);
    }

    [MpiFact]
    public void KillingOneRankEndsTheJobFastWithTheRankAndTheSignal()
    {
        var r = MpiJob.Run(2, Limit, "train", "--out", _out, "--fail", "kill", "--fail-rank", "1", "--fail-at", "10");
        Assert.False(r.TimedOut, $"the job hung after rank 1 died: {r}");
        Assert.NotEqual(0, r.ExitCode);
        var killed = r.Lines.FindIndex(l => l.Line.Contains("rank 1: failing (kill) at batch 10"));
        Assert.True(killed >= 0, r.ToString());
        var afterKill = r.Elapsed - r.Lines[killed].At;
        Assert.True(afterKill < TimeSpan.FromSeconds(30), $"the job took {afterKill.TotalSeconds:F1}s to end after rank 1 died: {r}");
        Assert.Contains("process rank 1", r.Output);
        Assert.Contains("signal 9", r.Output);
        Assert.DoesNotContain("rank0: fit even done", r.Output); // rank 0 did not go on alone
    }

    [MpiFact]
    public void AnErrorOnOneRankAbortsEveryRankWithTheRankAndTheMessage()
    {
        var r = MpiJob.Run(2, Limit, "train", "--out", _out, "--fail", "throw", "--fail-rank", "1", "--fail-at", "10");
        Assert.False(r.TimedOut, $"the job hung after rank 1 threw: {r}");
        Assert.NotEqual(0, r.ExitCode);
        // Our own report, flushed before MPI_Abort (Open MPI's "MPI_ABORT was invoked" notice usually follows, but mpirun
        // may drop it while it tears the job down, so it is not asserted).
        Assert.Contains("praxis: rank 1 of 2 failed in Fit: InvalidOperationException: injected failure at batch 10", r.Output);
        Assert.Contains("praxis: aborting all 2 ranks (mpi)", r.Output);
        Assert.DoesNotContain("rank0: fit even done", r.Output);
    }

    [MpiFact]
    public void RanksThatDisagreeOnTheDataStopBeforeTrainingWithAClearError()
    {
        var r = MpiJob.Run(2, Limit, "train", "--out", _out, "--mismatch");
        Assert.False(r.TimedOut, r.ToString());
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("rank1: setup error: rank 1 of 2 disagrees with rank 0 on the number of training samples: 1599 here, 1600 on rank 0", r.Output);
        Assert.Contains("rank0: setup error: Data-parallel Fit: 1 rank(s) disagree with rank 0", r.Output);
    }

    /// <summary>
    /// Rank 0 and rank 1 end with identical weights; both match the one-process run to within <paramref name="tolerance"/>
    /// relative (each tensor's L2 distance over its norm, and the largest element difference over the largest element),
    /// as do the per-epoch loss, accuracy and validation metrics.
    /// </summary>
    private void AssertSameTraining(string scenario, double tolerance)
    {
        var single = MpiJob.ReadWeights(Path.Combine(reference.Dir, $"{scenario}-single.bin"));
        var rank0 = MpiJob.ReadWeights(Path.Combine(_out, $"{scenario}-rank0.bin"));
        var rank1 = MpiJob.ReadWeights(Path.Combine(_out, $"{scenario}-rank1.bin"));
        Assert.Equal(single.Count, rank0.Count);
        for (int t = 0; t < single.Count; t++)
        {
            Assert.Equal(rank0[t], rank1[t]);
            double diff = 0, norm = 0, maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < single[t].Length; i++)
            {
                double d = rank0[t][i] - single[t][i];
                diff += d * d;
                norm += (double)single[t][i] * single[t][i];
                maxDiff = Math.Max(maxDiff, Math.Abs(d));
                maxAbs = Math.Max(maxAbs, Math.Abs(single[t][i]));
            }
            // A tensor of zeros (the frozen bias in "ragged") must stay exactly zero.
            double rel = norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm), relMax = maxAbs == 0 ? maxDiff : maxDiff / maxAbs;
            Assert.True(rel <= tolerance && relMax <= tolerance,
                $"{scenario}: weight {t} differs from the one-process run by {rel:E2} (L2, relative) and {relMax:E2} (max element, relative)");
        }
        var h1 = MpiJob.ReadHistory(Path.Combine(reference.Dir, $"{scenario}-single.history"));
        var h0 = MpiJob.ReadHistory(Path.Combine(_out, $"{scenario}-rank0.history"));
        Assert.Equal(h1.Keys.Order(), h0.Keys.Order());
        foreach (var (key, values) in h1)
            for (int e = 0; e < values.Length; e++)
                Assert.True(Math.Abs(h0[key][e] - values[e]) <= tolerance * Math.Max(1, Math.Abs(values[e])),
                    $"{scenario}: {key} at epoch {e + 1} is {h0[key][e]} on 2 ranks and {values[e]} in one process");
        Assert.Equal(File.ReadAllText(Path.Combine(_out, $"{scenario}-rank0.history")), File.ReadAllText(Path.Combine(_out, $"{scenario}-rank1.history")));
    }
}

using System.Text.Json;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using Praxis.Tests.IO;
using static Praxis.Keras;

namespace Praxis.Tests.Optimizers;

/// <summary>
/// Adamax, Nadam, Adagrad, Adadelta and Lion against PyTorch float64 trajectories (Lion from the paper's algorithm),
/// and the Keras schedules against Keras 3's formulas, from <c>Fixtures/make_optimizer_reference_2.py</c>; schedules
/// and the new optimizers survive save/load.
/// </summary>
[Collection("Global state")]
public class ScheduleAndOptimizerReferenceTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "optimizer_reference_2.json"))).RootElement;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static Optimizer Make(string name) => name switch
    {
        "adamax" => new Adamax(0.01f, 0.9f, 0.999f, epsilon: 0f),
        "nadam" => new Nadam(0.01f, 0.9f, 0.999f, epsilon: 0f),
        "adagrad" => new Adagrad(0.1f, initialAccumulatorValue: 0.1f, epsilon: 0f),
        "adadelta" => new Adadelta(1f, rho: 0.9f, epsilon: 1e-6f),
        "lion" => new Lion(0.01f, 0.9f, 0.99f),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("adamax")]
    [InlineData("nadam")]
    [InlineData("adagrad")]
    [InlineData("adadelta")]
    [InlineData("lion")]
    public void StepsFollowTheReferenceTrajectory(string name)
    {
        var w = Tensor.FromArray(Floats(Root.GetProperty("w0")));
        w.RequiresGrad = true;
        var opt = Make(name);
        var grads = Root.GetProperty("grads").EnumerateArray().Select(Floats).ToArray();
        var expected = Root.GetProperty(name).EnumerateArray().Select(Floats).ToArray();
        for (int t = 0; t < grads.Length; t++)
        {
            w.Grad = Tensor.FromArray(grads[t]);
            opt.Step([w]);
            var got = w.ToArray();
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(got[i] - expected[t][i]) <= 2e-6 + 2e-6 * Math.Abs(expected[t][i]),
                    $"{name} step {t + 1} weight {i}: {got[i]} vs reference {expected[t][i]}");
        }
    }

    private static LearningRateSchedule Schedule(string name) => name switch
    {
        "exponential" => new ExponentialDecay(0.1, 10, 0.5),
        "exponential_staircase" => new ExponentialDecay(0.1, 10, 0.5, staircase: true),
        "piecewise" => new PiecewiseConstantDecay([5, 12], [1.0, 0.5, 0.1]),
        "polynomial" => new PolynomialDecay(0.1, 10, 0.01, power: 2.0),
        "polynomial_cycle" => new PolynomialDecay(0.1, 10, 0.01, power: 2.0, cycle: true),
        "inverse_time" => new InverseTimeDecay(0.1, 10, 0.5),
        "inverse_time_staircase" => new InverseTimeDecay(0.1, 10, 0.5, staircase: true),
        "restarts" => new CosineDecayRestarts(0.1, 4),
        "restarts_tmul1" => new CosineDecayRestarts(0.1, 4, tMul: 1.0, mMul: 0.5, alpha: 0.1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("exponential")]
    [InlineData("exponential_staircase")]
    [InlineData("piecewise")]
    [InlineData("polynomial")]
    [InlineData("polynomial_cycle")]
    [InlineData("inverse_time")]
    [InlineData("inverse_time_staircase")]
    [InlineData("restarts")]
    [InlineData("restarts_tmul1")]
    public void SchedulesFollowKerasFormulas(string name)
    {
        var steps = Root.GetProperty("schedule_steps").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var want = Floats(Root.GetProperty("schedules").GetProperty(name));
        var s = Schedule(name);
        for (int i = 0; i < steps.Length; i++)
            Assert.True(Math.Abs(s.Compute(steps[i]) - want[i]) <= 1e-7 + 1e-6 * want[i], $"{name} step {steps[i]}: {s.Compute(steps[i])} vs Keras {want[i]}");
    }

    [Fact]
    public void BadScheduleArgumentsAreRefused()
    {
        Assert.Contains("one more element", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([5], [1.0])).Message);
        Assert.Contains("must increase", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([5, 3], [1.0, 0.5, 0.1])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1, 0, 0.5));
    }

    [Theory]
    [InlineData("adamax")]
    [InlineData("nadam")]
    [InlineData("adagrad")]
    [InlineData("adadelta")]
    [InlineData("lion")]
    public void OptimizerAndScheduleSurviveSaveLoad(string name)
    {
        ClearSession();
        SetRandomSeed(21);
        var model = new Sequential([new InputLayer([3]), new Dense(2)]);
        var opt = Optimizer.Get(name);
        Assert.Equal(name, opt.Name);
        opt.Schedule = new PiecewiseConstantDecay([1, 3], [0.05, 0.02, 0.01]);
        model.Compile(opt, "mse");
        var x = Tensor.RandomNormal(new Shape(8, 3), rng: new Rng(5));
        var y = Tensor.RandomNormal(new Shape(8, 2), rng: new Rng(6));
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        using var dir = new TempDir();
        model.Save(dir.File("m.praxis"));
        var loaded = Model.Load(dir.File("m.praxis"));
        Assert.Equal(opt.GetType(), loaded.Optimizer!.GetType());
        Assert.Equal(opt.GetConfig()["learning_rate"], loaded.Optimizer.GetConfig()["learning_rate"]);
        var s = Assert.IsType<PiecewiseConstantDecay>(loaded.Optimizer.Schedule!.Target);
        Assert.Equal([0.05, 0.02, 0.01], s.Values);
        // Slots, iterations and schedule came back: the next steps are identical.
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0, shuffle: false);
        loaded.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0, shuffle: false);
        for (int i = 0; i < model.Weights.Count; i++) Assert.Equal(model.Weights[i].ToArray(), loaded.Weights[i].ToArray());
    }
}

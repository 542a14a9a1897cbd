using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Praxis.Kernels;

namespace Praxis.Bench.Kernels;

/// <summary>SGEMM on square sizes and the seed model's shapes, at 1 and all threads.</summary>
[Config(typeof(GflopsConfig))]
public class SgemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private int _lda, _ldb;

    public static IEnumerable<GemmShape> Shapes =>
        new[] { 256, 512, 1024, 2048 }.Select(GemmShape.Square).Concat(GemmShape.Seed);

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.Square(256);

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        KernelPool.NumThreads = Threads;
        (_a, _lda, _b, _ldb, _c) = Shape.Allocate();
    }

    [Benchmark]
    public void Sgemm() =>
        Gemm.Sgemm(Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K, 1f, _a, _lda, _b, _ldb, 0f, _c, Shape.N);
}

/// <summary>Adds a GFLOP/s column computed from the mean time and the shape's operation count.</summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig() => AddColumn(new GflopsColumn());

    private sealed class GflopsColumn : IColumn
    {
        public string Id => "GFLOPS";
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Billions of floating-point operations per second (2·m·n·k / mean time)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var report = summary[benchmarkCase];
            var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Value is GemmShape)?.Value as GemmShape;
            if (report?.ResultStatistics is not { } stats || shape is null) return "-";
            return (shape.Flops / stats.Mean).ToString("F1"); // flops per ns = GFLOP/s
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    }
}

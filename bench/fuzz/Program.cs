using System.Globalization;
using Praxis.Fuzz;

// Long mode: `dotnet run --project bench/fuzz -c Release -- --cases 1000000 [--seed N]`.
long cases = 1_000_000;
int seed = FuzzHarness.DefaultSeed;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--cases": cases = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}; use --cases N --seed S"); return 2;
    }
}
var report = FuzzHarness.Run(cases, seed, TimeSpan.MaxValue, progress: Console.Error.WriteLine);
Console.WriteLine(report.Format());
return report.Failures.Count == 0 && report.Flagged.Count == 0 ? 0 : 1;

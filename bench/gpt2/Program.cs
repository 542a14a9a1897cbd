// GPT-2 124M shapes with random weights: load time of a Hugging Face checkpoint and KV-cache generation tokens/s.
//   dotnet run -c Release --project bench/gpt2 -- make DIR          writes a random 124M checkpoint (HF layout, F32)
//   dotnet run -c Release --project bench/gpt2 -- run DIR [NEW]     loads it, generates NEW tokens greedily after a
//                                                                     16-token prompt, prints timings and the ids
// bench/gpt2/run.sh runs this beside the PyTorch twin (twin.py) on the same file, alternating, and prints medians.
using System.Diagnostics;
using Praxis;
using Praxis.Models.Gpt2;

string mode = args.Length > 0 ? args[0] : "run";
string dir = args.Length > 1 ? args[1] : "/tmp/gpt2-bench-124m";
int newTokens = args.Length > 2 ? int.Parse(args[2]) : 128;
if (mode == "make")
{
    Rng.SetSeed(124);
    var g = Gpt2.Create(new Gpt2Config());
    g.ExportHuggingFace(dir, "F32");
    Console.WriteLine($"wrote {dir} params={g.Model.CountParams()}");
    return;
}
long rss0 = Process.GetCurrentProcess().WorkingSet64;
var clock = Stopwatch.StartNew();
var model = Gpt2.FromHuggingFace(dir);
double loadSeconds = clock.Elapsed.TotalSeconds;
int[] prompt = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 198, 464, 3290, 318, 257, 922];
model.Generate(prompt, new GenerationOptions { MaxNewTokens = 8, Temperature = 0f }); // warm-up: JIT and the cache buffers
var r = model.Generate(prompt, new GenerationOptions { MaxNewTokens = newTokens, Temperature = 0f });
Console.WriteLine($"praxis_load_s={loadSeconds:F3}");
Console.WriteLine($"praxis_prompt_s={r.PromptSeconds:F3}");
Console.WriteLine($"praxis_tokens_per_s={(r.Tokens.Length - 1) / r.GenerateSeconds:F2}");
Console.WriteLine($"praxis_peak_rss_mib={Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} (start {rss0 / 1048576.0:F0})");
Console.WriteLine($"praxis_ids={string.Join(",", r.Tokens)}");

using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Cli.Journal;
using Praxis.Models.Gpt2;
using Praxis.Tokenizers;

namespace Praxis.Cli.Commands;

/// <summary><c>praxis generate</c>: continue a prompt with a GPT-2 (a Hugging Face directory, a .praxis file or a hub name).</summary>
public static class GenerateCommands
{
    /// <summary>
    /// Loads the model named by <paramref name="model"/> (a directory holding config.json + model.safetensors, a
    /// <c>.praxis</c> file saved by Gpt2.Save, or with <paramref name="pretrained"/> a hub repository such as gpt2;
    /// default the tiny random GPT-2 in data/gpt2-tiny) and prints the prompt's continuation and the speed.
    /// </summary>
    public static int Generate(CliContext ctx, string? model, string? pretrained, string prompt, GenerationOptions options, bool json)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string what = pretrained ?? model ?? FindTiny();
        Gpt2 gpt = pretrained is not null ? Gpt2.FromPretrained(pretrained)
            : File.Exists(what) ? Gpt2.Load(what, compile: false)
            : Directory.Exists(what) ? Gpt2.FromHuggingFace(what)
            : throw new FileNotFoundException($"--model {what}: no such file or directory (expected a Hugging Face GPT-2 directory or a .praxis file).");
        double loadSeconds = clock.Elapsed.TotalSeconds;
        var tok = Gpt2Tokenizer.Instance;
        int[] ids = tok.Encode(prompt);
        if (ids.Length == 0) ids = [Gpt2Tokenizer.EndOfText]; // an empty prompt starts from <|endoftext|>, as GPT-2 samples unconditionally
        var r = gpt.Generate(ids, options);
        string text = tok.Decode(r.Tokens);
        if (json)
        {
            var o = new JsonObject
            {
                ["model"] = what, ["prompt"] = prompt, ["completion"] = text, ["prompt_tokens"] = ids.Length,
                ["new_tokens"] = r.Tokens.Length, ["tokens_per_s"] = Math.Round(r.TokensPerSecond, 2), ["load_s"] = Math.Round(loadSeconds, 3),
                ["ids"] = new JsonArray(r.Tokens.Select(t => (JsonNode)t).ToArray()),
            };
            ctx.Out.WriteLine(o.ToJsonString(RunFolder.Compact));
            return 0;
        }
        ctx.Out.WriteLine(prompt + text);
        ctx.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Tokens.Length} tokens at {r.TokensPerSecond:F1} tokens/s (prompt {ids.Length} tokens in {r.PromptSeconds:F2}s; model {what} loaded in {loadSeconds:F2}s; {gpt.Config.NLayer} layers, {gpt.Config.NEmbd} features)"));
        return 0;
    }

    private static string FindTiny()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "data", "gpt2-tiny", "model.safetensors"))) return Path.Combine(d.FullName, "data", "gpt2-tiny");
        throw new FileNotFoundException("No --model given and data/gpt2-tiny was not found above the program or the working directory.");
    }
}

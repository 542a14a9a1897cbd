using Spectre.Console;

namespace Praxis.Cli;

/// <summary>
/// Where a command writes, and whether that is a terminal. In a terminal the CLI draws live bars and tables with colour
/// (Spectre.Console); anywhere else (a pipe, a file, CI logs, tests) it prints plain lines with no control characters.
/// </summary>
public sealed class CliContext
{
    /// <summary>Creates a context over two writers.</summary>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="isTerminal">Whether <paramref name="output"/> is an interactive terminal.</param>
    public CliContext(TextWriter output, TextWriter error, bool isTerminal)
    {
        Out = output;
        Error = error;
        IsTerminal = isTerminal;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Off a terminal there is no width to fit; a wide virtual one keeps table rows on one line for grep and diff.
        if (!isTerminal) Console.Profile.Width = 200;
    }

    /// <summary>The process's console: live output when stdout is a terminal and TERM is not <c>dumb</c>.</summary>
    public static CliContext FromProcess()
    {
        bool terminal = !System.Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
        return new CliContext(System.Console.Out, System.Console.Error, terminal);
    }

    /// <summary>Standard output.</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error (errors and warnings; never progress).</summary>
    public TextWriter Error { get; }

    /// <summary>True when output goes to an interactive terminal.</summary>
    public bool IsTerminal { get; }

    /// <summary>Spectre console over <see cref="Out"/> (no ANSI codes unless <see cref="IsTerminal"/>).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>The folder that holds run folders: <c>$PRAXIS_RUNS</c> if set, else <c>./runs</c>.</summary>
    public static string DefaultRunsDirectory =>
        Environment.GetEnvironmentVariable("PRAXIS_RUNS") is { Length: > 0 } r ? r : Path.Combine(Environment.CurrentDirectory, "runs");
}

/// <summary>A user-facing error: printed as <c>error: message</c> with exit code 1, without a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);

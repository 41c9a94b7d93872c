using Spectre.Console;
using Spectre.Console.Rendering;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// Progress of a long run: a Spectre.Console bar with rate and ETA when a person watches an interactive
/// console, one plain line per <see cref="Log"/> otherwise (redirected output, CI logs, tests).
/// </summary>
internal sealed class ConsoleProgress
{
    private readonly ProgressTask? _task;

    private ConsoleProgress(ProgressTask? task) => _task = task;

    /// <summary>Runs <paramref name="work"/> with a progress bar of <paramref name="total"/> <paramref name="unit"/>s when interactive.</summary>
    public static T Run<T>(string description, string unit, double total, Func<ConsoleProgress, T> work)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(new ConsoleProgress(null));
        return AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateColumn(unit), new RemainingTimeColumn())
            .Start(context => work(new ConsoleProgress(context.AddTask(Markup.Escape(description), maxValue: total))));
    }

    public void Log(string line)
    {
        if (_task is null) Console.WriteLine(line);
        else AnsiConsole.WriteLine(line);
    }

    public void Advance(double units) => _task?.Increment(units);

    /// <summary>Units per second as Spectre measures them (its speed column is for bytes).</summary>
    private sealed class RateColumn(string unit) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? $"{speed:F1} {unit}/s" : $"- {unit}/s");
    }
}

using System.CommandLine;
using System.Globalization;
using QuantUNet.Cli.Sweep;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet sweep</c>: the float baseline once and QuantU-Net once a bit budget, scored on the validation patients.</summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var flags = new TrainFlags();
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = $"Folder for {SweepReport.FileName}, {SweepRun.FigureFolder}/{SweepRun.FrontFileName} and one sub-folder a model ({SweepRun.FloatFolder}/, bits-B/) with its model and checkpoint; "
                        + "the same command run again continues the sweep.",
            Required = true,
        };
        var targets = new Option<string>("--targets")
        {
            Description = "Comma-separated bit budgets of the average weight bits, 2 to 8: one QuantU-Net each (a new one added to a finished sweep adds a point).",
            DefaultValueFactory = _ => "8,6,4,3,2",
        };
        var command = new Command("sweep",
            "Train the float U-Net once and QuantU-Net once a bit budget (each warm-started from the float weights and trained as long as train's QAT phase), "
            + "score each on the validation patients (QuantU-Net with the integer engine), write sweep.json and the bits-against-Dice front.")
        {
            output, targets,
        };
        flags.AddTo(command);
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var budgets = Targets(parse.GetValue(targets)!, targets.Name);
            flags.Validate(parse);
            using var runLock = RunFolderLock.Acquire(parse.GetValue(output)!.FullName, "--out");
            var settings = flags.Read(parse, parse.GetValue(output)!.FullName, quantize: true, targetBits: null);
            var report = SweepRun.Run(settings, budgets);
            Console.WriteLine($"float U-Net: Dice {report.Float.Dice:F4}, mean patient Dice {report.Float.MeanGroupDice:F4}");
            foreach (var p in report.Points)
                Console.WriteLine($"target {p.Target?.ToString(CultureInfo.InvariantCulture),4}: Dice {p.Dice:F4}, mean patient Dice {p.MeanGroupDice:F4}, "
                                  + $"average weight bits {p.AverageWeightBits:F2} ({p.SizeWeightedWeightBits:F2} size-weighted), activation bits {p.AverageActivationBits:F2}");
            Console.WriteLine($"wrote {Path.Combine(settings.OutDirectory, SweepReport.FileName)} and {Path.Combine(settings.OutDirectory, SweepRun.FigureFolder, SweepRun.FrontFileName)}");
            return 0;
        }));
        return command;
    }

    /// <summary>The bit budgets of a comma-separated list, each checked as --target-bits is.</summary>
    /// <exception cref="ArgumentException">An entry is not a number in 2..8, or one appears twice; the message names the option.</exception>
    public static IReadOnlyList<double> Targets(string text, string option)
    {
        var targets = new List<double>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(entry, NumberStyles.Float, CultureInfo.InvariantCulture, out double bits))
                throw new ArgumentException($"{option} {text}: '{entry}' is not a number; write bit budgets separated by commas, e.g. 8,6,4,3,2.");
            if (targets.Contains(bits))
                throw new ArgumentException($"{option} {text}: {entry} appears twice.");
            targets.Add(TrainFlags.CheckTargetBits(bits, $"{option} {text}: {entry}"));
        }
        return targets;
    }
}

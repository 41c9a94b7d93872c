using System.CommandLine;
using QuantUNet.Cli.Demo;
using QuantUNet.Cli.Report;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet demo</c>: the float baseline against QuantU-Net on the embedded synthetic set.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.json, report.md with its figures, the two models and the integer model.", DefaultValueFactory = _ => new DirectoryInfo("quantunet-demo") };
        var quick = new Option<bool>("--quick") { Description = "Small images and width: a smoke check in under 3 minutes." };
        var seed = new Option<int>("--seed")
        {
            Description = "Seeds data, initialisation and shuffling (libtorch's kernels differ between machines, so a seed's figures may differ slightly from one machine to another).",
            DefaultValueFactory = _ => new TrainingOptions().Seed,
        };
        var seeds = new Option<int>("--seeds")
        {
            Description = $"Runs the demo for this many seeds (--seed, --seed + 1, ...) and reports the mean and spread of each figure; the first seed's run stays in --out, the others go to {SeedFolderPrefix}S/ inside it.",
            DefaultValueFactory = _ => 1,
        };
        var threads = new Option<int>("--threads") { Description = "TorchSharp threads (0: all cores).", DefaultValueFactory = _ => 0 };
        var command = new Command("demo", "Train the float U-Net and QuantU-Net on synthetic MRI slices, compare them on held-out patients, export QuantU-Net to the integer engine and check it, write report.json and report.md with figures.")
        {
            output, quick, seed, seeds, threads,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            int runs = parse.GetValue(seeds);
            if (runs < 1)
                throw new ArgumentException($"--seeds {runs}: run the demo for at least one seed.");
            var directory = parse.GetValue(output)!.FullName;
            var settings = parse.GetValue(quick) ? DemoOptions.Quick : DemoOptions.Full;
            int first = parse.GetValue(seed);
            var report = DemoRun.Run(settings, first, parse.GetValue(threads), directory, Console.WriteLine);
            // The first seed's report is written once the others are done: it carries the spread over all of them.
            var others = Enumerable.Range(first + 1, runs - 1).Select(s => Run(settings, s, parse.GetValue(threads), directory, $"{SeedFolderPrefix}{s}")).ToList();
            if (runs > 1)
                report = report with { Seeds = DemoReport.SeedSpread.Of([DemoReport.SeedFigures.Of(report, "."), .. others]) };
            var markdown = Write(report, directory);
            Console.WriteLine();
            Console.WriteLine(report.Markdown());
            Console.WriteLine($"wrote {Path.Combine(directory, DemoReport.FileName)}, {markdown} and its figures, the models and {DemoRun.IntegerModelFileName}"
                              + (runs > 1 ? $"; seeds {first + 1} to {first + runs - 1} in {SeedFolderPrefix}S/" : ""));
            return 0;
        }));
        return command;
    }

    /// <summary>The folder name prefix of the further seeds' runs, inside --out.</summary>
    public const string SeedFolderPrefix = "seed-";

    /// <summary>One further seed's complete demo run in <paramref name="folder"/> under <paramref name="directory"/>.</summary>
    private static DemoReport.SeedFigures Run(DemoOptions settings, int seed, int threads, string directory, string folder)
    {
        Console.WriteLine($"seed {seed} (into {folder}/)");
        var report = DemoRun.Run(settings, seed, threads, Path.Combine(directory, folder), Console.WriteLine);
        Write(report, Path.Combine(directory, folder));
        return DemoReport.SeedFigures.Of(report, folder);
    }

    /// <summary>Writes report.json, then report.md with its figures; returns report.md's path.</summary>
    private static string Write(DemoReport report, string directory)
    {
        report.Write(directory);
        return RunReport.Write(directory, baselineDirectory: null, report.Threads);
    }
}

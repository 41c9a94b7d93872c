using System.CommandLine;
using QuantUNet.Cli.Demo;
using QuantUNet.Cli.Report;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet demo</c>: the float baseline against QuantU-Net on the embedded synthetic set.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.json, report.md with its figures, the two models and the integer model.", DefaultValueFactory = _ => new DirectoryInfo("quantunet-demo") };
        var quick = new Option<bool>("--quick") { Description = "Small images and width: a smoke check in under 3 minutes." };
        var seed = new Option<int>("--seed") { Description = "Seeds data, initialisation and shuffling.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "TorchSharp threads (0: all cores).", DefaultValueFactory = _ => 0 };
        var command = new Command("demo", "Train the float U-Net and QuantU-Net on synthetic MRI slices, compare them on held-out patients, export QuantU-Net to the integer engine and check it, write report.json and report.md with figures.")
        {
            output, quick, seed, threads,
        };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(output)!.FullName;
            var settings = parse.GetValue(quick) ? DemoSettings.Quick : DemoSettings.Full;
            var report = DemoRun.Run(settings, parse.GetValue(seed), parse.GetValue(threads), directory, Console.WriteLine);
            report.Write(directory);
            var markdown = RunReport.Write(directory, baselineDirectory: null, report.Threads);
            Console.WriteLine();
            Console.WriteLine(report.Markdown());
            Console.WriteLine($"wrote {Path.Combine(directory, DemoReport.FileName)}, {markdown} and its figures, the models and {DemoRun.IntegerModelFileName}");
            return 0;
        });
        return command;
    }
}

using System.CommandLine;
using QuantUNet.Cli.Report;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet report</c>: report.md with PNG figures for a train or demo run folder.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "A folder train wrote (train.json, model.qunet) or demo wrote (report.json and its models).", Required = true };
        var baseline = new Option<DirectoryInfo>("--baseline") { Description = "For a train run: the folder of a train --float run, shown beside it in the table, the curves and the overlays." };
        var threads = DatasetOptions.Threads();
        var command = new Command("report", $"Write {RunReport.MarkdownFile} into a run folder: the headline metrics, training curves, learned bits per layer and overlays of held-out slices ({RunReport.FiguresFolder}/*.png).")
        {
            run, baseline, threads,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var path = RunReport.Write(parse.GetValue(run)!.FullName, parse.GetValue(baseline)?.FullName, TrainedModel.UseThreads(parse.GetValue(threads)));
            Console.WriteLine($"wrote {path} and its figures in {Path.Combine(Path.GetDirectoryName(path)!, RunReport.FiguresFolder)}");
            return 0;
        }));
        return command;
    }
}

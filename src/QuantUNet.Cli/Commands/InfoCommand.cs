using System.CommandLine;
using QuantUNet.Torch.Native;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet info</c>: proves TorchSharp starts here, and says how its native library was loaded.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Start TorchSharp, run one tensor operation and print the runtime details.");
        command.SetAction(_ => UserErrors.Run(() =>
        {
            TorchRuntime.EnsureLoadable();
            using var sum = ones(2, 3).sum();
            Console.WriteLine($"torch: ok (ones(2,3).sum() = {sum.item<float>()})");
            Console.WriteLine($"threads: {get_num_threads()}");
            Console.WriteLine($"native: {TorchRuntime.Status}");
            Console.WriteLine($"patched: {TorchRuntime.Patched}");
            return 0;
        }));
        return command;
    }
}

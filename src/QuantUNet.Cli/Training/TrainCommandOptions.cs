using System.Text.Json.Serialization;
using QuantUNet.Cli.Commands;

namespace QuantUNet.Cli.Training;

/// <summary>
/// Everything a <c>train</c> run (or a sweep's runs) depends on, as resolved from the command line; kept in the
/// checkpoint so that <c>train --resume</c> needs nothing else.
/// </summary>
/// <param name="Channels">Input channels, as given or as the data's images declare them (<see cref="DatasetSource.Channels"/>).</param>
/// <param name="TargetBits">The bit budget of QuantU-Net's average weight bits; null: the paper's plain lambda term.</param>
/// <param name="SaveEpochs">Whether every epoch's model is written too (<c>train --save-epochs</c>); left out of the stored settings
/// when false, so that the settings of a run or sweep begun before the option existed still match.</param>
/// <param name="Recipe">The recipe settings given on the command line (<see cref="RecipeFlags"/>); null when none is, and then
/// left out of the stored settings as <paramref name="SaveEpochs"/> is.</param>
internal sealed record TrainCommandOptions(
    DatasetSource Data, string OutDirectory, bool Quantize, int Size, int Width, int Epochs, int? FloatEpochs, int Batch,
    double ValidationFraction, int Seed, int Channels, int Threads, double? TargetBits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool SaveEpochs = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TrainingRecipe? Recipe = null);

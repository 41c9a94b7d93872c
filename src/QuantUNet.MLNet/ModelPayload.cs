using System.Text.Json;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>
/// The <see cref="MLNetPayload"/> of a <see cref="QuantUNetTransformer"/>: its <see cref="TransformerOptions"/> as the
/// header, its <see cref="ModelPackage"/> as the section. Reads the previous payload format too.
/// </summary>
internal static class ModelPayload
{
    public static byte[] Write(SegmentationModel model) =>
        MLNetPayload.Write(JsonSerializer.SerializeToUtf8Bytes(model.Settings, ChecksummedFrame.Json), model.Package);

    /// <summary>Reads a payload, refusing a truncated, altered, foreign or inconsistent one with a message naming <paramref name="source"/>.</summary>
    public static SegmentationModel Read(ReadOnlyMemory<byte> bytes, string source) => FromParts(MLNetPayload.Read(bytes, source), source);

    /// <summary>The transformer's model from a payload's settings header and package, refusing unusable settings.</summary>
    public static SegmentationModel FromParts((JsonElement Settings, ModelPackage Package) parts, string source)
    {
        var (settingsJson, package) = parts;
        TransformerOptions? settings;
        try
        {
            settings = settingsJson.Deserialize<TransformerOptions>(ChecksummedFrame.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: malformed transformer settings ({e.Message}).", e);
        }
        var problem = settings is null ? "none stored." : Problem(settings, package.Description);
        if (problem is not null)
            throw new InvalidDataException($"{source}: invalid transformer settings: {problem}");
        return new SegmentationModel(settings!, package);
    }

    /// <summary>What makes the settings unusable, or null. JSON leaves missing fields null or zero.</summary>
    private static string? Problem(TransformerOptions settings, ModelDescription description)
    {
        if (settings.Columns is not { Image.Length: > 0, Score.Length: > 0, PredictedLabel.Length: > 0 })
            return "the image, score and predicted-label column names are required.";
        if (!Enum.IsDefined(settings.ScoringMode))
            return $"unknown scoring mode {(int)settings.ScoringMode}.";
        long imageValues = (long)description.ImageChannels * description.ImageHeight * description.ImageWidth;
        if (settings.ScoringBatchSize < 1 || settings.ScoringBatchSize * imageValues > ModelDescription.MaxImageValues)
            return $"scoring batch size {settings.ScoringBatchSize} is not between 1 and {ModelDescription.MaxImageValues} image values.";
        return null;
    }
}

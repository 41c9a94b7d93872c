using System.Text.Json;
using System.Text.Json.Serialization;
using QuantUNet.Data;
using QuantUNet.Integer.Format;

namespace QuantUNet.Cli.Commands;

/// <summary>Writes the JSON files the train and evaluate verbs leave behind: camelCase, indented, NaN allowed, atomically.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write<T>(string directory, string fileName, T report)
    {
        var path = Path.Combine(directory, fileName);
        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(report, Json));
        return path;
    }
}

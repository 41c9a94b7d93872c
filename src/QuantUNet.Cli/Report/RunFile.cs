using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantUNet.Cli.Report;

/// <summary>Reads the JSON files the verbs leave in a run folder (camelCase, NaN allowed, as they are written).</summary>
internal static class RunFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <exception cref="InvalidDataException">The file is not the <paramref name="what"/> it should be; the message names it.</exception>
    public static T Read<T>(string path, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Json) ?? throw new JsonException("it holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a readable {what} ({e.Message})");
        }
    }
}

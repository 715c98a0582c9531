using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Holdout;

/// <summary>
/// How Holdout writes JSON, every file and every <c>--json</c> output: strict JSON that any parser reads. A number
/// that is not finite (a validation loss of a run without validation images, a diverged loss) is written as
/// <c>null</c> — JSON has no NaN or Infinity, and System.Text.Json would otherwise throw — and read back as NaN.
/// </summary>
/// <remarks>
/// Typed serialisation gets this from the converters in <see cref="Create"/>'s options. <see cref="JsonNode"/>
/// documents do not consult converters for the numbers they hold, so they are written with <see cref="Write"/>, which
/// puts <c>null</c> in place of every non-finite number.
/// </remarks>
internal static class StrictJson
{
    /// <summary>Indented, default names.</summary>
    public static readonly JsonSerializerOptions Indented = Create(indented: true);

    /// <summary>One line, default names.</summary>
    public static readonly JsonSerializerOptions Compact = Create(indented: false);

    /// <summary>Indented, with paths and class names as they are (no \uXXXX escapes of non-ASCII or HTML characters): for printed output.</summary>
    public static readonly JsonSerializerOptions ReadableIndented = Create(indented: true, encoder: JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    /// <summary>One line, with paths and class names as they are: for printed output such as JSON lines.</summary>
    public static readonly JsonSerializerOptions ReadableCompact = Create(indented: false, encoder: JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    /// <summary>Options that write non-finite <see cref="double"/> and <see cref="float"/> values as null and read null back as NaN.</summary>
    /// <param name="indented">Indent the output.</param>
    /// <param name="naming">The property naming policy, or null for the names as declared.</param>
    /// <param name="encoder">The text encoder, or null for the default (which escapes HTML-sensitive characters).</param>
    /// <param name="converters">Further converters, e.g. for enums.</param>
    public static JsonSerializerOptions Create(bool indented, JsonNamingPolicy? naming = null, JavaScriptEncoder? encoder = null, params JsonConverter[] converters)
    {
        var options = new JsonSerializerOptions { WriteIndented = indented, PropertyNamingPolicy = naming, Encoder = encoder };
        options.Converters.Add(new FiniteNumber<double>());
        options.Converters.Add(new FiniteNumber<float>());
        foreach (var c in converters) options.Converters.Add(c);
        return options;
    }

    /// <summary>Writes <paramref name="node"/> as text with <paramref name="options"/>' layout, every non-finite number as null.</summary>
    /// <param name="node">The document.</param>
    /// <param name="options">Indentation and encoder (typically from <see cref="Create"/>).</param>
    public static string Write(JsonNode? node, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            NewLine = options.NewLine,
            Encoder = options.Encoder,
            MaxDepth = options.MaxDepth,
        }))
        {
            WriteNode(writer, node, options);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node, JsonSerializerOptions options)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject o:
                writer.WriteStartObject();
                foreach (var (name, value) in o)
                {
                    writer.WritePropertyName(name);
                    WriteNode(writer, value, options);
                }
                writer.WriteEndObject();
                break;
            case JsonArray a:
                writer.WriteStartArray();
                foreach (var item in a) WriteNode(writer, item, options);
                writer.WriteEndArray();
                break;
            case JsonValue v when (v.TryGetValue<double>(out var d) && !double.IsFinite(d)) || (v.TryGetValue<float>(out var f) && !float.IsFinite(f)):
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer, options);
                break;
        }
    }

    /// <summary>Writes a non-finite <see cref="float"/> or <see cref="double"/> as null, and reads null back as NaN.</summary>
    private sealed class FiniteNumber<T> : JsonConverter<T>
        where T : struct, IFloatingPointIeee754<T>
    {
        public override bool HandleNull => true;

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? T.NaN
            : typeof(T) == typeof(float) ? T.CreateTruncating(reader.GetSingle())
            : T.CreateTruncating(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (!T.IsFinite(value)) writer.WriteNullValue();
            else if (value is float single) writer.WriteNumberValue(single);
            else writer.WriteNumberValue(double.CreateTruncating(value));
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marhaba.Hosting;

/// <summary>A value that names none of an enum's members: the caller's mistake, answered 422 naming the field.</summary>
public sealed class UndefinedEnumValueException(Type type)
    : JsonException($"Not one of {string.Join(", ", Names(type))}.")
{
    public Type EnumType { get; } = Nullable.GetUnderlyingType(type) ?? type;

    public static IEnumerable<string> Names(Type type)
    {
        var enumType = Nullable.GetUnderlyingType(type) ?? type;
        return enumType.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => f.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false) is [JsonStringEnumMemberNameAttribute named, ..] ? named.Name : f.Name);
    }
}

/// <summary>
/// Enums are read by their names only. The framework's converter also takes any integer (<c>"urgency": 7</c>
/// reads as an urgency that does not exist) and answers an unknown name with a bare parse error; here both are
/// an <see cref="UndefinedEnumValueException"/> that lists the names allowed.
/// </summary>
public sealed class StrictEnumConverter : JsonConverterFactory
{
    private readonly JsonStringEnumConverter _names = new(allowIntegerValues: false);

    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Strict<>).MakeGenericType(typeToConvert), _names.CreateConverter(typeToConvert, options))!;

    private sealed class Strict<T>(JsonConverter inner) : JsonConverter<T> where T : struct, Enum
    {
        private readonly JsonConverter<T> _inner = (JsonConverter<T>)inner;

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String) throw new UndefinedEnumValueException(typeof(T));
            try
            {
                var value = _inner.Read(ref reader, typeToConvert, options);
                // A name made of digits ("7") reads as that number even without integer values: not a member either.
                return Enum.IsDefined(value) ? value : throw new UndefinedEnumValueException(typeof(T));
            }
            catch (JsonException e) when (e is not UndefinedEnumValueException)
            {
                throw new UndefinedEnumValueException(typeof(T));
            }
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => _inner.Write(writer, value, options);
        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => _inner.ReadAsPropertyName(ref reader, typeToConvert, options);
        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => _inner.WriteAsPropertyName(writer, value, options);
    }
}

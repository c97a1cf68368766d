namespace Marhaba.Hosting;

public enum RefusalKind { Invalid, NotFound, Conflict, Forbidden }

/// <summary>
/// Why a rule refuses a command, in the domain's words: what kind of refusal and, for an invalid value, the field.
/// The rules know nothing of HTTP; the endpoints turn a refusal into a problem-details answer (<see cref="Problems.ToProblem"/>).
/// </summary>
public sealed record Refusal(RefusalKind Kind, string Message, string? Field = null)
{
    public static Refusal Invalid(string field, string message) => new(RefusalKind.Invalid, message, field);
    public static Refusal NotFound(string message) => new(RefusalKind.NotFound, message);
    public static Refusal Conflict(string message) => new(RefusalKind.Conflict, message);
    public static Refusal Forbidden(string message) => new(RefusalKind.Forbidden, message);
}

/// <summary>A pure rule's verdict on a stream: the event to append, or the refusal.</summary>
public readonly record struct Decision(object? Event, Refusal? Refused)
{
    public static Decision Append(object e) => new(e, null);
    public static implicit operator Decision(Refusal refused) => new(null, refused);
}

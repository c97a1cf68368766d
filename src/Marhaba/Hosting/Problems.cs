using Microsoft.AspNetCore.Mvc;

namespace Marhaba.Hosting;

/// <summary>Problem-details answers that name what is wrong and, where it helps, the field.</summary>
public static class Problems
{
    public static ProblemDetails BadRequest(string field, string detail) => Make(400, "Invalid request", detail, field);
    public static ProblemDetails NotFound(string detail) => Make(404, "Not found", detail);
    public static ProblemDetails Conflict(string detail) => Make(409, "Conflict with the current state", detail);
    public static ProblemDetails Forbidden(string detail) => Make(403, "Forbidden", detail);

    public static ProblemDetails Make(int status, string title, string detail, string? field = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (field is not null)
        {
            problem.Extensions["field"] = field;
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }
        return problem;
    }

    public static IResult ToResult(this ProblemDetails problem) =>
        Results.Problem(problem);
}

/// <summary>A pure rule's verdict on a stream: the event to append, or the problem that refuses it.</summary>
public readonly record struct Decision(object? Event, ProblemDetails? Refused)
{
    public static Decision Append(object e) => new(e, null);
    public static implicit operator Decision(ProblemDetails refused) => new(null, refused);
}

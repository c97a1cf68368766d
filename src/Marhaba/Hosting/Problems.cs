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

    /// <summary>A rule's refusal as the API answers it: 400 naming the field, 404, 409 or 403.</summary>
    public static ProblemDetails ToProblem(this Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.Invalid => BadRequest(refusal.Field ?? "", refusal.Message),
        RefusalKind.NotFound => NotFound(refusal.Message),
        RefusalKind.Forbidden => Forbidden(refusal.Message),
        _ => Conflict(refusal.Message)
    };

    public static IResult ToResult(this Refusal refusal) => refusal.ToProblem().ToResult();
}

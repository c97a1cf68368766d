using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Staff;

public record CreateStaffAccount(string? Login, string? Name, string? Role, string[]? Ports, string[]? Lines);

/// <summary>The new account and its first password, shown once.</summary>
public record StaffAccountCreated(string Login, string Name, string Role, string[] Ports, string[] Lines, string Password);

public record StaffAccountLine(string Login, string Name, string Role, string[] Ports, string[] Lines, bool Disabled, DateTimeOffset CreatedAt);

/// <summary>What an administrator does with accounts, for the API and the accounts page alike.</summary>
public static class StaffAccounts
{
    public static ProblemDetails? Check(CreateStaffAccount c)
    {
        if (c.Login is null || c.Login.Trim().Length is < 3 or > 64 || !c.Login.Trim().All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '.' or '_'))
            return Problems.BadRequest("login", "login is 3 to 64 letters, digits, '-', '.' or '_'.");
        if (string.IsNullOrWhiteSpace(c.Name) || c.Name.Length > 100) return Problems.BadRequest("name", "name is required, at most 100 characters.");
        if (c.Role is null || !Roles.All.Contains(c.Role)) return Problems.BadRequest("role", $"role is one of {string.Join(", ", Roles.All)}.");
        if ((c.Ports ?? []).FirstOrDefault(p => !ReferenceData.TryGetPort(p, out _)) is { } port) return Problems.BadRequest("ports", $"Unknown port '{port}'.");
        if ((c.Lines ?? []).FirstOrDefault(l => !ReferenceData.TryGetRoute(l, out _)) is { } line) return Problems.BadRequest("lines", $"Unknown line '{line}'.");
        if (c.Role is Roles.PortStaff or Roles.Agent && (c.Ports ?? []).Length == 0) return Problems.BadRequest("ports", "Port staff and agents work at one port or more: name them.");
        if (c.Role == Roles.Operator && (c.Lines ?? []).Length == 0) return Problems.BadRequest("lines", "An operator works for one line or more: name them.");
        return null;
    }

    public static async Task<(StaffAccountCreated? Created, ProblemDetails? Refused)> CreateAsync(IDocumentSession session, CreateStaffAccount c, string by, DateTimeOffset now, CancellationToken ct)
    {
        if (Check(c) is { } invalid) return (null, invalid);
        var login = c.Login!.Trim().ToLowerInvariant();
        if (await session.LoadAsync<StaffAccount>(login, ct) is not null) return (null, Problems.Conflict($"An account '{login}' exists already."));
        var password = StaffSignIn.NewPassword();
        var account = new StaffAccount
        {
            Id = login, Name = c.Name!.Trim(), Role = c.Role!, CreatedAt = now, CreatedBy = by,
            Ports = (c.Ports ?? []).Select(p => ReferenceData.Port(p.Trim()).Code).Distinct().ToArray(),
            Lines = (c.Lines ?? []).Select(l => ReferenceData.Route(l.Trim()).Code).Distinct().ToArray()
        };
        account.PasswordHash = StaffSignIn.Hash(account, password);
        session.Insert(account);
        return (new StaffAccountCreated(login, account.Name, account.Role, account.Ports, account.Lines, password), null);
    }

    public static async Task<ProblemDetails?> SetDisabledAsync(IDocumentSession session, string login, bool disabled, string by, CancellationToken ct)
    {
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        if (account is null) return Problems.NotFound($"No account '{login}'.");
        if (account.Id == by && disabled) return Problems.Conflict("You cannot disable your own account.");
        account.Disabled = disabled;
        session.Store(account);
        return null;
    }

    public static async Task<List<StaffAccountLine>> ListAsync(IQuerySession session, CancellationToken ct) =>
        (await session.Query<StaffAccount>().OrderBy(a => a.Id).ToListAsync(ct))
        .Select(a => new StaffAccountLine(a.Id, a.Name, a.Role, a.Ports, a.Lines, a.Disabled, a.CreatedAt)).ToList();
}

public static class StaffAccountEndpoints
{
    [WolverineGet("/api/staff/accounts", OperationId = "ListStaffAccounts")]
    [Authorize(Policy = Policies.Admin)]
    public static Task<List<StaffAccountLine>> List(IQuerySession session, CancellationToken ct) => StaffAccounts.ListAsync(session, ct);

    [WolverinePost("/api/staff/accounts/{login}/disable", OperationId = "DisableStaffAccount")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Disable(string login, IDocumentSession session, ClaimsPrincipal user, CancellationToken ct) =>
        await StaffAccounts.SetDisabledAsync(session, login, true, user.StaffId(), ct) is { } refused ? refused.ToResult() : Results.NoContent();

    [WolverinePost("/api/staff/accounts/{login}/enable", OperationId = "EnableStaffAccount")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Enable(string login, IDocumentSession session, ClaimsPrincipal user, CancellationToken ct) =>
        await StaffAccounts.SetDisabledAsync(session, login, false, user.StaffId(), ct) is { } refused ? refused.ToResult() : Results.NoContent();
}

public static class CreateStaffAccountEndpoint
{
    public static ProblemDetails Validate(CreateStaffAccount command) => StaffAccounts.Check(command) ?? WolverineContinue.NoProblems;

    /// <summary>An administrator creates a staff account; its first password is in the answer, once.</summary>
    [WolverinePost("/api/staff/accounts", OperationId = "CreateStaffAccount")]
    [Authorize(Policy = Policies.Admin)]
    [ProducesResponseType<StaffAccountCreated>(201)]
    public static async Task<IResult> Create(CreateStaffAccount command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (created, refused) = await StaffAccounts.CreateAsync(session, command, user.StaffId(), clock.GetUtcNow(), ct);
        return refused is not null ? refused.ToResult() : Results.Created($"/api/staff/accounts/{created!.Login}", created);
    }
}

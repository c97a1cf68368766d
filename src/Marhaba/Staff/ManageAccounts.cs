using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using System.Text.Json.Serialization;
using Wolverine.Http;

namespace Marhaba.Staff;

public record CreateStaffAccount(string? Login, string? Name, string? Role, string[]? Ports, string[]? Lines, string? Company = null);

/// <summary>The new account and its first password, shown once.</summary>
public record StaffAccountCreated(string Login, string Name, string Role, string[] Ports, string[] Lines, string Password, string? Company = null);

public record StaffAccountLine(string Login, string Name, string Role, string[] Ports, string[] Lines, bool Disabled, DateTimeOffset CreatedAt, string? Company = null);

/// <summary>What an account may do from now: its role and places (an operator: its company, and its lines if narrowed).</summary>
public record ChangeStaffAccount(string? Role, string[]? Ports, string[]? Lines, string? Company = null);

public enum StaffAccountChange
{
    [JsonStringEnumMemberName("Created")] Created,
    [JsonStringEnumMemberName("Disabled")] Disabled,
    [JsonStringEnumMemberName("Enabled")] Enabled,
    [JsonStringEnumMemberName("ScopeChanged")] ScopeChanged,
    [JsonStringEnumMemberName("SignedOutEverywhere")] SignedOutEverywhere,
    [JsonStringEnumMemberName("PasswordReset")] PasswordReset,
}

/// <summary>The account's new password, shown once.</summary>
public record StaffPasswordReset(string Login, string Password);

/// <summary>A change to a staff account: who made it, when, and the account's role and places after it. Logins, not names.</summary>
public record StaffAccountChanged(string Login, StaffAccountChange Change, string Role, string[] Ports, string[] Lines, string By, DateTimeOffset At, string? Company = null);

/// <summary>What an administrator does with accounts, for the API and the accounts page alike.</summary>
public static class StaffAccounts
{
    public static ProblemDetails? Check(CreateStaffAccount c)
    {
        if (c.Login is null || c.Login.Trim().Length is < 3 or > 64 || !c.Login.Trim().All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '.' or '_'))
            return Problems.BadRequest("login", "login is 3 to 64 letters, digits, '-', '.' or '_'.");
        if (string.IsNullOrWhiteSpace(c.Name) || c.Name.Length > 100) return Problems.BadRequest("name", "name is required, at most 100 characters.");
        return Check(new ChangeStaffAccount(c.Role, c.Ports, c.Lines, c.Company));
    }

    public static ProblemDetails? Check(ChangeStaffAccount c)
    {
        if (c.Role is null || !Roles.All.Contains(c.Role)) return Problems.BadRequest("role", $"role is one of {string.Join(", ", Roles.All)}.");
        if ((c.Ports ?? []).FirstOrDefault(p => !ReferenceData.TryGetPort(p, out _)) is { } port) return Problems.BadRequest("ports", $"Unknown port '{port}'.");
        if ((c.Lines ?? []).FirstOrDefault(l => !ReferenceData.TryGetRoute(l, out _)) is { } line) return Problems.BadRequest("lines", $"Unknown line '{line}'.");
        if (c.Role is Roles.PortStaff or Roles.Agent && (c.Ports ?? []).Length == 0) return Problems.BadRequest("ports", "Port staff and agents work at one port or more: name them.");
        if (c.Role == Roles.Operator && CompanyOf(c.Company) is null)
            return Problems.BadRequest("company", $"An operator works for one ferry company: company is one of {string.Join(", ", ReferenceData.Companies)}.");
        if (c.Role == Roles.Operator && (c.Lines ?? []).FirstOrDefault(l => !ReferenceData.Route(l.Trim()).Operators.Contains(CompanyOf(c.Company))) is { } elsewhere)
            return Problems.BadRequest("lines", $"{CompanyOf(c.Company)} does not sail {elsewhere}.");
        if (c.Role != Roles.Operator && c.Company is not null) return Problems.BadRequest("company", "Only operators work for a company.");
        return null;
    }

    /// <summary>Records the change in the account's own stream, in the same transaction as the account.</summary>
    private static void Record(IDocumentSession session, StaffAccount account, StaffAccountChange change, string by, DateTimeOffset at)
    {
        // Accounts made before changes were recorded get their stream with their first change.
        if (account.ChangesStreamId == Guid.Empty) account.ChangesStreamId = Guid.CreateVersion7();
        session.Events.Append(account.ChangesStreamId, new StaffAccountChanged(account.Id, change, account.Role, account.Ports, account.Lines, by, at, account.Company));
    }

    /// <summary>Refuses a change that would leave no administrator able to act.</summary>
    private static async Task<ProblemDetails?> KeepsAnAdminAsync(IDocumentSession session, StaffAccount account, CancellationToken ct) =>
        account.Role == Roles.Admin && !account.Disabled &&
        !await session.Query<StaffAccount>().AnyAsync(a => a.Role == Roles.Admin && !a.Disabled && a.Id != account.Id, ct)
            ? Problems.Conflict($"'{account.Id}' is the last active administrator: make another one first.")
            : null;

    public static async Task<(StaffAccountCreated? Created, ProblemDetails? Refused)> CreateAsync(IDocumentSession session, CreateStaffAccount c, string by, DateTimeOffset now, CancellationToken ct)
    {
        if (Check(c) is { } invalid) return (null, invalid);
        var login = c.Login!.Trim().ToLowerInvariant();
        if (await session.LoadAsync<StaffAccount>(login, ct) is not null) return (null, Problems.Conflict($"An account '{login}' exists already."));
        var password = StaffSignIn.NewPassword();
        var account = new StaffAccount
        {
            Id = login, Name = c.Name!.Trim(), Role = c.Role!, CreatedAt = now, CreatedBy = by, SecurityStamp = StaffAccount.NewStamp(),
            Ports = (c.Ports ?? []).Select(p => ReferenceData.Port(p.Trim()).Code).Distinct().ToArray(),
            Lines = (c.Lines ?? []).Select(l => ReferenceData.Route(l.Trim()).Code).Distinct().ToArray(),
            Company = CompanyOf(c.Company)
        };
        account.PasswordHash = StaffSignIn.Hash(account, password);
        Record(session, account, StaffAccountChange.Created, by, now);
        session.Insert(account);
        return (new StaffAccountCreated(login, account.Name, account.Role, account.Ports, account.Lines, password, account.Company), null);
    }

    public static async Task<ProblemDetails?> SetDisabledAsync(IDocumentSession session, string login, bool disabled, string by, DateTimeOffset now, CancellationToken ct)
    {
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        if (account is null) return Problems.NotFound($"No account '{login}'.");
        if (account.Disabled == disabled) return null;
        if (account.Id == by && disabled) return Problems.Conflict("You cannot disable your own account.");
        if (disabled && await KeepsAnAdminAsync(session, account, ct) is { } last) return last;
        account.Disabled = disabled;
        // Every cookie and token of the account ends; enabled again, it starts from a new sign-in.
        account.SecurityStamp = StaffAccount.NewStamp();
        session.Store(account);
        Record(session, account, disabled ? StaffAccountChange.Disabled : StaffAccountChange.Enabled, by, now);
        return null;
    }

    /// <summary>A new role or places: the account's sessions and tokens end, and it signs in again with them.</summary>
    public static async Task<ProblemDetails?> ChangeAsync(IDocumentSession session, string login, ChangeStaffAccount change, string by, DateTimeOffset now, CancellationToken ct)
    {
        if (Check(change) is { } invalid) return invalid;
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        if (account is null) return Problems.NotFound($"No account '{login}'.");
        if (account.Role == Roles.Admin && change.Role != Roles.Admin)
        {
            if (account.Id == by) return Problems.Conflict("You cannot take the administrator role from your own account.");
            if (await KeepsAnAdminAsync(session, account, ct) is { } last) return last;
        }
        account.Role = change.Role!;
        account.Ports = (change.Ports ?? []).Select(p => ReferenceData.Port(p.Trim()).Code).Distinct().ToArray();
        account.Lines = (change.Lines ?? []).Select(l => ReferenceData.Route(l.Trim()).Code).Distinct().ToArray();
        account.Company = CompanyOf(change.Company);
        account.SecurityStamp = StaffAccount.NewStamp();
        session.Store(account);
        Record(session, account, StaffAccountChange.ScopeChanged, by, now);
        return null;
    }

    /// <summary>Ends every session and token of the account (a lost tablet, a shared password).</summary>
    public static async Task<ProblemDetails?> SignOutEverywhereAsync(IDocumentSession session, string login, string by, DateTimeOffset now, CancellationToken ct)
    {
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        if (account is null) return Problems.NotFound($"No account '{login}'.");
        account.SecurityStamp = StaffAccount.NewStamp();
        session.Store(account);
        Record(session, account, StaffAccountChange.SignedOutEverywhere, by, now);
        return null;
    }

    /// <summary>A new password (a forgotten or shared one): the old one stops working, and so does every session and token.</summary>
    public static async Task<(StaffPasswordReset? Reset, ProblemDetails? Refused)> ResetPasswordAsync(IDocumentSession session, string login, string by, DateTimeOffset now, CancellationToken ct)
    {
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        if (account is null) return (null, Problems.NotFound($"No account '{login}'."));
        var password = StaffSignIn.NewPassword();
        account.PasswordHash = StaffSignIn.Hash(account, password);
        account.SecurityStamp = StaffAccount.NewStamp();
        session.Store(account);
        Record(session, account, StaffAccountChange.PasswordReset, by, now);
        return (new StaffPasswordReset(account.Id, password), null);
    }

    /// <summary>The account's changes, oldest first.</summary>
    public static async Task<List<StaffAccountChanged>?> ChangesAsync(IQuerySession session, string login, CancellationToken ct)
    {
        var account = await session.LoadAsync<StaffAccount>(login.Trim().ToLowerInvariant(), ct);
        if (account is null) return null;
        return (await session.Events.FetchStreamAsync(account.ChangesStreamId, token: ct)).Select(e => e.Data).OfType<StaffAccountChanged>().ToList();
    }

    public static async Task<List<StaffAccountLine>> ListAsync(IQuerySession session, CancellationToken ct) =>
        (await session.Query<StaffAccount>().OrderBy(a => a.Id).ToListAsync(ct))
        .Select(a => new StaffAccountLine(a.Id, a.Name, a.Role, a.Ports, a.Lines, a.Disabled, a.CreatedAt, a.Company)).ToList();

    /// <summary>The company as the reference data spells it, or null when it is none of them.</summary>
    private static string? CompanyOf(string? company) =>
        ReferenceData.Companies.FirstOrDefault(c => string.Equals(c, company?.Trim(), StringComparison.OrdinalIgnoreCase));
}

public static class StaffAccountEndpoints
{
    [WolverineGet("/api/staff/accounts", OperationId = "ListStaffAccounts")]
    [Authorize(Policy = Policies.Admin)]
    public static Task<List<StaffAccountLine>> List(IQuerySession session, CancellationToken ct) => StaffAccounts.ListAsync(session, ct);

    [WolverinePost("/api/staff/accounts/{login}/disable", OperationId = "DisableStaffAccount")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Disable(string login, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, StaffAccess access, CancellationToken ct) =>
        Done(await StaffAccounts.SetDisabledAsync(session, login, true, user.StaffId(), clock.GetUtcNow(), ct), access, login);

    [WolverinePost("/api/staff/accounts/{login}/enable", OperationId = "EnableStaffAccount")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Enable(string login, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, StaffAccess access, CancellationToken ct) =>
        Done(await StaffAccounts.SetDisabledAsync(session, login, false, user.StaffId(), clock.GetUtcNow(), ct), access, login);

    [WolverinePut("/api/staff/accounts/{login}", OperationId = "ChangeStaffAccount")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Change(string login, ChangeStaffAccount change, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, StaffAccess access, CancellationToken ct) =>
        Done(await StaffAccounts.ChangeAsync(session, login, change, user.StaffId(), clock.GetUtcNow(), ct), access, login);

    [WolverinePost("/api/staff/accounts/{login}/sign-out-everywhere", OperationId = "SignStaffAccountOutEverywhere")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> SignOutEverywhere(string login, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, StaffAccess access, CancellationToken ct) =>
        Done(await StaffAccounts.SignOutEverywhereAsync(session, login, user.StaffId(), clock.GetUtcNow(), ct), access, login);

    /// <summary>A new password for the account, in the answer once; every session and token of it ends.</summary>
    [WolverinePost("/api/staff/accounts/{login}/password", OperationId = "ResetStaffPassword")]
    [Authorize(Policy = Policies.Admin)]
    [ProducesResponseType<StaffPasswordReset>(200)]
    public static async Task<IResult> ResetPassword(string login, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, StaffAccess access, CancellationToken ct)
    {
        var (reset, refused) = await StaffAccounts.ResetPasswordAsync(session, login, user.StaffId(), clock.GetUtcNow(), ct);
        if (refused is not null) return refused.ToResult();
        access.Forget(reset!.Login);
        return Results.Ok(reset);
    }

    [WolverineGet("/api/staff/accounts/{login}/changes", OperationId = "StaffAccountChanges")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Changes(string login, IQuerySession session, CancellationToken ct) =>
        await StaffAccounts.ChangesAsync(session, login, ct) is { } changes ? Results.Ok(changes) : Problems.NotFound($"No account '{login}'.").ToResult();

    // This node drops what it read of the account: its own next request sees the change at once.
    private static IResult Done(ProblemDetails? refused, StaffAccess access, string login)
    {
        if (refused is not null) return refused.ToResult();
        access.Forget(login.Trim().ToLowerInvariant());
        return Results.NoContent();
    }
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

/// <summary>An administrator's change from the accounts page: through Wolverine, the same checks and events as the API's.</summary>
public record CreateStaffAccountFromPage(CreateStaffAccount Account, string By);
public record SetStaffAccountDisabledFromPage(string Login, bool Disabled, string By);
public record StaffAccountOutcome(StaffAccountCreated? Created, ProblemDetails? Refused);

public static class StaffAccountsFromPageHandler
{
    public static async Task<StaffAccountOutcome> Handle(CreateStaffAccountFromPage command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var (created, refused) = await StaffAccounts.CreateAsync(session, command.Account, command.By, clock.GetUtcNow(), ct);
        return new(created, refused);
    }

    public static async Task<StaffAccountOutcome> Handle(SetStaffAccountDisabledFromPage command, IDocumentSession session, StaffAccess access, TimeProvider clock, CancellationToken ct)
    {
        var refused = await StaffAccounts.SetDisabledAsync(session, command.Login, command.Disabled, command.By, clock.GetUtcNow(), ct);
        if (refused is null) access.Forget(command.Login.Trim().ToLowerInvariant());
        return new(null, refused);
    }
}

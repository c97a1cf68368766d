using System.Collections.Concurrent;
using System.Security.Claims;
using Marhaba.Hosting;
using Marten;

namespace Marhaba.Staff;

/// <summary>
/// A signed-in session of a staff account on the pages (its cookie and the short tokens its pages are given carry its
/// id). Signing out ends it; the tokens minted for it end with it.
/// </summary>
public class StaffSession
{
    public string Id { get; set; } = "";
    public string Login { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
}

/// <summary>
/// Every request is checked against the account as it is now: a cookie or a token of an account whose security stamp
/// has moved since (disabled, roles or places changed, password reset, signed out everywhere), or of a session that was
/// signed out, is refused. Each node reads the account and session from PostgreSQL at most every
/// <see cref="Freshness"/>, so a change made on any node takes effect on all within that time, without sticky sessions.
/// A token of a subject that has no account (a booking system's, minted with the <c>token</c> command) carries no
/// stamp and is taken as it is; rotating the signing key ends those.
/// </summary>
public sealed class StaffAccess(IDocumentStore store)
{
    public const string StampClaim = "stamp";
    public const string SessionClaim = "sid";
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, StaffAccount? Account)> _accounts = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, bool Ended)> _sessions = new();

    /// <summary>Why this caller is no longer let in, or null when the account and session still stand as the claims say.</summary>
    public async Task<string?> WhyRefusedAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var login = user.FindFirstValue(Claims.Subject);
        if (login is null) return "The token names no one.";
        var stamp = user.FindFirstValue(StampClaim);
        var account = await AccountAsync(login, ct);
        if (account is null) return stamp is null ? null : "This account no longer exists.";
        if (account.Disabled) return "This account is disabled.";
        if (stamp != account.SecurityStamp) return "This account changed since this sign-in (roles, places, password or a sign-out everywhere): sign in again.";
        if (user.FindFirstValue(SessionClaim) is { } sid && await SessionEndedAsync(sid, ct)) return "This session was signed out.";
        return null;
    }

    /// <summary>Forgets what this node read of an account (the node that changed it sees the change at once).</summary>
    public void Forget(string login) => _accounts.TryRemove(login, out _);

    private async Task<StaffAccount?> AccountAsync(string login, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow; // the wall clock, as token lifetimes: business time may stand still
        if (_accounts.TryGetValue(login, out var known) && now - known.ReadAt < Freshness) return known.Account;
        await using var session = store.QuerySession();
        var account = await session.LoadAsync<StaffAccount>(login, ct);
        _accounts[login] = (now, account);
        return account;
    }

    private async Task<bool> SessionEndedAsync(string sid, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow; // the wall clock, as token lifetimes: business time may stand still
        if (_sessions.TryGetValue(sid, out var known) && (known.Ended || now - known.ReadAt < Freshness)) return known.Ended;
        await using var session = store.QuerySession();
        var ended = await session.LoadAsync<StaffSession>(sid, ct) is not { EndedAt: null };
        _sessions[sid] = (now, ended);
        return ended;
    }
}

/// <summary>
/// Tokens handed to pages: short-lived, renewed by the page through its cookie session while the account and session
/// stand, and carrying only what the page needs (the desk: port staff at the desk's port, never admin).
/// </summary>
public static class PageTokens
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    public const string DeskRoute = "/desk/token";

    public static string ForDesk(TokenIssuer tokens, ClaimsPrincipal user, string port) =>
        tokens.Mint(user.StaffId(), [Roles.PortStaff], [port], [], Lifetime,
            user.FindFirstValue(StaffAccess.StampClaim), user.FindFirstValue(StaffAccess.SessionClaim));

    /// <summary>The desk renews its token here, with its sign-in cookie (never with a token).</summary>
    public static void MapTo(WebApplication app) =>
        app.MapPost(DeskRoute, (string port, ClaimsPrincipal user, TokenIssuer tokens) =>
                Ports.ReferenceData.TryGetPort(port, out var known) && user.CanActAt(known.Code)
                    ? Results.Json(new { token = ForDesk(tokens, user, known.Code), expiresInSeconds = (int)Lifetime.TotalSeconds })
                    : Results.Problem(Problems.Forbidden($"You do not work at '{port}'.")))
            .RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute
                { AuthenticationSchemes = StaffSignIn.Scheme, Policy = Policies.PortStaff })
            .ExcludeFromDescription();
}

using System.Text.Json.Serialization;
using System.Security.Claims;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Privacy;

public enum DocumentType { Passport, NationalIdCard, ResidencePermit }

public record PartyMember(string? GivenNames, string? FamilyName, DateOnly? DateOfBirth, string? Nationality, DocumentType? DocumentType, string? DocumentNumber);

/// <summary>
/// The people of a crossing's party and how to reach them. Personal data: never in an event, kept in
/// this one document per crossing, read only by the staff who need it (every read logged), and
/// deleted on erasure.
/// </summary>
public class TravellerProfile
{
    public Guid Id { get; set; }
    public List<PartyMember> Party { get; set; } = [];
    public string? Phone { get; set; }
    public string? Email { get; set; }
    public Language? PreferredLanguage { get; set; }
    /// <summary>The traveller asked to be told of changes to their crossing by e-mail, in their language.</summary>
    public bool NotifyByEmail { get; set; }
    /// <summary>… and by SMS, to <see cref="Phone"/>.</summary>
    public bool NotifyBySms { get; set; }
}

/// <summary>Who read which profile, when and why; never the data itself.</summary>
public class ProfileRead
{
    public Guid Id { get; set; }
    public Guid CrossingId { get; set; }
    /// <summary>The assistance request an agent read it for.</summary>
    public Guid? ForRequest { get; set; }
    public string ReadBy { get; set; } = "";
    public string Role { get; set; } = "";
    public string Reason { get; set; } = "";
    public DateTimeOffset At { get; set; }
}

/// <summary>The traveller's data was erased: the crossing stays, anonymous.</summary>
public record TravellerDataErased(DateTimeOffset At, string By, ErasureReason Reason);

public enum ErasureReason
{
    [JsonStringEnumMemberName("TravellerRequest")] TravellerRequest,
    [JsonStringEnumMemberName("SeasonClosed")] SeasonClosed,
    [JsonStringEnumMemberName("LegalObligation")] LegalObligation,
}

public record SaveProfile(List<PartyMember>? Party, string? Phone, string? Email, Language? PreferredLanguage, bool? NotifyByEmail = null, bool? NotifyBySms = null);

public static class SaveProfileEndpoint
{
    public const int MaxParty = 40;

    public static ProblemDetails Validate(SaveProfile profile)
    {
        if (profile.Party is null || profile.Party.Count is 0 or > MaxParty) return Problems.BadRequest("party", $"party lists 1 to {MaxParty} people.");
        for (var i = 0; i < profile.Party.Count; i++)
        {
            var p = profile.Party[i];
            if (p is null) return Problems.BadRequest($"party[{i}]", "A person is required.");
            if (string.IsNullOrWhiteSpace(p.FamilyName) || p.FamilyName.Length > 100) return Problems.BadRequest($"party[{i}].familyName", "familyName is required, at most 100 characters.");
            if (p.GivenNames is { Length: > 100 }) return Problems.BadRequest($"party[{i}].givenNames", "givenNames is at most 100 characters.");
            if (p.DateOfBirth is { } dob && (dob.Year < 1900 || dob > DateOnly.FromDateTime(DateTime.UtcNow))) return Problems.BadRequest($"party[{i}].dateOfBirth", "dateOfBirth must be a past date after 1900.");
            if (p.Nationality is { } n && (n.Length != 2 || !n.All(char.IsAsciiLetter))) return Problems.BadRequest($"party[{i}].nationality", "nationality is an ISO 3166 two-letter code (MA, FR, IT, ES, ...).");
            if (p.DocumentNumber is { Length: > 30 }) return Problems.BadRequest($"party[{i}].documentNumber", "documentNumber is at most 30 characters.");
        }
        return Notices.Contact.Check(profile.Email, profile.Phone, profile.NotifyByEmail, profile.NotifyBySms) ?? WolverineContinue.NoProblems;
    }

    /// <summary>The operator's booking system records who travels; stored apart from the crossing's events.</summary>
    [WolverinePut("/api/crossings/{crossingId}/profile", OperationId = "SaveTravellerProfile")]
    [Authorize(Policy = Policies.Booking)]
    [ProducesResponseType(204)]
    public static async Task<IResult> Put(Guid crossingId, SaveProfile profile, IDocumentSession session, ClaimsPrincipal user, CancellationToken ct)
    {
        var crossing = await session.LoadAsync<Crossing>(crossingId, ct);
        if (crossing is null) return Problems.NotFound($"No crossing {crossingId}.").ToResult();
        if (await user.WhyNotOperatorAsync(session, crossing.SailingId, ct) is { } forbidden) return forbidden.ToResult();
        if (crossing.Erased) return Problems.Conflict($"The traveller data of crossing {crossing.BookingReference} was erased; it cannot be stored again.").ToResult();
        var saved = new TravellerProfile
        {
            Id = crossingId, Party = profile.Party!.Select(p => p with { Nationality = p.Nationality?.ToUpperInvariant() }).ToList(),
            Phone = Notices.Contact.Phone(profile.Phone), Email = Notices.Contact.Email(profile.Email), PreferredLanguage = profile.PreferredLanguage,
            NotifyByEmail = profile.NotifyByEmail == true, NotifyBySms = profile.NotifyBySms == true
        };
        session.Store(saved);
        await Notices.Consent.GivenAsync(session, crossing, saved, ct);
        return Results.NoContent();
    }

}

public static class ReadProfileEndpoints
{
    /// <summary>
    /// Staff read a party's details only with a reason, and only where they work: port staff at the
    /// crossing's ports, the agent an open request of the crossing is assigned to, admins. Every read is logged.
    /// </summary>
    [WolverineGet("/api/crossings/{crossingId}/profile", OperationId = "ReadTravellerProfile")]
    [Authorize(Policy = Policies.Helpers)]
    [ProducesResponseType<TravellerProfile>(200)]
    public static async Task<IResult> Get(Guid crossingId, string? reason, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 200)
            return Problems.BadRequest("reason", "reason is required (why you need these details), at most 200 characters.").ToResult();
        var crossing = await session.LoadAsync<Crossing>(crossingId, ct);
        if (crossing is null) return Problems.NotFound($"No crossing {crossingId}.").ToResult();
        var (forRequest, forbidden) = await WhyNotAllowedAsync(session, user, crossing, ct);
        if (forbidden is not null) return forbidden.ToResult();
        if (crossing.Erased) return Problems.Make(410, "Erased", $"The traveller data of crossing {crossing.BookingReference} was erased.").ToResult();
        var profile = await session.LoadAsync<TravellerProfile>(crossingId, ct);
        if (profile is null) return Problems.NotFound($"No traveller details were recorded for crossing {crossing.BookingReference}.").ToResult();

        session.Store(new ProfileRead
        {
            Id = Guid.CreateVersion7(), CrossingId = crossingId, ForRequest = forRequest, ReadBy = user.StaffId(),
            Role = string.Join(",", user.FindAll(Claims.Role).Select(c => c.Value)), Reason = reason.Trim(), At = clock.GetUtcNow()
        });
        return Results.Ok(profile);
    }

    /// <summary>
    /// Port staff work at the crossing's ports; an agent reads a party's details only for a request of the crossing
    /// assigned to them, while it is open (the request is kept with the read). Anyone else is refused.
    /// </summary>
    public static async Task<(Guid? ForRequest, ProblemDetails? Refused)> WhyNotAllowedAsync(IQuerySession session, ClaimsPrincipal user, Crossing crossing, CancellationToken ct)
    {
        if (user.IsInRole(Roles.Admin)) return (null, null);
        if (user.IsInRole(Roles.PortStaff) && (user.CanActAt(crossing.Origin) || user.CanActAt(crossing.Destination))) return (null, null);
        if (user.IsInRole(Roles.Agent))
        {
            var me = user.StaffId();
            var requests = await session.Query<AssistanceRequest>().Where(r => r.CrossingId == crossing.Id && r.Agent == me).ToListAsync(ct);
            if (requests.FirstOrDefault(r => r.IsOpen) is { } assigned) return (assigned.Id, null);
            return (null, Problems.Forbidden($"A traveller's details are for the agent a request of crossing {crossing.BookingReference} is assigned to, while it is open: take the request first."));
        }
        return (null, Problems.Forbidden($"You do not work at the ports of crossing {crossing.BookingReference} ({crossing.Origin}, {crossing.Destination})."));
    }

    /// <summary>Who read a crossing's traveller details, when and why.</summary>
    [WolverineGet("/api/crossings/{crossingId}/profile/reads", OperationId = "TravellerProfileReads")]
    [Authorize(Policy = Policies.Admin)]
    [ProducesResponseType<IReadOnlyList<ProfileRead>>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<IResult> Reads(Guid crossingId, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Crossing>(crossingId, ct) is null
            ? Problems.NotFound($"No crossing {crossingId}.").ToResult()
            : Results.Ok(await session.Query<ProfileRead>().Where(r => r.CrossingId == crossingId).OrderBy(r => r.At).ToListAsync(ct));
}

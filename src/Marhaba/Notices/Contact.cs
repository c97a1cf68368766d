using Marhaba.Hosting;
using Marhaba.Privacy;
using Microsoft.AspNetCore.Mvc;
using PhoneNumbers;

namespace Marhaba.Notices;

/// <summary>How a traveller is reached, checked where it is given: an e-mail address a mail server takes, a phone number in E.164.</summary>
public static class Contact
{
    /// <summary>The address as mail is sent to it, or null when it is not one (a name, a missing domain, a list).</summary>
    public static string? Email(string? value) =>
        MimeKit.MailboxAddress.TryParse(value?.Trim() ?? "", out var mailbox) && string.IsNullOrEmpty(mailbox.Name)
        && mailbox.Address.IndexOf('@') is > 0 and var at && at < mailbox.Address.Length - 1 && mailbox.Address[(at + 1)..].Contains('.')
            ? mailbox.Address : null;

    /// <summary>The number in E.164 (+212612345678), with its country code: a national number alone is refused.</summary>
    public static string? Phone(string? value)
    {
        var numbers = PhoneNumberUtil.GetInstance();
        try
        {
            var number = numbers.Parse(value?.Trim() ?? "", null);
            return numbers.IsValidNumber(number) ? numbers.Format(number, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>A 422 naming the field that is not a way to reach someone, or the channel asked for without its address.</summary>
    public static ProblemDetails? Check(string? email, string? phone, bool? byEmail, bool? bySms)
    {
        if (email is { Length: > 200 }) return Problems.BadRequest("email", "email is at most 200 characters.");
        if (phone is { Length: > 40 }) return Problems.BadRequest("phone", "phone is at most 40 characters.");
        if (!string.IsNullOrWhiteSpace(email) && Email(email) is null)
            return Problems.Make(422, "Invalid e-mail address", "email is not an e-mail address (name@example.org).", "email");
        if (!string.IsNullOrWhiteSpace(phone) && Phone(phone) is null)
            return Problems.Make(422, "Invalid phone number", "phone is not a phone number in international form (+212 6 12 34 56 78).", "phone");
        if (byEmail == true && string.IsNullOrWhiteSpace(email))
            return Problems.Make(422, "No e-mail address", "notifyByEmail needs an email address.", "email");
        if (bySms == true && string.IsNullOrWhiteSpace(phone))
            return Problems.Make(422, "No phone number", "notifyBySms needs a phone number.", "phone");
        return null;
    }

    /// <summary>Enough of an address for its owner to recognise it, not enough for someone looking over their shoulder.</summary>
    public static string? Masked(string? address) =>
        address?.IndexOf('@') is > 0 and var at ? $"{address[0]}•••{address[at..]}" : address is null ? null : "•••" + address[^Math.Min(3, address.Length)..];

    /// <summary>The channels the traveller asked to be told on, each with its address.</summary>
    public static IEnumerable<(Channel Channel, string To)> ChannelsOf(TravellerProfile p)
    {
        if (p.NotifyByEmail && p.Email is { } email) yield return (Channel.Email, email);
        if (p.NotifyBySms && p.Phone is { } phone) yield return (Channel.Sms, phone);
    }
}

public static class Consent
{
    /// <summary>The contact a traveller gives, kept in their erasable profile beside the party their operator recorded.</summary>
    public static async Task SaveAsync(Marten.IDocumentSession session, Crossings.Crossing crossing, string? email, string? phone, Assistance.Language? language,
        bool byEmail, bool bySms, CancellationToken ct)
    {
        var profile = await session.LoadAsync<TravellerProfile>(crossing.Id, ct) ?? new TravellerProfile { Id = crossing.Id };
        profile.Email = Contact.Email(email);
        profile.Phone = Contact.Phone(phone);
        profile.PreferredLanguage = language ?? profile.PreferredLanguage;
        profile.NotifyByEmail = byEmail;
        profile.NotifyBySms = bySms;
        session.Store(profile);
        await GivenAsync(session, crossing, profile, ct);
    }

    /// <summary>
    /// Asked to be told: from now on. The crossing as it stands is what the traveller knows; only later changes are told.
    /// Asked no longer: the ledger goes, and nothing more is decided for them.
    /// </summary>
    public static async Task GivenAsync(Marten.IDocumentSession session, Crossings.Crossing crossing, TravellerProfile profile, CancellationToken ct)
    {
        if (!Contact.ChannelsOf(profile).Any())
        {
            session.Delete<NoticeLedger>(crossing.Id);
            return;
        }
        if (await session.LoadAsync<NoticeLedger>(crossing.Id, ct) is not null) return;
        var sailing = await session.LoadAsync<Sailings.Sailing>(crossing.SailingId, ct);
        session.Insert(new NoticeLedger { Id = crossing.Id, Told = Itinerary.Of(crossing, sailing!) });
    }
}

/// <summary>A traveller gives (or changes, or withdraws) how to be told, with their booking reference and access code.</summary>
public record TravellerContact(string? BookingReference, string? AccessCode, string? Email, string? Phone, Assistance.Language? Language, bool? NotifyByEmail, bool? NotifyBySms = null);

public static class TravellerContactEndpoint
{
    public static Microsoft.AspNetCore.Mvc.ProblemDetails Validate(TravellerContact c) =>
        Crossings.TravellerStatusEndpoint.Validate(new Crossings.TravellerStatusRequest(c.BookingReference, c.AccessCode)) is var key && key != Wolverine.Http.WolverineContinue.NoProblems ? key
        : Contact.Check(c.Email, c.Phone, c.NotifyByEmail, c.NotifyBySms) ?? Wolverine.Http.WolverineContinue.NoProblems;

    /// <summary>Kept in the traveller's erasable profile, beside the party the operator recorded; only later changes are told.</summary>
    [Wolverine.Http.WolverinePut("/api/traveller/contact", OperationId = "TravellerGivesContact")]
    [Microsoft.AspNetCore.Authorization.AllowAnonymous]
    [Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(Hosting.TravellerLimits.Policy)]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType(204)]
    public static async Task<IResult> Put(TravellerContact c, HttpContext context, Marten.IDocumentSession session, Crossings.TravellerAccess access, TimeProvider clock, CancellationToken ct)
    {
        var (crossing, refused) = await access.OpenCrossingAsync(session, c.BookingReference, c.AccessCode, context, clock.GetUtcNow(), ct);
        if (crossing is null) return (refused ?? Crossings.TravellerAccess.NoMatch).ToResult();
        await Consent.SaveAsync(session, crossing, c.Email, c.Phone, c.Language, c.NotifyByEmail == true, c.NotifyBySms == true, ct);
        return Results.NoContent();
    }
}

/// <summary>A traveller asks on their page (the key already checked there) to be told by e-mail or SMS, or no longer: through Wolverine.</summary>
public record GiveContactFromTravellerPage(Guid CrossingId, string? Email, string? Phone, Assistance.Language Language, bool ByEmail, bool BySms);

public static class GiveContactFromTravellerPageHandler
{
    /// <summary>Saved, or why not in words for the page.</summary>
    public static async Task<ContactOutcome> Handle(GiveContactFromTravellerPage command, Marten.IDocumentSession session, CancellationToken ct)
    {
        var crossing = (await session.LoadAsync<Crossings.Crossing>(command.CrossingId, ct))!;
        if (Contact.Check(command.Email, command.Phone, command.ByEmail, command.BySms) is { } refused) return new ContactOutcome(refused.Detail);
        await Consent.SaveAsync(session, crossing, command.Email, command.Phone, command.Language, command.ByEmail, command.BySms, ct);
        return new ContactOutcome(null);
    }
}

public record ContactOutcome(string? Refused);

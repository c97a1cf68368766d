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
    public static ProblemDetails? Check(string? email, string? phone, bool? byEmail)
    {
        if (!string.IsNullOrWhiteSpace(email) && Email(email) is null)
            return Problems.Make(422, "Invalid e-mail address", "email is not an e-mail address (name@example.org).", "email");
        if (!string.IsNullOrWhiteSpace(phone) && Phone(phone) is null)
            return Problems.Make(422, "Invalid phone number", "phone is not a phone number in international form (+212 6 12 34 56 78).", "phone");
        if (byEmail == true && string.IsNullOrWhiteSpace(email))
            return Problems.Make(422, "No e-mail address", "notifyByEmail needs an email address.", "email");
        return null;
    }

    /// <summary>The channels the traveller asked to be told on, each with its address.</summary>
    public static IEnumerable<(Channel Channel, string To)> ChannelsOf(TravellerProfile p)
    {
        if (p.NotifyByEmail && p.Email is { } email) yield return (Channel.Email, email);
    }
}

public static class Consent
{
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

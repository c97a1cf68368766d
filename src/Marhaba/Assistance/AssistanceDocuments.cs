namespace Marhaba.Assistance;

/// <summary>How to reach the person helped. Personal data: kept out of the events, erased on request.</summary>
public class AssistanceContact
{
    public Guid Id { get; set; }
    public string? Name { get; set; }
    public string? Phone { get; set; }
    public string? Email { get; set; }
}

/// <summary>
/// The free texts of a request (the description, the agents' notes). People write names and numbers
/// in them, so they live apart from the events, in a document erasure deletes.
/// </summary>
public class AssistanceText
{
    public Guid Id { get; set; }
    public string Description { get; set; } = "";
    public List<AssistanceNote> Notes { get; set; } = [];
}

public record AssistanceNote(Guid NoteId, string Text, string By, DateTimeOffset At, bool VisibleToTraveller);

public record ContactDetails(string? Name, string? Phone, string? Email);

namespace Marhaba.Pages;

/// <summary>Marker type of the staff pages' texts (StaffTexts.resx and its ar, fr and it translations).</summary>
public sealed class StaffTexts;

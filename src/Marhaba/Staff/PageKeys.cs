using System.Xml.Linq;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Marhaba.Staff;

/// <summary>One of the keys that protect the sign-in cookies and antiforgery tokens, as ASP.NET Core's data protection writes it.</summary>
public class PageKey
{
    public string Id { get; set; } = "";
    public string Xml { get; set; } = "";
}

/// <summary>
/// The pages' data-protection keys kept in PostgreSQL, so that every node reads the cookie and the
/// antiforgery token another node wrote, and a restart signs nobody out.
/// </summary>
public sealed class PageKeyRepository(IDocumentStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var session = store.QuerySession();
        return session.Query<PageKey>().ToListAsync().GetAwaiter().GetResult().Select(k => XElement.Parse(k.Xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var session = store.LightweightSession();
        session.Store(new PageKey { Id = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        session.SaveChangesAsync().GetAwaiter().GetResult();
    }

    public static void AddTo(IServiceCollection services, ILoggingBuilder logging)
    {
        services.AddDataProtection().SetApplicationName("marhaba");
        services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<IDocumentStore>((options, store) => options.XmlRepository = new PageKeyRepository(store));
        // The keys sit in the database beside the data they guard, protected as it is: no separate key encryptor,
        // so ASP.NET Core's warning about one is not news on every new key.
        logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
    }
}

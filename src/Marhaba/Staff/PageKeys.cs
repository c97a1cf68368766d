using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    public const string CertificateSetting = "Pages:KeyCertificate";
    public const string CertificatePasswordSetting = "Pages:KeyCertificatePassword";
    public const string PreviousCertificateSetting = "Pages:PreviousKeyCertificate";

    /// <summary>
    /// The keys are encrypted at rest with a certificate held outside the database (<c>Pages:KeyCertificate</c>, a
    /// PFX file, and its password): a copy of the database alone cannot forge a sign-in cookie. For the embedded
    /// default, a self-signed one is made beside the private cluster. During a rotation the previous certificate
    /// (<c>Pages:PreviousKeyCertificate</c>, same password) still decrypts the keys it encrypted.
    /// </summary>
    public static void AddTo(IServiceCollection services, IConfiguration configuration, Hosting.EmbeddedPostgres? embedded)
    {
        var protection = services.AddDataProtection().SetApplicationName("marhaba");
        services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<IDocumentStore>((options, store) => options.XmlRepository = new PageKeyRepository(store));
        var password = configuration[CertificatePasswordSetting];
        var path = configuration[CertificateSetting];
        if (string.IsNullOrWhiteSpace(path) && embedded is not null) (path, password) = (EmbeddedCertificate(embedded), null);
        if (string.IsNullOrWhiteSpace(path)) return; // Development on a configured database: unencrypted, as the warning in the log says
        var certificate = Load(path, password, CertificateSetting);
        var previous = configuration[PreviousCertificateSetting] is { Length: > 0 } old ? Load(old, password, PreviousCertificateSetting) : null;
        protection.ProtectKeysWithCertificate(certificate);
        protection.UnprotectKeysWithAnyCertificate(previous is null ? [certificate] : [certificate, previous]);
    }

    private static X509Certificate2 Load(string path, string? password, string setting)
    {
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
            return certificate.HasPrivateKey ? certificate
                : throw new InvalidOperationException($"{setting}: {path} has no private key.");
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"{setting}: {path} is not a PFX file this password opens ({e.Message}).");
        }
    }

    /// <summary>A self-signed certificate kept beside the private cluster (made once).</summary>
    private static string EmbeddedCertificate(Hosting.EmbeddedPostgres embedded)
    {
        var file = Path.Combine(Path.GetDirectoryName(embedded.DataDirectory)!, "page-keys.pfx");
        if (!File.Exists(file)) File.WriteAllBytes(file, NewCertificate());
        return file;
    }

    /// <summary>A new self-signed RSA certificate for the page keys, as a PFX (without password).</summary>
    public static byte[] NewCertificate()
    {
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest("CN=Marhaba page keys", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        return certificate.Export(X509ContentType.Pfx);
    }
}

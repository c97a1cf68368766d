using System.Text;
using System.Text.Json;
using Alba;
using Marhaba.Hosting;
using Marhaba.PortAuthorities;

namespace Marhaba.Tests.Security;

/// <summary>
/// The token signing key and the authority's shared secret are changed without stopping the desks: while a key
/// rotates, what the previous one signed is still accepted; once it is removed, it is not.
/// </summary>
public class when_keys_are_rotated(AppFixture app) : Scenario(app)
{
    private readonly string _newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));

    [Fact]
    public async Task a_staff_token_signed_with_the_previous_key_works_during_the_rotation_and_not_after()
    {
        var signedBefore = Token(Roles.Planner);
        await using var rotating = await App.StartNodeAsync(("Auth:SigningKey", _newKey), ("Auth:PreviousSigningKeys:0", App.SigningKey));
        await rotating.Scenario(s => { s.WithBearerToken(signedBefore); s.Get.Url("/api/sailings"); s.StatusCodeShouldBe(200); });
        var signedAfter = new TokenIssuer(new AuthOptions { SigningKey = _newKey }).Mint("planner-after", [Roles.Planner]);
        await rotating.Scenario(s => { s.WithBearerToken(signedAfter); s.Get.Url("/api/sailings"); s.StatusCodeShouldBe(200); });

        await using var rotated = await App.StartNodeAsync(("Auth:SigningKey", _newKey));
        await rotated.Scenario(s => { s.WithBearerToken(signedBefore); s.Get.Url("/api/sailings"); s.StatusCodeShouldBe(401); });
        await rotated.Scenario(s => { s.WithBearerToken(signedAfter); s.Get.Url("/api/sailings"); s.StatusCodeShouldBe(200); });
    }

    [Fact]
    public async Task a_notification_signed_with_the_authoritys_previous_secret_is_accepted_only_while_it_rotates()
    {
        var oldSecret = App.Authority.Secret;
        var settings = new[] { ("PortAuthority:AuthorityId", StandInAuthorityServer.AuthorityId), ("PortAuthority:Secret", _newKey) };
        await using var rotating = await App.StartNodeAsync([.. settings, ("PortAuthority:PreviousSecret", oldSecret)]);
        // Past the signature check: the sailing is unknown here (422), not an unauthenticated caller (401).
        (await NotifyAsync(rotating, oldSecret)).ShouldBe(422);
        (await NotifyAsync(rotating, _newKey)).ShouldBe(422);
        (await NotifyAsync(rotating, "neither-of-the-two-secrets-0123456789")).ShouldBe(401);

        await using var rotated = await App.StartNodeAsync(settings);
        (await NotifyAsync(rotated, oldSecret)).ShouldBe(401);
        (await NotifyAsync(rotated, _newKey)).ShouldBe(422);
    }

    private static async Task<int> NotifyAsync(IAlbaHost node, string secret)
    {
        var body = JsonSerializer.Serialize(new AuthorityNotification($"rotation-{Guid.NewGuid()}", NotificationType.SailingDelayed, Guid.NewGuid(), null,
            DateTimeOffset.UtcNow, null, null, DateTimeOffset.UtcNow.AddHours(2), DateTimeOffset.UtcNow.AddHours(4), "weather", null, null, null, null), Json.Options);
        var at = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, AuthorityProtocol.NotificationsPath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(AuthorityProtocol.AuthorityHeader, StandInAuthorityServer.AuthorityId);
        request.Headers.Add(AuthorityProtocol.TimestampHeader, at.ToString());
        request.Headers.Add(AuthorityProtocol.SignatureHeader, AuthorityProtocol.Sign(secret, at, body));
        using var response = await node.Server.CreateClient().SendAsync(request);
        return (int)response.StatusCode;
    }
}

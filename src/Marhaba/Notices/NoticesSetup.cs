using Marten;
using Wolverine;

namespace Marhaba.Notices;

public static class NoticesSetup
{
    public static void AddNotices(this StoreOptions opts)
    {
        // Two nodes deciding for one traveller at once: one commits, the other meets the new version and finds nothing new.
        opts.Schema.For<NoticeLedger>().UseOptimisticConcurrency(true);
        opts.Schema.For<RequestNoticeLedger>().UseOptimisticConcurrency(true);
        opts.Schema.For<Notice>().Index(n => n.CrossingId);
    }

    /// <summary>
    /// Deliveries wait on mail servers and gateways, not on this machine: many at once (the SMS account's rate is kept
    /// by the gateway's client). The decisions are database work: a few at once.
    /// </summary>
    public static void AddNotices(this WolverineOptions opts)
    {
        opts.LocalQueueFor<DeliverNotice>().MaximumParallelMessages(32);
        opts.LocalQueueFor<TellTraveller>().MaximumParallelMessages(8);
    }

    public static void AddNotices(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(NoticeOptions.Section).Get<NoticeOptions>() ?? new NoticeOptions();
        services.AddSingleton(options);
        services.AddSingleton<EmailGateway>();
        SmsGateway.AddTo(services, options.Sms);
        services.AddTransient<NoticeTexts>();
    }
}

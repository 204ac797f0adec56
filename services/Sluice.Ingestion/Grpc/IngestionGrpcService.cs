using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Sluice.Contracts;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Grpc;

/// <summary>sluice.ingestion.v1.IngestionService: sources and jobs (push streams in IngestionGrpcService.Streams.cs).</summary>
internal sealed partial class IngestionGrpcService(
    SourceRegistry sources,
    IngestionStore store,
    JobManager jobs,
    JobNotifier notifier,
    Streams.StreamRegistry streams,
    Streams.StreamRecordWriter streamWriter,
    Streams.StreamLanding streamLanding,
    IOptions<IngestionOptions> options) : IngestionService.IngestionServiceBase
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    public override Task<CreateSourceResponse> CreateSource(CreateSourceRequest request, ServerCallContext context) =>
        Task.FromResult(new CreateSourceResponse { Source = ToProto(sources.Create(request.Name, request.Definition, request.Format)) });

    public override Task<UpdateSourceResponse> UpdateSource(UpdateSourceRequest request, ServerCallContext context) =>
        Task.FromResult(new UpdateSourceResponse { Source = ToProto(sources.Update(request.Name, request.Definition, request.Format)) });

    public override Task<GetSourceResponse> GetSource(GetSourceRequest request, ServerCallContext context) =>
        Task.FromResult(new GetSourceResponse { Source = ToProto(sources.Get(RequireName(request.Name, "name"))) });

    public override Task<ListSourcesResponse> ListSources(ListSourcesRequest request, ServerCallContext context)
    {
        var size = PageSize(request.PageSize);
        var after = request.PageToken.Length == 0 ? "" : DecodeToken(request.PageToken);
        var page = store.ListSources(after, size + 1);
        var response = new ListSourcesResponse();
        response.Sources.AddRange(page.Take(size).Select(ToProto));
        if (page.Count > size)
        {
            response.NextPageToken = EncodeToken(page[size - 1].Name);
        }
        return Task.FromResult(response);
    }

    public override Task<DeleteSourceResponse> DeleteSource(DeleteSourceRequest request, ServerCallContext context)
    {
        sources.Delete(RequireName(request.Name, "name"));
        return Task.FromResult(new DeleteSourceResponse());
    }

    public override Task<StartIngestionResponse> StartIngestion(StartIngestionRequest request, ServerCallContext context)
    {
        var job = jobs.Start(RequireName(request.Source, "source"), request.FullRefresh, JobTrigger.OnDemand);
        return Task.FromResult(new StartIngestionResponse { JobId = job.JobId });
    }

    public override Task<GetJobResponse> GetJob(GetJobRequest request, ServerCallContext context) =>
        Task.FromResult(new GetJobResponse { Job = ToProto(FindJob(request.JobId)) });

    public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        var size = PageSize(request.PageSize);
        (string, string)? before = null;
        if (request.PageToken.Length > 0)
        {
            var parts = DecodeToken(request.PageToken).Split('|');
            if (parts.Length != 2)
            {
                throw RichStatus.InvalidArgument("page_token: is not a token this service returned.", ("page_token", "is not a token this service returned."));
            }
            before = (parts[0], parts[1]);
        }
        var page = store.ListJobs(request.Source.Length == 0 ? null : request.Source, before, size + 1);
        var response = new ListJobsResponse();
        response.Jobs.AddRange(page.Take(size).Select(ToProto));
        if (page.Count > size)
        {
            var last = page[size - 1];
            response.NextPageToken = EncodeToken(IngestionStore.Time(last.CreatedAt) + "|" + last.JobId);
        }
        return Task.FromResult(response);
    }

    public override Task<CancelJobResponse> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        RequireJobId(request.JobId);
        return Task.FromResult(new CancelJobResponse { Job = ToProto(jobs.Cancel(request.JobId)) });
    }

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<WatchJobResponse> responseStream, ServerCallContext context)
    {
        var jobId = request.JobId;
        FindJob(jobId);
        Job? last = null;
        while (true)
        {
            var changed = notifier.NextChange(jobId);
            var job = ToProto(store.GetJob(jobId)!);
            if (!job.Equals(last))
            {
                await responseStream.WriteAsync(new WatchJobResponse { Job = job }, context.CancellationToken).ConfigureAwait(false);
                last = job;
            }
            if (IsFinal(job))
            {
                return;
            }
            await changed.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsFinal(Job job) =>
        job.State is JobState.Failed or JobState.Cancelled
        || job.Phase is JobPhase.Loaded or JobPhase.Rejected or JobPhase.Failed or JobPhase.Cancelled
        || (job.Phase == JobPhase.Landed && !options.Value.AwaitPipeline);

    private JobRecord FindJob(string jobId)
    {
        RequireJobId(jobId);
        return store.GetJob(jobId) ?? throw new JobNotFoundException(jobId);
    }

    private static void RequireJobId(string jobId)
    {
        if (!Guid.TryParseExact(jobId, "D", out _))
        {
            throw RichStatus.InvalidArgument($"job_id: '{jobId}' is not a job id (a UUID).", ("job_id", "must be a job id (a UUID)."));
        }
    }

    private static string RequireName(string name, string field)
    {
        if (!SourceDefinitionParser.IsValidSourceName(name))
        {
            throw RichStatus.InvalidArgument($"{field}: '{name}' is not a source name.", (field, "must be a source name: 1-63 lowercase letters, digits, '_' or '-'."));
        }
        return name;
    }

    private static int PageSize(int requested)
    {
        if (requested < 0 || requested > MaxPageSize)
        {
            throw RichStatus.InvalidArgument($"page_size: must be between 0 and {MaxPageSize}.", ("page_size", $"must be between 0 (the default, {DefaultPageSize}) and {MaxPageSize}."));
        }
        return requested == 0 ? DefaultPageSize : requested;
    }

    private static string EncodeToken(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private static string DecodeToken(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw RichStatus.InvalidArgument("page_token: is not a token this service returned.", ("page_token", "is not a token this service returned."));
        }
    }

    private Source ToProto(StoredSource source) => new()
    {
        CuratedSchemaJson = store.GetCuratedSchema(source.Name) ?? "",
        Name = source.Name,
        DefinitionJson = source.DefinitionJson,
        Version = source.Version,
        CreatedAt = Timestamp.FromDateTimeOffset(source.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(source.UpdatedAt),
        Watermark = source.Watermark ?? "",
    };

    internal static Job ToProto(JobRecord job)
    {
        var proto = new Job
        {
            JobId = job.JobId,
            Source = job.Source,
            State = job.State,
            Phase = job.Phase,
            Trigger = job.Trigger,
            Pages = job.Pages,
            Records = job.Records,
            Bytes = job.Bytes,
            Retries = job.Retries,
            Cursor = job.Cursor,
            Error = job.Error ?? "",
            ManifestKey = job.ManifestKey ?? "",
            Watermark = job.Watermark ?? "",
            CreatedAt = Timestamp.FromDateTimeOffset(job.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(job.UpdatedAt),
            FullRefresh = job.FullRefresh,
            Table = job.Table ?? "",
            TriggerObjectKey = job.TriggerObjectKey ?? "",
        };
        proto.PartKeys.AddRange(job.Parts.Select(p => p.Key));
        proto.CuratedPartKeys.AddRange(job.CuratedParts.Select(p => p.Key));
        return proto;
    }
}

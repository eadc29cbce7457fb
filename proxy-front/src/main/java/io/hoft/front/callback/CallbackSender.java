package io.hoft.front.callback;

import io.hoft.front.CallbackFormat;
import io.hoft.front.CallbackUrlGuard.ForbiddenCallbackUrlException;
import io.hoft.transport.agent.Threads;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.AbstractHttpEntity;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Makes one signed POST per attempt with Apache HttpClient 5, configured for webhooks: no
 * redirects followed, no cookies, no decompression, no automatic retries, no protocol upgrade,
 * a connect timeout and a hard limit on the whole attempt (the request is cancelled when it
 * passes; see {@link #attemptLimitMs}). Host names resolve only through {@link CallbackUrlPolicy#resolveAllowed}, so a
 * connection is only ever opened to an allowed address.
 *
 * <p>The body is rendered twice: into the signer (which also counts it, for Content-Length),
 * then onto the connection; nothing of it is held in memory. At most 64 KiB of the receiver's
 * answer is read; a longer answer closes the connection instead of draining it.
 */
final class CallbackSender implements Closeable {
    static final String USER_AGENT = "hoft-callbacks";
    private static final int RESPONSE_DRAIN_LIMIT = 64 * 1024;
    private static final int SIGNING_BUFFER = 64 * 1024;

    private final CloseableHttpClient client;
    private final CallbackUrlPolicy policy;
    private final StandardWebhooks webhooks;
    private final Duration attemptTimeout;
    private final Clock clock;
    private final ScheduledExecutorService deadlines;
    private final Set<HttpPost> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean aborting;

    CallbackSender(CallbackSettings settings, CallbackUrlPolicy policy, Clock clock) {
        this.policy = policy;
        this.webhooks = settings.webhooks();
        this.attemptTimeout = settings.attemptTimeout();
        this.clock = clock;
        this.deadlines = Executors.newSingleThreadScheduledExecutor(Threads.named("callback-deadlines"));
        Timeout attempt = Timeout.of(settings.attemptTimeout());
        this.client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDnsResolver(new PolicyDnsResolver(policy))
                        .setMaxConnTotal(settings.maxConcurrentDeliveries())
                        .setMaxConnPerRoute(settings.maxConcurrentDeliveries())
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(settings.connectTimeout()))
                                .setSocketTimeout(attempt)
                                .setTimeToLive(TimeValue.ofMinutes(1))
                                .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                                .build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(attempt)
                        .setConnectionRequestTimeout(attempt)
                        .setRedirectsEnabled(false)
                        .setExpectContinueEnabled(false)
                        .setProtocolUpgradeEnabled(false)
                        .build())
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableContentCompression()
                .disableAutomaticRetries()
                .disableAuthCaching()
                .setUserAgent(USER_AGENT)
                .evictExpiredConnections()
                .build();
    }

    /** One attempt: sign, POST, classify. Never throws for anything the receiver or network does. */
    AttemptResult send(CallbackJob job, CallbackPayload payload) {
        long startedMs = clock.millis();
        long startedNs = System.nanoTime();
        long timestamp = clock.instant().getEpochSecond();
        Attempt attempt = new Attempt(startedMs, startedNs, timestamp);
        URI url;
        try {
            url = new URI(job.url());
            policy.checkWithoutResolving(url);
        } catch (ForbiddenCallbackUrlException | java.net.URISyntaxException e) {
            return attempt.end(null, AttemptResult.Outcome.FORBIDDEN_URL, e.getMessage(), null);
        }
        StandardWebhooks.Signer signer = webhooks.signer(job.webhookId(), timestamp);
        try (OutputStream out = new BufferedOutputStream(signer, SIGNING_BUFFER)) {
            payload.writeTo(out);
        } catch (NoSuchFileException e) {
            return attempt.end(null, AttemptResult.Outcome.BODY_MISSING, "response body file is gone", null);
        } catch (IOException e) {
            return attempt.end(null, AttemptResult.Outcome.IO_ERROR, "cannot read the response body: " + e, null);
        }

        HttpPost post = new HttpPost(url);
        post.setHeader(StandardWebhooks.HEADER_ID, job.webhookId());
        post.setHeader(StandardWebhooks.HEADER_TIMESTAMP, Long.toString(timestamp));
        post.setHeader(StandardWebhooks.HEADER_SIGNATURE, signer.signature());
        post.setHeader("Hoft-Request-Id", job.requestId());
        if (job.kind() == CallbackJob.Kind.RESULT && job.format() == CallbackFormat.RAW) {
            post.setHeader("Hoft-Status", Integer.toString(job.response().httpStatus()));
        }
        if (payload.contentType() != null) {
            post.setHeader("Content-Type", payload.contentType());
        }
        post.setEntity(new PayloadEntity(payload, signer.bodyLength()));

        long limitMs = attemptLimitMs(signer.bodyLength());
        AtomicBoolean pastDeadline = new AtomicBoolean();
        ScheduledFuture<?> deadline = deadlines.schedule(() -> {
            pastDeadline.set(true);
            post.cancel();
        }, limitMs, TimeUnit.MILLISECONDS);
        inFlight.add(post);
        try {
            if (aborting) {
                post.cancel();
            }
            try (ClassicHttpResponse response = client.executeOpen(null, post, HttpClientContext.create())) {
                int status = response.getCode();
                drainSome(response.getEntity());
                return classify(attempt, status, response.getFirstHeader("Retry-After"));
            }
        } catch (IOException e) {
            if (aborting && !pastDeadline.get()) {
                return attempt.end(null, AttemptResult.Outcome.SHUTDOWN, "interrupted by shutdown", null);
            }
            if (pastDeadline.get()) {
                return attempt.end(null, AttemptResult.Outcome.TIMEOUT, "no complete answer within " + limitMs + " ms", null);
            }
            return attempt.end(null, outcomeOf(e), describe(e), null);
        } finally {
            deadline.cancel(false);
            inFlight.remove(post);
        }
    }

    /**
     * The hard limit of one attempt: the attempt timeout, plus one second per MiB of payload
     * beyond the first, so a large body gets its transfer time at 1 MiB/s or better (the socket
     * timeout still cuts off a receiver that stops reading).
     */
    long attemptLimitMs(long payloadLength) {
        return attemptTimeout.toMillis() + Math.max(0, payloadLength - 1) / (1 << 20) * 1000;
    }

    private AttemptResult classify(Attempt attempt, int status, Header retryAfter) {
        if (status >= 200 && status < 300) {
            return attempt.end(status, AttemptResult.Outcome.DELIVERED, null, null);
        }
        if (status == 410) {
            return attempt.end(status, AttemptResult.Outcome.GONE, "HTTP 410 Gone: the receiver wants no more", null);
        }
        if (status >= 300 && status < 400) {
            return attempt.end(status, AttemptResult.Outcome.REDIRECT, "HTTP " + status + ": redirects are not followed", null);
        }
        if (status == 429 || status == 503) {
            Long delayMs = retryAfter == null ? null : RetryAfter.parseDelayMs(retryAfter.getValue(), clock.instant());
            return attempt.end(status, AttemptResult.Outcome.RATE_LIMITED,
                    "HTTP " + status + (delayMs == null ? "" : ", Retry-After " + retryAfter.getValue()), delayMs);
        }
        return attempt.end(status, AttemptResult.Outcome.HTTP_ERROR, "HTTP " + status, null);
    }

    private static AttemptResult.Outcome outcomeOf(IOException e) {
        if (e instanceof CallbackUrlPolicy.ForbiddenAddressException) {
            return AttemptResult.Outcome.FORBIDDEN_ADDRESS;
        }
        if (e instanceof ConnectTimeoutException || e instanceof InterruptedIOException) {
            return AttemptResult.Outcome.TIMEOUT;
        }
        if (e instanceof HttpHostConnectException || e instanceof ConnectException || e instanceof NoRouteToHostException
                || e instanceof UnknownHostException) {
            return AttemptResult.Outcome.CONNECT_ERROR;
        }
        return AttemptResult.Outcome.IO_ERROR;
    }

    private static String describe(IOException e) {
        if (e instanceof CallbackUrlPolicy.ForbiddenAddressException) {
            return e.getMessage();
        }
        if (e instanceof UnknownHostException) {
            return "host does not resolve: " + e.getMessage();
        }
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static void drainSome(HttpEntity entity) throws IOException {
        if (entity == null) {
            return;
        }
        try (InputStream in = entity.getContent()) {
            byte[] buffer = new byte[8192];
            long total = 0;
            int n;
            while (total <= RESPONSE_DRAIN_LIMIT && (n = in.read(buffer)) >= 0) {
                total += n;
            }
        }
    }

    /** Cancels every attempt in flight and any that starts from now on. */
    void abortAll() {
        aborting = true;
        inFlight.forEach(HttpPost::cancel);
    }

    @Override
    public void close() throws IOException {
        abortAll();
        deadlines.shutdownNow();
        client.close();
    }

    /** When an attempt started, to measure it when it ends. */
    private record Attempt(long startedMs, long startedNs, long timestamp) {
        AttemptResult end(Integer status, AttemptResult.Outcome outcome, String error, Long retryAfterMs) {
            long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNs);
            return new AttemptResult(startedMs, durationMs, timestamp, status, outcome, error, retryAfterMs);
        }
    }

    /** The payload as an entity of known length, written straight onto the connection. */
    private static final class PayloadEntity extends AbstractHttpEntity {
        private final CallbackPayload payload;
        private final long length;

        PayloadEntity(CallbackPayload payload, long length) {
            super((String) null, null, false);
            this.payload = payload;
            this.length = length;
        }

        @Override
        public long getContentLength() {
            return length;
        }

        @Override
        public InputStream getContent() {
            throw new UnsupportedOperationException("a callback payload is written, not read");
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            CountingOutputStream counting = new CountingOutputStream(out);
            payload.writeTo(counting);
            if (counting.count != length) {
                throw new IOException("payload changed between signing and sending: " + counting.count + " bytes, signed "
                        + length);
            }
        }

        @Override
        public boolean isRepeatable() {
            return false;
        }

        @Override
        public boolean isStreaming() {
            return false;
        }

        @Override
        public void close() {
            // Nothing held: the payload opens its body per pass.
        }
    }

    private static final class CountingOutputStream extends OutputStream {
        private final OutputStream out;
        private long count;

        CountingOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            count += length;
        }
    }

    /** HttpClient's resolver: every host through the URL policy, so only allowed addresses are connected to. */
    private static final class PolicyDnsResolver implements DnsResolver {
        private final CallbackUrlPolicy policy;

        PolicyDnsResolver(CallbackUrlPolicy policy) {
            this.policy = policy;
        }

        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            return policy.resolveAllowed(host);
        }

        @Override
        public String resolveCanonicalHostname(String host) throws UnknownHostException {
            return SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
        }
    }
}

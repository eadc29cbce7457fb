package io.hoft.back;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.BodyFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.hc.client5.http.impl.DefaultConnectionKeepAliveStrategy;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.impl.DefaultConnectionReuseStrategy;
import org.apache.hc.core5.http.impl.io.HttpRequestExecutor;
import org.apache.hc.core5.http.io.HttpClientConnection;
import org.apache.hc.core5.http.io.HttpResponseInformationCallback;
import org.apache.hc.core5.http.io.entity.AbstractHttpEntity;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at one call: a connection leased from the callee's pool and connected, then one
 * HTTP/1.1 exchange on it. It uses HttpClient's connection manager and HttpCore's
 * {@link HttpRequestExecutor} directly, without the client's protocol chain, so nothing is
 * added to the request or taken from the response behind the back's back: no User-Agent, no
 * Accept-Encoding or decompression, no cookies, no redirects, no authentication, no automatic
 * retries, no Upgrade, no Expect of its own; the request line and header fields are exactly those of
 * {@link ReplayRules}.
 *
 * <p>A pooled connection is checked just before the first byte of the request is written
 * ({@link CalleeConnection#checkBeforeReuse}): one the callee closed, reset or sent stray bytes on
 * is replaced by a new connection on the same lease and the request goes there, which is safe
 * because nothing of it was written. A request once written is never written again (SPEC.md
 * 9.1.2). After a response, the connection goes back to the pool only if the callee left nothing
 * unread on it, for at most the upstream's {@code keepAlive} and three quarters of the callee's
 * {@code Keep-Alive: timeout}.
 *
 * <p>Bodies stream: the request body from its stored file (with its exact Content-Length), the
 * response body into memory up to 64 KiB and past that into a new body file, which is forced
 * before the exchange returns; a response body of declared length may be sent on while it
 * arrives ({@link ResponseSlices}): each whole slice is forced and reported as it is written,
 * so the final force covers only the last one. A watchdog may {@link #abort} an exchange that
 * made no progress for the response timeout (a callee that stops reading the request would
 * otherwise block the write for ever).
 */
final class Exchange {
    private static final int BUFFER = 64 * 1024;
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    /**
     * Told of a response body file of declared length as it fills: {@link #started} once the
     * file exists (false: tell nothing more), {@link #durable} each time another whole
     * {@link #sliceBytes} are written and forced, {@link #cancelled} if the exchange then fails.
     * After a response completed, the caller decides what happens.
     */
    interface ResponseSlices {
        long sliceBytes();

        boolean started(Path file, long length, int status, String reason, List<HeaderField> headers);

        void durable(long bytes);

        void cancelled();
    }

    /** Why an attempt produced no response. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        private final CallError error;

        Failure(CallError error, String detail, Throwable cause) {
            super(detail, cause);
            this.error = error;
        }

        CallError error() {
            return error;
        }
    }

    /** Thrown when the connection could not be established: the request never left. */
    static final class NotConnected extends Exception {
        private static final long serialVersionUID = 1L;

        NotConnected(String detail, Throwable cause) {
            super(detail, cause);
        }
    }

    private final Callee callee;
    private final String id;
    private final ConnectionEndpoint endpoint;
    private final long timeoutNanos;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile CallError abortedAs;
    /** True while the connection is one an earlier exchange used (from the pool): it is checked before the first byte. */
    private boolean reused;
    private CalleeConnection connection;
    private boolean reusable;
    private TimeValue keepAlive;

    private Exchange(Callee callee, String id, ConnectionEndpoint endpoint, boolean reused) {
        this.callee = callee;
        this.id = id;
        this.endpoint = endpoint;
        this.reused = reused;
        this.timeoutNanos = callee.config().responseTimeout().toNanos();
    }

    /** Leases a connection (a pooled one or a new one) and makes sure it is connected. */
    static Exchange connect(Callee callee, String id) throws NotConnected, InterruptedException {
        Timeout connectTimeout = Timeout.of(callee.config().connectTimeout());
        ConnectionEndpoint endpoint;
        try {
            endpoint = callee.connections().lease(id, callee.route(), connectTimeout, null).get(connectTimeout);
        } catch (ExecutionException | TimeoutException e) {
            throw new NotConnected("no connection to " + callee.name() + " could be leased: " + e, e);
        }
        boolean reused = endpoint.isConnected();
        if (!reused) {
            try {
                callee.connections().connect(endpoint, connectTimeout, HttpCoreContext.create());
            } catch (IOException e) {
                endpoint.close(CloseMode.IMMEDIATE);
                callee.connections().release(endpoint, null, TimeValue.ZERO_MILLISECONDS);
                if (e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("interrupted while connecting");
                }
                throw new NotConnected("cannot connect to " + callee.name() + " (" + callee.route().getTargetHost() + "): " + e, e);
            }
        }
        return new Exchange(callee, id, endpoint, reused);
    }

    /** True if no byte moved for longer than the response timeout. */
    boolean stalled(long nowNanos) {
        return nowNanos - lastProgressNanos > timeoutNanos;
    }

    /** Breaks the exchange off from another thread; it fails as {@code as}. */
    void abort(CallError as) {
        abortedAs = as;
        endpoint.close(CloseMode.IMMEDIATE);
    }

    private void progress() {
        lastProgressNanos = System.nanoTime();
    }

    /**
     * Sends the request and reads the whole response. The response headers are as the callee
     * sent them (hop-by-hop included; {@link ReplayRules#response} filters them).
     */
    RecordedResponse send(StoredRequest request, String path, List<HeaderField> fields, BodyFiles bodies, long maxBody)
            throws Failure {
        return send(request, path, fields, bodies, maxBody, null);
    }

    /** As {@link #send(StoredRequest, String, List, BodyFiles, long)}, telling {@code slices} (or null) of the body file. */
    RecordedResponse send(StoredRequest request, String path, List<HeaderField> fields, BodyFiles bodies, long maxBody,
            ResponseSlices slices) throws Failure {
        ClassicHttpRequest http = new BasicClassicHttpRequest(request.method(), null, null, path);
        for (HeaderField field : fields) {
            http.addHeader(new BasicHeader(field.name(), field.value()));
        }
        if (request.bodyLength() > 0) {
            http.setEntity(new StoredBody(request, bodies));
        }
        HttpCoreContext context = HttpCoreContext.create();
        Path file = null;
        ResponseSlices growing = null;
        try {
            endpoint.setSocketTimeout(Timeout.of(callee.config().responseTimeout()));
            progress();
            ClassicHttpResponse response;
            try {
                response = endpoint.execute(id, http, new CheckingExecutor(), context);
            } catch (CalleeConnection.Unusable e) {
                // Nothing of the request was written: it goes on a new connection (SPEC.md 9.1.2).
                log.debug("call {}: {}; sending it on a new connection", id, e.getMessage());
                reconnect(e);
                response = endpoint.execute(id, http, new CheckingExecutor(), context);
            }
            progress();
            List<HeaderField> headers = new ArrayList<>();
            for (Header header : response.getHeaders()) {
                headers.add(new HeaderField(header.getName(), header.getValue() == null ? "" : header.getValue()));
            }
            if (response.getCode() < 200 || response.getCode() > 999) {
                throw new HttpException("the callee's final status " + response.getCode() + " is not 200 to 999");
            }
            // NUL is the one byte a status line can carry that the RESPONSE envelope may not (SPEC.md 9.2).
            String reason = response.getReasonPhrase() == null ? "" : response.getReasonPhrase().replace('\0', ' ');
            HttpEntity entity = response.getEntity();
            byte[] inline = null;
            long length = 0;
            if (entity != null) {
                long declared = entity.getContentLength();
                ByteArrayOutputStream small = new ByteArrayOutputStream();
                FileChannel channel = null;
                try (InputStream in = entity.getContent()) {
                    byte[] buffer = new byte[BUFFER];
                    OutputStream sink = small;
                    int n;
                    while ((n = in.read(buffer)) != -1) {
                        progress();
                        length += n;
                        if (length > maxBody) {
                            throw new Failure(CallError.UPSTREAM_RESPONSE_TOO_LARGE,
                                    "the response body is over " + maxBody + " bytes", null);
                        }
                        if (file == null && length > RecordedResponse.INLINE_MAX) {
                            file = bodies.newPath();
                            channel = OwnerOnly.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                            sink = Channels.newOutputStream(channel);
                            small.writeTo(sink);
                            small = null;
                            if (slices != null && declared > slices.sliceBytes() && declared <= maxBody
                                    && slices.started(file, declared, response.getCode(), reason, headers)) {
                                growing = slices;
                            }
                        }
                        long sliceBefore = growing == null ? 0 : (length - n) / growing.sliceBytes();
                        sink.write(buffer, 0, n);
                        if (growing != null && length / growing.sliceBytes() > sliceBefore) {
                            channel.force(true);
                            growing.durable(length);
                        }
                    }
                    if (channel != null) {
                        channel.force(true);
                    } else {
                        inline = small.toByteArray();
                    }
                } finally {
                    if (channel != null) {
                        channel.close();
                    }
                }
            }
            // Bytes after the response are never read as the next one (RFC 9112 section 6.3): the connection goes.
            keepAlive = keepAliveFor(response);
            reusable = DefaultConnectionReuseStrategy.INSTANCE.keepAlive(http, response, context) && !bodyAfterNoBodyStatus(response)
                    && connection != null && connection.clean();
            return new RecordedResponse(response.getCode(), reason, headers, null, inline,
                    file == null ? null : file.getFileName().toString(), length);
        } catch (Failure e) {
            cancel(growing);
            deleteQuietly(file);
            throw e;
        } catch (IOException | HttpException | IllegalArgumentException e) {
            cancel(growing);
            deleteQuietly(file);
            CallError as = abortedAs;
            if (as != null) {
                throw new Failure(as, as == CallError.UPSTREAM_TIMEOUT
                        ? "no progress for " + callee.config().responseTimeout().toMillis() + " ms" : "the call was broken off", e);
            }
            if (e instanceof SocketTimeoutException) {
                throw new Failure(CallError.UPSTREAM_TIMEOUT,
                        "no response within " + callee.config().responseTimeout().toMillis() + " ms", e);
            }
            throw new Failure(CallError.UPSTREAM_FAILED, "the exchange with " + callee.name() + " failed: " + e, e);
        } catch (RuntimeException | Error e) {
            cancel(growing);
            deleteQuietly(file);
            throw e;
        }
    }

    private static void cancel(ResponseSlices growing) {
        if (growing != null) {
            growing.cancelled();
        }
    }

    /**
     * Replaces a pooled connection the callee has left by a new one on the same lease.
     *
     * @throws Failure {@code upstream-unreachable} if no new connection can be made (nothing was sent)
     */
    private void reconnect(CalleeConnection.Unusable why) throws Failure {
        endpoint.close(CloseMode.IMMEDIATE);
        reused = false;
        try {
            callee.connections().connect(endpoint, Timeout.of(callee.config().connectTimeout()), HttpCoreContext.create());
        } catch (IOException e) {
            throw new Failure(CallError.UPSTREAM_UNREACHABLE, why.getMessage() + " and a new connection to " + callee.name()
                    + " failed: " + e + "; the request was not sent", e);
        }
    }

    /**
     * How long the connection may wait in the pool: the upstream's {@code keepAlive}, and no more
     * than three quarters of what the callee announced ({@code Keep-Alive: timeout=N}), so the
     * back drops it before the callee does.
     */
    private TimeValue keepAliveFor(ClassicHttpResponse response) {
        long configured = callee.config().keepAlive().toMillis();
        long announced = DefaultConnectionKeepAliveStrategy.INSTANCE.getKeepAliveDuration(response, HttpClientContext.create())
                .toMilliseconds();
        return TimeValue.ofMilliseconds(announced < 0 ? configured : Math.min(configured, announced * 3 / 4));
    }

    /** A 204 or 304 that announces a body may leave bytes on the connection: never reuse it. */
    private static boolean bodyAfterNoBodyStatus(ClassicHttpResponse response) {
        int code = response.getCode();
        if (code != 204 && code != 304) {
            return false;
        }
        Header length = response.getFirstHeader("Content-Length");
        return response.containsHeader("Transfer-Encoding") || (length != null && !length.getValue().trim().equals("0"));
    }

    /** Returns the connection to the pool if it can carry another exchange, else closes it. */
    void release() {
        if (reusable && abortedAs == null && keepAlive.getDuration() > 0) {
            callee.connections().release(endpoint, null, keepAlive);
        } else {
            endpoint.close(CloseMode.IMMEDIATE);
            callee.connections().release(endpoint, null, TimeValue.ZERO_MILLISECONDS);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // an unowned body file is deleted at the next start anyway
            }
        }
    }

    /** HttpCore's executor, which checks a reused connection before it writes the first byte of the request. */
    private final class CheckingExecutor extends HttpRequestExecutor {
        CheckingExecutor() {
            super(Callee.HTTP1, DefaultConnectionReuseStrategy.INSTANCE, null);
        }

        @Override
        public ClassicHttpResponse execute(ClassicHttpRequest request, HttpClientConnection conn,
                HttpResponseInformationCallback informationCallback, HttpContext context) throws IOException, HttpException {
            connection = (CalleeConnection) conn;
            if (reused) {
                connection.checkBeforeReuse();
            }
            return super.execute(request, conn, informationCallback, context);
        }
    }

    /** The stored request body, streamed with its exact length; each write counts as progress. */
    private final class StoredBody extends AbstractHttpEntity {
        private final StoredRequest request;
        private final BodyFiles bodies;

        StoredBody(StoredRequest request, BodyFiles bodies) {
            super((String) null, null, false);
            this.request = request;
            this.bodies = bodies;
        }

        @Override
        public InputStream getContent() throws IOException {
            return request.bodyInline() != null ? new java.io.ByteArrayInputStream(request.bodyInline())
                    : Files.newInputStream(bodies.path(request.bodyName()));
        }

        @Override
        public long getContentLength() {
            return request.bodyLength();
        }

        @Override
        public boolean isRepeatable() {
            return true;
        }

        @Override
        public boolean isStreaming() {
            return false;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            try (InputStream in = getContent()) {
                byte[] buffer = new byte[BUFFER];
                int n;
                while ((n = in.read(buffer)) != -1) {
                    out.write(buffer, 0, n);
                    progress();
                }
            }
        }

        @Override
        public void close() {
        }
    }
}

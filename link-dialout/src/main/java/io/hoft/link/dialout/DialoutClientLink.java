package io.hoft.link.dialout;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.fs.RegularFile;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.spool.SpoolFileName;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dialing end of the dial-out link (SPEC.md section 19): a node that can open outbound
 * connections but accept none. It listens on no port. It keeps one WebSocket control connection
 * to its front, uploads the files it sends (multipart POSTs, or PUTs for files over 1 MiB), and
 * fetches the files the front announces with GETs, several transfers at a time in each direction
 * (one worker kept for small files). Every request carries a fresh {@link LinkToken}.
 *
 * <p>The control connection is pinged when idle for {@code heartbeat}; when nothing at all was
 * heard on it for three intervals it is aborted and dialed again. Reconnection waits a few short
 * delays, then a capped exponential backoff with jitter. Nothing of the channel lives in the
 * connection: files waiting to go are in {@code out/} until the front answered 201 (or the
 * channel retracted them), fetched files are renamed into {@code in/} before {@code fetched} is
 * sent, and the channel's acks, resends and dedupe cover every loss and repetition in between.
 *
 * <p>An interrupted transfer continues from the bytes that arrived (SPEC.md section 19.5): a
 * fetch keeps what it received in {@code partial/} and asks for the rest with {@code Range} and
 * {@code If-Range}; an upload of a file over 1 MiB asks the front how much it holds ({@code HEAD},
 * {@code Upload-Offset}) and sends the rest as {@code PUT} with {@code Content-Range}. Either is
 * tied to a validator of the file's identity, so bytes of two files are never joined.
 */
public final class DialoutClientLink implements Link {
    private static final Logger log = LoggerFactory.getLogger(DialoutClientLink.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_DOWNLOAD_ATTEMPTS = 5;
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        // The JDK client moves bodies in buffers of jdk.httpclient.bufsize bytes (16 KiB by default),
        // which caps a large transfer at about half of what the disk and loopback allow; 256 KiB
        // reaches curl's speed. The property is read once, when the JDK client is first used in the
        // JVM, so it is set here, before this link builds its client, unless the operator set it.
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
        }
    }

    private final NodeId self;
    private final NodeId front;
    private final DialoutSettings settings;
    private final Keyring keyring;
    private final Clock clock;
    private final SpoolFolder outbox;
    private final SpoolFolder inbox;
    private final PartialFiles partials;
    private final HttpClient http;
    private final TransferQueue uploads = new TransferQueue();
    private final TransferQueue downloads = new TransferQueue();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "hoft-dialout-timer"));
    private final List<Thread> threads = new ArrayList<>();
    private final Object sendLock = new Object();
    private final AtomicLong connections = new AtomicLong();
    private volatile Control control;
    private volatile IncomingSink sink;
    private volatile boolean closed;
    private String token;
    private Instant tokenIssued = Instant.EPOCH;

    /**
     * @param self this node
     * @param front the node it dials
     * @param dir a folder of the node's own (its state), for files waiting to go, fetched files and temporary files
     */
    public DialoutClientLink(NodeId self, NodeId front, DialoutSettings settings, Keyring keyring, Path dir, Clock clock)
            throws IOException {
        this.self = Objects.requireNonNull(self, "self");
        this.front = Objects.requireNonNull(front, "front");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.clock = Objects.requireNonNull(clock, "clock");
        Path tmp = dir.resolve("tmp");
        this.outbox = new SpoolFolder(dir.resolve("out"), tmp, Disk.REAL);
        this.inbox = new SpoolFolder(dir.resolve("in"), tmp, Disk.REAL);
        this.partials = new PartialFiles(dir.resolve("partial"));
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // one connection per transfer: no shared flow-control window
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newCachedThreadPool(r -> daemon(r, "hoft-dialout-http")));
        if (settings.proxy() != null) {
            builder.proxy(ProxySelector.of(settings.proxy()));
        }
        if (settings.trust() != null) {
            builder.sslContext(PinnedTrust.sslContext(settings.trust()));
        }
        this.http = builder.build();
    }

    // ---------------------------------------------------------------- Link

    @Override
    public void send(Path file, SpoolFileName name) throws IOException {
        outbox.put(file, name);
        uploads.add(name, outbox.size(name).orElse(0L));
    }

    @Override
    public void retract(SpoolFileName name) throws IOException {
        outbox.remove(name);
    }

    @Override
    public synchronized void start(NodeId self, IncomingSink sink) {
        if (this.sink != null) {
            throw new IllegalStateException("already started");
        }
        this.sink = sink;
        rescan();
        startThread("hoft-dialout-control", this::controlLoop);
        for (int i = 0; i < settings.parallel(); i++) {
            boolean smallOnly = i == 0;
            startThread("hoft-dialout-upload-" + i, () -> transferLoop(uploads, smallOnly, this::upload));
            startThread("hoft-dialout-download-" + i, () -> transferLoop(downloads, smallOnly, this::download));
        }
        long periodMs = Math.max(50, Math.min(1000, settings.heartbeat().toMillis() / 4));
        timer.scheduleWithFixedDelay(this::heartbeat, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public int removeStaleTemporaryFiles() {
        return outbox.removeStaleTemps() + inbox.removeStaleTemps() + partials.removeStale(clock.instant());
    }

    @Override
    public void rescan() {
        IncomingSink current = sink;
        if (current == null) {
            return;
        }
        for (SpoolFileName name : inbox.list()) {
            if (name.recipient().equals(self)) {
                current.offer(inbox.incoming(name));
            }
        }
        for (SpoolFileName name : outbox.list()) {
            uploads.add(name, outbox.size(name).orElse(0L));
        }
        Control current2 = control;
        if (current2 != null && current2.welcomed) {
            timer.execute(() -> sendControl(current2, ControlMessage.of(ControlMessage.LIST)));
        }
    }

    @Override
    public void close() {
        closed = true;
        uploads.close();
        downloads.close();
        Control current = control;
        if (current != null) {
            current.abort();
        }
        timer.shutdownNow();
        for (Thread thread : threads) {
            thread.interrupt();
        }
        for (Thread thread : threads) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    // ---------------------------------------------------------------- state

    /** True while the control connection is up (welcomed by the front). */
    public boolean connected() {
        Control current = control;
        return current != null && current.welcomed && !current.closed.isDone();
    }

    /** How many control connections were established so far. */
    public long connections() {
        return connections.get();
    }

    /** Aborts the control connection at once, as a network fault would; the link dials again (tests, operations). */
    public void dropConnection() {
        Control current = control;
        if (current != null) {
            current.abort();
        }
    }

    // ---------------------------------------------------------------- credentials

    private synchronized String token() {
        Instant now = clock.instant();
        if (token == null || Duration.between(tokenIssued, now).compareTo(Duration.ofMinutes(1)) > 0 || now.isBefore(tokenIssued)) {
            token = LinkToken.issue(keyring, front, now, LinkToken.LIFETIME);
            tokenIssued = now;
        }
        return token;
    }

    // ---------------------------------------------------------------- control connection

    private void controlLoop() {
        int failures = 0;
        while (!closed) {
            long startedMs = clock.millis();
            Control attempt = new Control();
            try {
                connect(attempt);
                attempt.closed.join();
            } catch (Exception e) {
                if (!closed) {
                    String reason = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                            ? e.getCause().toString() : e.toString();
                    if (failures < 3) {
                        log.info("cannot reach front {} at {}: {}", front, settings.controlUri(), reason);
                    } else {
                        log.debug("cannot reach front {} at {}: {}", front, settings.controlUri(), reason);
                    }
                }
            } finally {
                attempt.abort();
            }
            if (closed) {
                return;
            }
            boolean lived = attempt.welcomed && clock.millis() - startedMs > 2 * settings.heartbeat().toMillis();
            failures = lived ? 1 : failures + 1;
            long delayMs = settings.reconnect().delayMillis(failures, ThreadLocalRandom.current());
            if (attempt.welcomed) {
                log.info("control connection to {} lost; dialing again in {} ms", front, delayMs);
            }
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void connect(Control attempt) throws Exception {
        WebSocket socket = http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + token())
                .connectTimeout(CONNECT_TIMEOUT)
                .buildAsync(settings.controlUri(), attempt)
                .get(CONNECT_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
        attempt.socket = socket;
        control = attempt;
        sendControl(attempt, ControlMessage.hello(self.value()));
        if (!attempt.welcome.await(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("no welcome from the front");
        }
        connections.incrementAndGet();
        log.info("control connection to {} at {} is up", front, settings.controlUri());
    }

    private void sendControl(Control target, ControlMessage message) {
        WebSocket socket = target.socket;
        if (socket == null || target.closed.isDone()) {
            return;
        }
        synchronized (sendLock) {
            try {
                socket.sendText(message.encode(), true).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                target.lastSentMs = clock.millis();
            } catch (Exception e) {
                log.debug("sending {} failed: {}", message.type(), e.toString());
                target.abort();
            }
        }
    }

    private void heartbeat() {
        Control current = control;
        if (current == null || current.socket == null || current.closed.isDone()) {
            return;
        }
        long nowMs = clock.millis();
        if (nowMs - current.lastHeardMs > 3 * settings.heartbeat().toMillis()) {
            log.warn("nothing heard from {} for {} ms; restarting the control connection", front, nowMs - current.lastHeardMs);
            current.abort();
        } else if (nowMs - current.lastSentMs >= settings.heartbeat().toMillis()) {
            sendControl(current, ControlMessage.ping(nowMs));
        }
    }

    private void received(Control from, String text) {
        ControlMessage message;
        try {
            message = ControlMessage.decode(text);
        } catch (IllegalArgumentException e) {
            log.warn("closing the control connection to {}: {}", front, e.getMessage());
            from.abort();
            return;
        }
        switch (message.type()) {
            case ControlMessage.WELCOME -> {
                if (!message.node().equals(front.value()) || message.version() != ControlMessage.VERSION) {
                    log.warn("the front at {} says it is {} (version {}), not {}", settings.controlUri(), message.node(),
                            message.version(), front);
                    from.abort();
                    return;
                }
                from.welcomed = true;
                from.welcome.countDown();
            }
            case ControlMessage.AVAILABLE -> {
                SpoolFileName name = message.spoolName().orElseThrow();
                if (!name.sender().equals(front) || !name.recipient().equals(self)) {
                    log.warn("ignoring an announcement of {}: not a file from {} to {}", name, front, self);
                } else if (Files.exists(inbox.path(name))) {
                    timer.execute(() -> sendControl(from, ControlMessage.fetched(name)));
                } else {
                    downloads.add(name, message.size());
                }
            }
            case ControlMessage.PING -> timer.execute(() -> sendControl(from, ControlMessage.pong(message.at() == null ? 0 : message.at())));
            default -> {
                // pong: heard is enough; catalog and unknown types: nothing for the link to do
            }
        }
    }

    /** One attempt at a control connection, and its WebSocket listener. */
    private final class Control implements WebSocket.Listener {
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        final CountDownLatch welcome = new CountDownLatch(1);
        final StringBuilder partial = new StringBuilder();
        volatile WebSocket socket;
        volatile boolean welcomed;
        volatile long lastHeardMs = clock.millis();
        volatile long lastSentMs = clock.millis();

        void abort() {
            WebSocket current = socket;
            if (current != null) {
                current.abort();
            }
            closed.complete(null);
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            lastHeardMs = clock.millis();
            partial.append(data);
            if (partial.length() > ControlMessage.MAX_CHARS) {
                log.warn("control message from {} too long; closing", front);
                abort();
                return null;
            }
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                received(this, text);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, java.nio.ByteBuffer data, boolean last) {
            log.warn("binary control message from {}; closing", front);
            abort();
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, java.nio.ByteBuffer message) {
            lastHeardMs = clock.millis();
            webSocket.request(1);
            return null; // the JDK answers with a pong
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, java.nio.ByteBuffer message) {
            lastHeardMs = clock.millis();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            log.debug("control connection to {} failed: {}", front, error.toString());
            closed.complete(null);
        }
    }

    // ---------------------------------------------------------------- transfers

    @FunctionalInterface
    private interface Work {
        /** Returns true when the transfer is over (done, or nothing left to do). */
        boolean run(TransferQueue.Transfer transfer) throws IOException, InterruptedException;
    }

    private void transferLoop(TransferQueue queue, boolean smallOnly, Work work) {
        while (!closed) {
            TransferQueue.Transfer transfer;
            try {
                transfer = queue.take(smallOnly);
            } catch (InterruptedException e) {
                return;
            }
            if (transfer == null) {
                return;
            }
            boolean over;
            try {
                over = work.run(transfer);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.info("{} of {} failed (attempt {}): {}", queue == uploads ? "upload" : "download", transfer.name(),
                        transfer.attempt(), e.toString());
                over = false;
            }
            if (over || closed) {
                queue.done(transfer);
            } else if (queue == downloads && transfer.attempt() >= MAX_DOWNLOAD_ATTEMPTS) {
                queue.done(transfer); // the front announces it again on the next list or connection
            } else {
                long delayMs = settings.reconnect().delayMillis(transfer.attempt(), ThreadLocalRandom.current());
                try {
                    timer.schedule(() -> queue.retry(transfer), delayMs, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    queue.done(transfer);
                }
            }
        }
    }

    private boolean upload(TransferQueue.Transfer transfer) throws IOException, InterruptedException {
        SpoolFileName name = transfer.name();
        Path path = outbox.path(name);
        String boundary = "hoft-" + HexFormat.of().formatHex(randomBytes(12));
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        HttpRequest.BodyPublisher file;
        long size;
        String tag;
        try {
            if (RegularFile.irregularKind(path).isPresent()) {
                log.warn("{} is not a regular file; not uploading it", path);
                return true;
            }
            size = Files.size(path);
            file = HttpRequest.BodyPublishers.ofFile(path);
            tag = PartialFiles.tagOf(path);
        } catch (FileNotFoundException | java.nio.file.NoSuchFileException e) {
            return true; // retracted (acknowledged) meanwhile
        }
        if (size > TransferQueue.SMALL_BYTES) {
            OptionalLong offset = uploadOffset(name, tag, size);
            if (offset.isPresent()) {
                return resumedUpload(name, path, tag, size, offset.getAsLong());
            }
        }
        HttpRequest request = HttpRequest.newBuilder(settings.fileUri(name.toString()))
                .header("Authorization", "Bearer " + token())
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .timeout(transferTimeout(size))
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head), file,
                        HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
        return uploaded(name, http.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private boolean uploaded(SpoolFileName name, HttpResponse<String> response) throws IOException {
        int status = response.statusCode();
        if (status == 201 || status == 200 || status == 204) {
            outbox.remove(name);
            return true;
        }
        if (status == 401 || status == 403) {
            log.warn("the front refused the upload of {} with {}: check this node's keys in the front's config", name, status);
        } else {
            log.info("upload of {} answered {} ({}); retrying", name, status, response.body().strip());
        }
        return false;
    }

    /**
     * How many bytes of this file the front holds from an interrupted upload ({@code HEAD} with
     * the file's validator); empty when the front does not answer the question (an older front:
     * the file then goes whole, in one POST).
     */
    private OptionalLong uploadOffset(SpoolFileName name, String tag, long size) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(settings.fileUri(name.toString()))
                .header("Authorization", "Bearer " + token())
                .header(DialoutServerLink.UPLOAD_TAG.toString(), tag)
                .timeout(CONNECT_TIMEOUT.multipliedBy(3))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
        Optional<String> offset = response.headers().firstValue(DialoutServerLink.UPLOAD_OFFSET.toString());
        if (response.statusCode() != 200 || offset.isEmpty() || !offset.get().matches("[0-9]{1,19}")) {
            return OptionalLong.empty();
        }
        long held = Long.parseLong(offset.get());
        return OptionalLong.of(held < size ? held : 0);
    }

    /**
     * Sends the file from byte {@code from} to its end as {@code PUT} with {@code Content-Range},
     * if it is still the file {@code tag} names when it is opened (else the attempt fails, and
     * the next one asks for the offset of the file there now).
     */
    private boolean resumedUpload(SpoolFileName name, Path path, String tag, long size, long from)
            throws IOException, InterruptedException {
        if (from > 0) {
            log.info("continuing the upload of {} from byte {} of {}", name, from, size);
        }
        HttpRequest request = HttpRequest.newBuilder(settings.fileUri(name.toString()))
                .header("Authorization", "Bearer " + token())
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size)
                .header(DialoutServerLink.UPLOAD_TAG.toString(), tag)
                .timeout(transferTimeout(size - from))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        InputStream in = Files.newInputStream(path);
                        if (!PartialFiles.tagOf(path).equals(tag)) {
                            in.close();
                            throw new IOException(name + " was written anew since its upload began");
                        }
                        in.skipNBytes(from);
                        return in;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }), size - from))
                .build();
        return uploaded(name, http.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private boolean download(TransferQueue.Transfer transfer) throws IOException, InterruptedException {
        SpoolFileName name = transfer.name();
        Control current = control;
        if (Files.exists(inbox.path(name))) {
            if (current != null) {
                sendControl(current, ControlMessage.fetched(name));
            }
            return true;
        }
        if (!partials.claim(name)) {
            return false; // a transfer of this name from before a retry is still writing
        }
        try {
            if (!fetch(name, transfer.size())) {
                return false;
            }
        } finally {
            partials.release(name);
        }
        IncomingSink current2 = sink;
        if (current2 != null) {
            current2.offer(inbox.incoming(name));
        }
        current = control;
        if (current != null) {
            sendControl(current, ControlMessage.fetched(name));
        }
        return true;
    }

    /**
     * {@code PUT {base}/_hoft/link/share/{rest}} with this node's token: a bulk upload of the
     * file share (SPEC section 20.5), on the link's own client; returns the status.
     */
    public int putShare(String rest, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(settings.base() + DialoutServerLink.SHARE + rest))
                .header("Authorization", "Bearer " + token())
                .header("Content-Type", "application/octet-stream")
                .timeout(transferTimeout(Math.max(0, body.contentLength())))
                .PUT(body)
                .build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * Fetches {@code name} into its partial file, continuing from the bytes held there with a
     * {@code Range} request whose {@code If-Range} is the validator they came with; renames it
     * into the inbox once it holds the announced {@code size}. True when there is nothing more
     * to do (stored, or retracted meanwhile).
     */
    private boolean fetch(SpoolFileName name, long size) throws IOException, InterruptedException {
        Optional<PartialFiles.Partial> partial = partials.find(name);
        if (partial.isPresent() && (partial.get().length() != size || partial.get().held() >= size)) {
            partials.discard(name); // another file under the same name, or whole but never renamed
            partial = Optional.empty();
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.fileUri(name.toString()))
                .header("Authorization", "Bearer " + token())
                .timeout(transferTimeout(size))
                .GET();
        long from = partial.map(PartialFiles.Partial::held).orElse(0L);
        if (from > 0) {
            log.info("continuing the download of {} from byte {} of {}", name, from, size);
            request.header("Range", "bytes=" + from + "-").header("If-Range", "\"" + partial.get().tag() + "\"");
        }
        String[] refusal = new String[1];
        HttpResponse<Path> response = http.send(request.build(), info -> {
            try {
                return fetchInto(info, name, size, from, refusal);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        int status = response.statusCode();
        if (status == 404) {
            partials.discard(name);
            return true; // acknowledged (retracted) meanwhile
        }
        Path path = response.body();
        if (path == null) {
            log.info("download of {} answered {}{}; retrying", name, status, refusal[0] == null ? "" : ": " + refusal[0]);
            return false;
        }
        long got = Files.size(path);
        if (got != size) {
            log.info("download of {} holds {} bytes of the {} announced; continuing", name, got, size);
            if (got > size) {
                partials.discard(name);
            }
            return false;
        }
        inbox.publish(path, name);
        return true;
    }

    /** Where a fetch's body goes: appended to the partial file for a 206 that fits it, a fresh one for a 200, else nowhere. */
    private HttpResponse.BodySubscriber<Path> fetchInto(HttpResponse.ResponseInfo info, SpoolFileName name, long size, long from,
            String[] refusal) throws IOException {
        int status = info.statusCode();
        if (status == 206 && from > 0) {
            ByteRanges.Span span = ByteRanges.contentRange(info.headers().firstValue("Content-Range").orElse(null));
            Optional<PartialFiles.Partial> partial = partials.find(name);
            if (span == null || span.first() != from || span.last() != size - 1 || span.length() != size || partial.isEmpty()) {
                refusal[0] = "a Content-Range that does not continue the " + from + " bytes held";
                partials.discard(name);
                return HttpResponse.BodySubscribers.replacing(null);
            }
            return HttpResponse.BodySubscribers.ofFile(partial.get().path(), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        if (status == 200) {
            // A strong validator lets a later attempt continue these bytes; without one (another
            // implementation), a random tag that If-Range never matches keeps the partial file useless.
            String etag = info.headers().firstValue("ETag").orElse("");
            String tag = etag.length() > 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : "";
            if (!PartialFiles.TAG.matcher(tag).matches()) {
                tag = HexFormat.of().formatHex(randomBytes(16));
            }
            Path path = partials.create(name, size, tag);
            return HttpResponse.BodySubscribers.ofFile(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        }
        if (status == 416) {
            partials.discard(name); // the bytes held do not fit the file the front holds now
        }
        return HttpResponse.BodySubscribers.replacing(null);
    }

    private static Duration transferTimeout(long size) {
        return Duration.ofSeconds(60 + size / (256 * 1024)); // at least 256 KiB/s, or it is dead
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private void startThread(String name, Runnable loop) {
        Thread thread = daemon(loop, name + "-" + self);
        threads.add(thread);
        thread.start();
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}

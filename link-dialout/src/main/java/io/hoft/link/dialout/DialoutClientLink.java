package io.hoft.link.dialout;

import io.hoft.transport.agent.AgentRunner;
import io.hoft.transport.agent.Threads;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

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
 *
 * <p>The jobs are classes of their own: {@link ControlDialer} (the control connection),
 * {@link FileUploader} and {@link FileFetcher} (one attempt at a transfer each),
 * {@link TransferWorker} (the workers of the two {@link TransferQueue}s) and {@link LinkHttp}
 * (the client and its tokens). This class holds the folders and runs the threads.
 */
public final class DialoutClientLink implements Link {
    private final NodeId self;
    private final DialoutSettings settings;
    private final Clock clock;
    private final SpoolFolder outbox;
    private final SpoolFolder inbox;
    private final PartialFiles partials;
    private final LinkHttp http;
    private final ControlDialer control;
    private final FileUploader uploader;
    private final FileFetcher fetcher;
    private final TransferQueue uploads = new TransferQueue();
    private final TransferQueue downloads = new TransferQueue();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Threads.named("hoft-dialout-timer"));
    private final List<AgentRunner> runners = new ArrayList<>();
    private volatile IncomingSink sink;
    private volatile boolean closed;

    /**
     * @param self this node
     * @param front the node it dials
     * @param dir a folder of the node's own (its state), for files waiting to go, fetched files and temporary files
     */
    public DialoutClientLink(NodeId self, NodeId front, DialoutSettings settings, Keyring keyring, Path dir, Clock clock)
            throws IOException {
        this.self = Objects.requireNonNull(self, "self");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        Path tmp = dir.resolve("tmp");
        this.outbox = new SpoolFolder(dir.resolve("out"), tmp, Disk.REAL);
        this.inbox = new SpoolFolder(dir.resolve("in"), tmp, Disk.REAL);
        this.partials = new PartialFiles(dir.resolve("partial"));
        this.http = new LinkHttp(Objects.requireNonNull(front, "front"), settings, Objects.requireNonNull(keyring, "keyring"),
                clock);
        this.control = new ControlDialer(self, front, http, clock, timer, this::announced);
        this.uploader = new FileUploader(http, outbox);
        this.fetcher = new FileFetcher(http, inbox, partials, control, () -> sink);
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
        runners.add(control.start());
        TransferWorker.Lane up = new TransferWorker.Lane("upload", uploads, uploader::upload, false, settings.reconnect(),
                timer, () -> closed);
        TransferWorker.Lane down = new TransferWorker.Lane("download", downloads, fetcher::download, true, settings.reconnect(),
                timer, () -> closed);
        for (int i = 0; i < settings.parallel(); i++) {
            boolean smallOnly = i == 0;
            runners.add(TransferWorker.start("hoft-dialout-upload-" + i + "-" + self, smallOnly, up));
            runners.add(TransferWorker.start("hoft-dialout-download-" + i + "-" + self, smallOnly, down));
        }
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
        inbox.offerAll(self, current);
        for (SpoolFileName name : outbox.list()) {
            uploads.add(name, outbox.size(name).orElse(0L));
        }
        control.sendLater(ControlMessage.of(ControlMessage.LIST));
    }

    /**
     * Stops dialing and every transfer: a transfer in flight is interrupted (its partial file
     * stays, to continue from), and each thread is given up to five seconds to end.
     */
    @Override
    public void close() {
        closed = true;
        uploads.close();
        downloads.close();
        control.abort();
        timer.shutdownNow();
        runners.forEach(AgentRunner::stopNow);
        for (AgentRunner runner : runners) {
            runner.close(Duration.ofSeconds(5));
        }
    }

    // ---------------------------------------------------------------- state

    /** True while the control connection is up (welcomed by the front). */
    public boolean connected() {
        return control.connected();
    }

    /** How many control connections were established so far. */
    public long connections() {
        return control.connections();
    }

    /**
     * {@code PUT {base}/_hoft/link/share/{rest}} with this node's token: a bulk upload of the
     * file share (SPEC section 20.5), on the link's own client; returns the status.
     */
    public int putShare(String rest, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        HttpRequest request = http.request(URI.create(settings.base() + DialoutServerLink.SHARE + rest))
                .header("Content-Type", "application/octet-stream")
                .timeout(LinkHttp.transferTimeout(Math.max(0, body.contentLength())))
                .PUT(body)
                .build();
        return http.client().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The front announced a file for this node: fetch it, or say it is here already. */
    private void announced(SpoolFileName name, long size) {
        if (Files.exists(inbox.path(name))) {
            control.sendLater(ControlMessage.fetched(name));
        } else {
            downloads.add(name, size);
        }
    }
}

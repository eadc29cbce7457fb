package io.hoft.front;

import io.hoft.transport.channel.ChannelConfig;
import io.hoft.transport.channel.ChannelListener;
import io.hoft.transport.channel.ReceivedMessage;
import io.hoft.transport.channel.Transport;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.FolderLink;
import io.hoft.transport.link.WatchMode;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.NodeStore;
import io.hoft.transport.store.StoreTx;
import io.hoft.transport.testing.TestNodes;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the back proxy: a real transport-core node ({@code back}) on the other side
 * of a folder link, whose listener records every REQUEST (target, fields, body digest, how
 * often it arrived) and hands it to a scripted {@link Responder} on a thread of its own, which
 * answers with RESPONSE (and STATUS) messages the way the real back does. No HTTP callee:
 * what is tested is the front, end to end over a real link.
 */
final class TestBack implements Closeable {

    /** One request as the back received it. */
    record Call(MessageId id, Envelope.Request request, byte[] body, long bodyLength, String bodySha256) {
        String header(String name) {
            return request.headers().stream().filter(f -> f.hasName(name)).map(HeaderField::value).findFirst().orElse(null);
        }
    }

    /** Decides how the back answers a call; runs on its own thread, so it may wait. */
    @FunctionalInterface
    interface Responder {
        void respond(Call call, TestBack back) throws Exception;
    }

    /** The default: STATUS delivered, then 200 with the request body and a few fields describing the request. */
    static final Responder ECHO = (call, back) -> {
        back.delivered(call);
        List<HeaderField> fields = new ArrayList<>();
        String type = call.header("Content-Type");
        fields.add(new HeaderField("Content-Type", type == null ? "application/octet-stream" : type));
        fields.add(new HeaderField("X-Echo-Method", call.request().method()));
        fields.add(new HeaderField("X-Echo-Target", call.request().target()));
        back.reply(call, 200, "OK", fields, call.body());
    };

    private final Path stateDir;
    private final NodeStore store;
    private final Transport transport;
    private final ExecutorService responders = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-back-responder");
        t.setDaemon(true);
        return t;
    });
    final Map<String, Call> calls = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    private volatile Responder responder = ECHO;

    TestBack(Path stateDir, Path outbox, Path inbox, ChannelConfig config) throws IOException {
        this.stateDir = stateDir;
        this.store = NodeStore.open(stateDir);
        FolderLink link = new FolderLink(outbox, inbox, stateDir.resolve("link-tmp"), WatchMode.BOTH, Duration.ofMillis(200),
                Disk.REAL);
        this.transport = Transport.builder().keyring(TestNodes.back()).store(store).stateDir(stateDir).config(config)
                .listener(new Listener()).link(TestNodes.FRONT, link).build();
        transport.start();
    }

    void respondWith(Responder responder) {
        this.responder = responder;
    }

    Transport transport() {
        return transport;
    }

    int deliveries(String id) {
        AtomicInteger n = deliveries.get(id);
        return n == null ? 0 : n.get();
    }

    /** Sends STATUS delivered for the call, as the back does before it calls the callee. */
    void delivered(Call call) throws Exception {
        send(new Envelope.Status(call.id(), "delivered", System.currentTimeMillis(), null), Body.EMPTY);
    }

    void reply(Call call, int status, String reason, List<HeaderField> headers, byte[] body) throws Exception {
        send(new Envelope.Response(call.id(), status, reason, headers, null), Body.ofBytes(body));
    }

    /** A synthetic error response, as the back makes it (no callee response). */
    void error(Call call, int status, String error) throws Exception {
        send(new Envelope.Response(call.id(), status, "", List.of(new HeaderField("Content-Type", "application/json")), error),
                Body.ofBytes(("{\"error\":\"" + error + "\"}").getBytes()));
    }

    /** A response with a body of {@code length} pseudo-random bytes made from {@code seed}, written to a body file. */
    void replyLarge(Call call, List<HeaderField> headers, long length, long seed) throws Exception {
        Path file = transport.bodies().newPath();
        try (OutputStream out = Files.newOutputStream(file)) {
            PatternStream.copy(new PatternStream(length, seed), out);
        }
        transport.bodies().force(file);
        send(new Envelope.Response(call.id(), 200, "OK", headers, null), Body.ofFile(file));
    }

    private void send(Envelope envelope, Body body) throws Exception {
        Instant now = Instant.now();
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofHours(1)), envelope, body);
        store.inTransaction(tx -> {
            transport.send(tx, TestNodes.FRONT, message);
            return null;
        });
    }

    private final class Listener implements ChannelListener {
        @Override
        public void onMessage(StoreTx tx, NodeId peer, ReceivedMessage received) throws Exception {
            Message message = received.message();
            if (!(message.envelope() instanceof Envelope.Request)) {
                return;
            }
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] small = null;
            try (InputStream in = message.body().open()) {
                if (message.body().length() <= 1024 * 1024) {
                    small = in.readAllBytes();
                    digest.update(small);
                } else {
                    byte[] buffer = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buffer)) != -1) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
            Call call = new Call(message.id(), (Envelope.Request) message.envelope(), small, message.body().length(),
                    HexFormat.of().formatHex(digest.digest()));
            tx.afterCommit(() -> {
                calls.put(call.id().value(), call);
                deliveries.computeIfAbsent(call.id().value(), k -> new AtomicInteger()).incrementAndGet();
                Responder r = responder;
                responders.execute(() -> {
                    try {
                        r.respond(call, TestBack.this);
                    } catch (InterruptedException e) {
                        // closing
                    } catch (Exception e) {
                        e.printStackTrace();
                    }
                });
            });
        }
    }

    @Override
    public void close() throws IOException {
        responders.shutdownNow();
        try {
            transport.close();
        } finally {
            store.close();
        }
    }

    Path stateDir() {
        return stateDir;
    }
}

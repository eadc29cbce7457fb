package io.hoft.back;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.channel.TransportMetrics;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.CallError;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.store.BodyFiles;
import io.hoft.transport.store.NodeStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The request table's rules, on a real database: duplicates, the answer's body ownership, purging by retention. */
class RequestStoreTest {
    private static final NodeId FRONT = NodeId.of("front");
    private static final NodeId FRONT2 = NodeId.of("front-2");
    private static final long RETENTION_MS = 60_000;

    @TempDir
    Path dir;

    NodeStore store;
    BodyFiles bodies;
    RequestStore requests;
    final TransportMetrics metrics = new TransportMetrics();

    @BeforeEach
    void open() throws Exception {
        store = NodeStore.open(dir);
        store.migrate("bodies", BodyFiles.SCHEMA);
        store.migrate(BackSchema.MODULE, BackSchema.STEPS);
        bodies = new BodyFiles(dir.resolve("bodies"), Disk.REAL);
        requests = new RequestStore(bodies, RETENTION_MS);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static Message request(MessageId id, long expiresMs) {
        return new Message(id, Instant.ofEpochMilli(1000), Instant.ofEpochMilli(expiresMs),
                new Envelope.Request("POST", "/x", "api", List.of()), Body.ofBytes("body".getBytes()));
    }

    private RequestStore.Recorded record(NodeId peer, Message message) {
        return store.inTransaction(tx -> requests.record(tx, peer, message, Optional::empty, metrics, 2000));
    }

    private long count(String sql, Object... args) {
        return store.inTransaction(tx -> tx.queryLong(sql, args));
    }

    @Test
    void requestsDeliveredInTheSameMillisecondAreCalledInTheOrderTheyArrived() {
        // One data file carries several requests: they share received_ms, and their ids are
        // random within the millisecond, so only the arrival order can say which came first.
        List<MessageId> arrived = List.of(MessageId.of("req-z"), MessageId.of("req-m"), MessageId.of("req-a"));
        for (MessageId id : arrived) {
            assertEquals(RequestStore.Recorded.NEW, record(FRONT, request(id, 100_000)));
        }
        List<MessageId> queued = store.inTransaction(tx -> requests.queued(tx, "api", 10)).stream()
                .map(RequestStore.Queued::id).toList();
        assertEquals(arrived, queued);
    }

    @Test
    void aRepeatedIdIsADuplicateThatOwesAnAnswerOnlyToAnotherPeerUntilAnswered() throws Exception {
        MessageId id = MessageId.of("req-1");
        assertEquals(RequestStore.Recorded.NEW, record(FRONT, request(id, 100_000)));
        assertEquals(RequestStore.Recorded.DUPLICATE, record(FRONT, request(id, 100_000)));
        assertEquals(0, count("SELECT COUNT(*) FROM back_reply"), "the same peer gets the one answer anyway");
        assertEquals(RequestStore.Recorded.DUPLICATE, record(FRONT2, request(id, 100_000)));
        assertEquals(1, count("SELECT COUNT(*) FROM back_reply WHERE peer = 'front-2'"));
        assertTrue(store.inTransaction(tx -> requests.dueReplies(tx, 5000, 10)).isEmpty(), "nothing to send before the answer");
        store.inTransaction(tx -> requests.answer(tx, id, Synthetic.of(CallError.EXPIRED, "x", id, "api"), 3000));
        assertEquals(1, store.inTransaction(tx -> requests.dueReplies(tx, 5000, 10)).size());
        assertEquals(RequestStore.Recorded.DUPLICATE, record(FRONT, request(id, 100_000)));
        assertEquals(2, store.inTransaction(tx -> requests.dueReplies(tx, 5000, 10)).size(), "answered: every repeat is owed");
        assertEquals(3, count("SELECT duplicates FROM back_request WHERE id = 'req-1'"));
        assertEquals(null, store.inTransaction(tx -> requests.load(tx, id)).orElseThrow().bodyInline(),
                "the request body is dropped once answered");
    }

    @Test
    void theReadOnlyViewShowsARequestItsRepeatsAndItsAnswer() throws Exception {
        MessageId id = MessageId.of("req-v");
        record(FRONT, request(id, 100_000));
        assertEquals(RequestStore.Recorded.DUPLICATE, record(FRONT, request(id, 100_000)));
        assertEquals(Map.of("queued", 1L), store.inTransaction(RequestStore::countsByState));
        assertEquals(2000, store.inTransaction(RequestStore::oldestOpenReceivedMs));
        store.inTransaction(tx -> requests.answer(tx, id, Synthetic.of(CallError.UPSTREAM_FORBIDDEN, "x", id, "api"), 3000));

        RequestStore.CallView view = store.inTransaction(tx -> RequestStore.view(tx, "req-v")).orElseThrow();
        assertEquals("responded", view.request().state());
        assertEquals("/x", view.request().target());
        assertEquals(2000, view.receivedMs());
        assertEquals(3000L, view.respondedMs());
        assertEquals(CallError.UPSTREAM_FORBIDDEN.code(), view.answer().error());
        assertEquals(403, view.answer().status());
        assertEquals(1, view.duplicates());
        assertEquals(0, store.inTransaction(RequestStore::countOpen));
        assertEquals(List.of(id), store.inTransaction(tx -> RequestStore.views(tx, List.of("responded"), 2000L, 1)).stream()
                .map(v -> v.request().id()).toList());
        assertTrue(store.inTransaction(tx -> RequestStore.views(tx, List.of(), 2001L, 0)).isEmpty());
    }

    @Test
    void theAnswerOwnsItsBodyFileAndPurgingAfterRetentionDeletesRowAndFile() throws Exception {
        MessageId id = MessageId.of("req-2");
        record(FRONT, request(id, 10_000));
        Path file = bodies.newPath();
        Files.write(file, new byte[100_000]);
        bodies.force(file);
        RecordedResponse response = new RecordedResponse(200, "OK", List.of(), null, null, file.getFileName().toString(), 100_000);
        assertTrue(store.inTransaction(tx -> requests.answer(tx, id, response, 11_000)).isPresent());
        assertFalse(store.inTransaction(tx -> requests.answer(tx, id, response, 11_000)).isPresent(), "answered once only");
        assertEquals(1, count("SELECT COUNT(*) FROM body_file WHERE owner = ?", RequestStore.responseBodyOwner(id)));
        int early = store.inTransaction(tx -> requests.purge(tx, 10_000 + RETENTION_MS - 1, 100));
        assertEquals(0, early);
        assertTrue(Files.exists(file));
        int late = store.inTransaction(tx -> requests.purge(tx, 10_000 + RETENTION_MS + 1, 100));
        assertEquals(1, late);
        assertEquals(0, count("SELECT COUNT(*) FROM back_request"));
        assertEquals(0, count("SELECT COUNT(*) FROM body_file"));
        assertFalse(Files.exists(file));
    }

    private boolean mark(MessageId id, long nowMs) {
        return store.inTransaction(tx -> requests.markCalling(tx, id, 1, nowMs));
    }

    @Test
    void onlyAQueuedUnexpiredRequestCanBeMarkedCalling() {
        MessageId id = MessageId.of("req-3");
        record(FRONT, request(id, 10_000));
        assertFalse(mark(id, 10_000), "expired");
        assertTrue(mark(id, 9_999));
        assertFalse(mark(id, 9_999), "already calling");
        assertEquals(List.of(id), store.inTransaction(requests::calling));
    }
}

package io.hoft.front.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.front.CallbackFormat;
import io.hoft.front.StoredResponse;
import io.hoft.front.internal.RequestStore.CallView;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.store.NodeStore;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-only view of the front's request table that the command line reads, on a real database. */
class RequestStoreViewTest {
    @TempDir
    Path dir;

    NodeStore store;

    @BeforeEach
    void open() throws Exception {
        store = NodeStore.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void theViewShowsACallAsTheFrontStoredAndAnsweredIt() {
        store.migrate(RequestStore.MODULE, RequestStore.SCHEMA);
        RequestStore requests = new RequestStore();
        List<HeaderField> headers = List.of(new HeaderField("Host", "api"), new HeaderField("X-Call", "a"));
        RequestStore.NewRequest call = new RequestStore.NewRequest("call-1",
                new RequestStore.Routing("back", "orders", "api", "POST", "/orders", "svc-user"),
                new RequestStore.RequestCopy(headers, 3, "one".getBytes()), 1000, 61_000,
                new RequestStore.Callbacks(URI.create("https://hooks.example/done"), CallbackFormat.JSON, null), null);
        store.inTransaction(tx -> {
            requests.insert(tx, call, null);
            return requests.respond(tx, "call-1", new StoredResponse(201, "Created", List.of(new HeaderField("A", "b")),
                    "made".getBytes(), null, 4, null), 2000);
        });

        CallView view = store.inTransaction(tx -> RequestStore.view(tx, "call-1")).orElseThrow();
        assertEquals("responded", view.state());
        assertEquals(call.routing(), view.routing());
        assertEquals(2000L, view.steps().respondedMs());
        assertEquals(call.callbacks(), view.callbacks());
        assertEquals(headers, view.request().headers());
        assertArrayEquals("one".getBytes(), view.request().bodyInline());
        assertEquals(201, view.response().status());
        assertEquals(1, view.attempt());
        assertEquals(1, store.inTransaction(tx -> RequestStore.views(tx, List.of("responded"), 1000L, 0)).size());
        assertEquals(0, store.inTransaction(tx -> RequestStore.views(tx, List.of("queued"), null, 0)).size());
        assertEquals(0, store.inTransaction(tx -> RequestStore.views(tx, List.of(), 1001L, 0)).size());
        assertEquals(Map.of("responded", 1L), store.inTransaction(RequestStore::countsByState));
        assertEquals(0, store.inTransaction(RequestStore::oldestOpenAcceptedMs));
    }

    @Test
    void aRowOfAnOlderNodeWithoutTheLaterColumnsIsACallWhoseRequestWasNotKept() {
        store.migrate(RequestStore.MODULE, RequestStore.SCHEMA.subList(0, 1));
        store.inTransaction(tx -> tx.update("INSERT INTO front_request (id, peer, route, upstream, method, target,"
                + " request_body_length, state, accepted_ms, expires_ms) VALUES ('old-1', 'back', 'r', 'api', 'GET', '/', 7,"
                + " 'queued', 500, 9000)"));

        CallView view = store.inTransaction(tx -> RequestStore.view(tx, "old-1")).orElseThrow();
        assertNull(view.request().headers(), "no request kept before schema step 2");
        assertEquals(7, view.request().bodyLength());
        assertNull(view.replayOf());
        assertEquals(1, view.attempt());
        assertNull(view.response());
        assertTrue(store.inTransaction(tx -> RequestStore.replaysOf(tx, "old-1")).isEmpty());
        assertEquals(1, store.inTransaction(RequestStore::countOpen));
        assertEquals(500, store.inTransaction(RequestStore::oldestOpenAcceptedMs));
    }
}

package io.hoft.transport.store;

import java.nio.file.Path;
import java.util.List;

/**
 * The child JVM of {@link NodeStoreTest}: opens the store in {@code args[0]} and commits rows
 * 1, 2, 3, ... one transaction each, printing {@code committed N} as soon as each
 * {@link NodeStore#inTransaction} returns, until it is killed.
 */
public final class CommitChild {
    private CommitChild() {}

    public static void main(String[] args) throws Exception {
        NodeStore store = NodeStore.open(Path.of(args[0]));
        store.migrate("crash", List.of("CREATE TABLE item (n INTEGER PRIMARY KEY, payload TEXT NOT NULL)"));
        String payload = "x".repeat(2000); // a few pages per transaction, so checkpoints happen too
        for (long n = 1; ; n++) {
            long row = n;
            store.inTransaction(tx -> tx.update("INSERT INTO item (n, payload) VALUES (?, ?)", row, payload));
            System.out.println("committed " + n);
            System.out.flush();
        }
    }
}

package io.hoft.transport.store;

/** The node's database failed; the transaction rolled back and nothing of it was kept. */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

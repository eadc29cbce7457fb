package io.hoft.front.internal;

import java.io.IOException;

/** A request body whose framing (chunked coding, length) breaks RFC 9112: the request is refused with 400, never forwarded. */
final class BadFramingException extends IOException {
    private static final long serialVersionUID = 1L;

    BadFramingException(String message) {
        super(message);
    }
}

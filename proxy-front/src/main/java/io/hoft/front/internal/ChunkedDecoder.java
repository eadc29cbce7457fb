package io.hoft.front.internal;

import java.nio.ByteBuffer;

/**
 * Decodes the chunked transfer coding of a request body (RFC 9112 section 7.1) and refuses
 * every deviation from its grammar, where Undertow's own decoder skips to the next line feed:
 *
 * <pre>
 * chunked-body = *chunk last-chunk trailer-section CRLF
 * chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 * chunk-size   = 1*HEXDIG                  (at most 2^59; the body cap applies too)
 * chunk-ext    = *( BWS ";" ... )          (text without control characters)
 * last-chunk   = 1*("0") [ chunk-ext ] CRLF
 * trailer-section = *( field-name ":" field-value CRLF )   (parsed, checked, dropped)
 * </pre>
 *
 * So a size that is not hex, a chunk longer or shorter than its size, a bare LF or CR, a
 * control character in an extension, an empty size line and a malformed trailer each end the
 * body with {@link BadFramingException}; nothing after the first error is decoded. Lines are
 * capped (4 KiB for a size line, 16 KiB for all trailers). Feed it bytes in any slices.
 */
final class ChunkedDecoder {
    private static final long MAX_CHUNK = 1L << 59;
    private static final int MAX_SIZE_LINE = 4096;
    private static final int MAX_TRAILERS = 16 * 1024;

    private enum State { SIZE, SIZE_DIGITS, EXT, SIZE_LF, DATA, DATA_CR, DATA_LF, LINE_START, TRAILER_NAME, TRAILER_VALUE,
        TRAILER_LF, END_LF, DONE }

    private State state = State.SIZE;
    private long size;
    private long dataRemaining;
    private int lineBytes;
    private int trailerBytes;
    private boolean extension;
    private BadFramingException failure;

    /** True while chunk data is due (then {@link #dataRemaining} bytes of it may be read straight through). */
    boolean inData() {
        return state == State.DATA;
    }

    long dataRemaining() {
        return dataRemaining;
    }

    /** Counts {@code n} bytes of chunk data the caller read straight into its own buffer. */
    void consumedData(int n) {
        dataRemaining -= n;
        if (dataRemaining == 0) {
            state = State.DATA_CR;
        }
    }

    boolean done() {
        return state == State.DONE;
    }

    /**
     * Decodes from {@code raw} into {@code dst} as far as both allow. Returns true once the body
     * ended; the bytes still in {@code raw} then belong to what follows the body.
     *
     * @throws BadFramingException at the first byte that breaks the grammar, and for every call after it
     */
    boolean decode(ByteBuffer raw, ByteBuffer dst) throws BadFramingException {
        if (failure != null) {
            throw failure;
        }
        while (raw.hasRemaining() && state != State.DONE) {
            if (state == State.DATA) {
                int n = (int) Math.min(Math.min(raw.remaining(), dst.remaining()), dataRemaining);
                if (n == 0) {
                    return false;
                }
                int limit = raw.limit();
                raw.limit(raw.position() + n);
                dst.put(raw);
                raw.limit(limit);
                consumedData(n);
                continue;
            }
            step(raw.get() & 0xff);
        }
        return state == State.DONE;
    }

    private void step(int b) throws BadFramingException {
        switch (state) {
            case SIZE:
                if (hex(b) < 0) {
                    throw fail(b == '\r' || b == '\n' ? "an empty chunk-size line" : "a chunk size that is not hexadecimal");
                }
                size = hex(b);
                lineBytes = 1;
                extension = false;
                state = State.SIZE_DIGITS;
                break;
            case SIZE_DIGITS:
                lineCheck();
                if (hex(b) >= 0) {
                    if (size >= MAX_CHUNK >> 4) {
                        throw fail("a chunk size over 2^59 bytes");
                    }
                    size = (size << 4) | hex(b);
                } else if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (b == ';' || b == ' ' || b == '\t') {
                    extension = b == ';';
                    state = State.EXT;
                } else {
                    throw fail("a chunk size that is not hexadecimal");
                }
                break;
            case EXT:
                lineCheck();
                if (b == '\r') {
                    if (!extension) {
                        throw fail("white space after a chunk size without an extension");
                    }
                    state = State.SIZE_LF;
                } else if (b == ';') {
                    extension = true;
                } else if (b != ' ' && b != '\t') {
                    if (!extension) {
                        throw fail("text after a chunk size that does not start an extension with ';'");
                    }
                    if (b < 0x20 || b == 0x7f) {
                        throw fail("a control character in a chunk extension");
                    }
                }
                break;
            case SIZE_LF:
                expect(b, '\n', "a chunk-size line ending in CR without LF");
                if (size == 0) {
                    state = State.LINE_START;
                } else {
                    dataRemaining = size;
                    state = State.DATA;
                }
                break;
            case DATA_CR:
                expect(b, '\r', "chunk data not followed by CRLF (the chunk is longer than its size)");
                state = State.DATA_LF;
                break;
            case DATA_LF:
                expect(b, '\n', "chunk data followed by CR without LF");
                state = State.SIZE;
                break;
            case LINE_START:
                trailerCheck();
                if (b == '\r') {
                    state = State.END_LF;
                } else if (tchar(b)) {
                    state = State.TRAILER_NAME;
                } else {
                    throw fail("a malformed trailer field after the last chunk");
                }
                break;
            case TRAILER_NAME:
                trailerCheck();
                if (b == ':') {
                    state = State.TRAILER_VALUE;
                } else if (!tchar(b)) {
                    throw fail("a malformed trailer field name");
                }
                break;
            case TRAILER_VALUE:
                trailerCheck();
                if (b == '\r') {
                    state = State.TRAILER_LF;
                } else if ((b < 0x20 && b != '\t') || b == 0x7f) {
                    throw fail("a control character in a trailer field");
                }
                break;
            case TRAILER_LF:
                expect(b, '\n', "a trailer field ending in CR without LF");
                state = State.LINE_START;
                break;
            case END_LF:
                expect(b, '\n', "the chunked body ending in CR without LF");
                state = State.DONE;
                break;
            default:
                throw new IllegalStateException(state.toString());
        }
    }

    private void lineCheck() throws BadFramingException {
        if (++lineBytes > MAX_SIZE_LINE) {
            throw fail("a chunk-size line over " + MAX_SIZE_LINE + " bytes");
        }
    }

    private void trailerCheck() throws BadFramingException {
        if (++trailerBytes > MAX_TRAILERS) {
            throw fail("trailer fields over " + MAX_TRAILERS + " bytes");
        }
    }

    private void expect(int b, char wanted, String otherwise) throws BadFramingException {
        if (b != wanted) {
            throw fail(otherwise);
        }
    }

    private BadFramingException fail(String what) {
        failure = new BadFramingException("malformed chunked body: " + what);
        return failure;
    }

    private static int hex(int b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    /** RFC 9110 tchar. */
    static boolean tchar(int b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }
}

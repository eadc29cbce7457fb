package io.hoft.front.internal;

import io.undertow.conduits.ReadDataStreamSourceConduit;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.ImmediatePooledByteBuffer;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.xnio.conduits.StreamSourceConduit;

/**
 * The request body of a chunked request, decoded by {@link ChunkedDecoder} in place of
 * Undertow's lenient decoder, which it replaces on the connection before the first byte of
 * the body is read. Below it is what Undertow's decoder would have read: the bytes left over
 * from parsing the request head, then the connection. A framing error fails every read with
 * {@link BadFramingException} and makes the connection non-persistent, but leaves it open, so
 * the caller still gets its 400. Bytes read past the end of the body go back to the connection
 * for the next request, and the request is then complete, as with Undertow's decoder.
 */
final class StrictChunkedConduit extends ReadThroughConduit {
    private final HttpServerExchange exchange;
    private final HttpServerConnection connection;
    private final ChunkedDecoder decoder = new ChunkedDecoder();
    private final ByteBuffer raw = ByteBuffer.allocate(8192).flip();
    private long produced;
    private boolean finished;

    private StrictChunkedConduit(StreamSourceConduit next, HttpServerExchange exchange, HttpServerConnection connection) {
        super(next);
        this.exchange = exchange;
        this.connection = connection;
    }

    /** Decodes this chunked request's body strictly; call before anything reads the body. */
    static void install(HttpServerExchange exchange) {
        HttpServerConnection connection = (HttpServerConnection) exchange.getConnection();
        StreamSourceConduit below = new ReadDataStreamSourceConduit(connection.getOriginalSourceConduit(), connection);
        connection.getChannel().getSourceChannel().setConduit(new StrictChunkedConduit(below, exchange, connection));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (finished) {
            return -1;
        }
        int start = dst.position();
        try {
            while (dst.hasRemaining()) {
                if (!raw.hasRemaining()) {
                    int n = decoder.inData() ? readDataDirectly(dst) : fill();
                    if (n == 0) {
                        break;
                    }
                    if (n == -1) {
                        throw new EOFException("the connection closed inside the chunked request body");
                    }
                    continue;
                }
                if (decoder.decode(raw, dst)) {
                    finish();
                    break;
                }
            }
        } catch (BadFramingException e) {
            exchange.setPersistent(false);
            throw e;
        }
        int n = dst.position() - start;
        produced += n;
        long max = exchange.getMaxEntitySize();
        if (max > 0 && produced > max) {
            exchange.setPersistent(false);
            throw new RequestTooBigException("the request body is over " + max + " bytes");
        }
        return n == 0 && finished ? -1 : n;
    }

    /** Reads chunk data straight into {@code dst}, no further than the chunk goes. */
    private int readDataDirectly(ByteBuffer dst) throws IOException {
        int limit = dst.limit();
        dst.limit((int) Math.min(limit, dst.position() + decoder.dataRemaining()));
        try {
            int n = next.read(dst);
            if (n > 0) {
                decoder.consumedData(n);
            }
            return n;
        } finally {
            dst.limit(limit);
        }
    }

    private int fill() throws IOException {
        raw.clear();
        try {
            return next.read(raw);
        } finally {
            raw.flip();
        }
    }

    private void finish() {
        finished = true;
        if (raw.hasRemaining()) {
            ByteBuffer rest = ByteBuffer.allocate(raw.remaining());
            rest.put(raw).flip();
            connection.ungetRequestBytes(new ImmediatePooledByteBuffer(rest));
        }
        Connectors.terminateRequest(exchange);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]);
            }
        }
        return 0;
    }



    @Override
    public void terminateReads() throws IOException {
        if (!finished) {
            exchange.setPersistent(false); // the rest of the body is still on the connection
            next.terminateReads();
        }
    }
}

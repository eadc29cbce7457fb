package io.hoft.back;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.impl.io.DefaultManagedHttpClientConnection;
import org.apache.hc.client5.http.io.ManagedHttpClientConnection;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.io.DefaultClassicHttpResponseFactory;
import org.apache.hc.core5.http.impl.io.DefaultHttpResponseParser;
import org.apache.hc.core5.http.io.HttpConnectionFactory;
import org.apache.hc.core5.http.io.SessionInputBuffer;
import org.apache.hc.core5.http.message.BasicLineParser;

/**
 * HttpClient's connection to a callee, which can also tell, before a request is written on
 * it again, whether the callee has left it: the callee closed or reset it while it was idle in
 * the pool (the stale keep-alive connection of a callee with an idle timeout, such as Node.js's
 * 5 s), or sent bytes nobody asked for (bytes after a response, which RFC 9112 section 6.3
 * forbids reading as the next response: a browser or nginx closes such a connection). Either
 * way nothing has been written, so the request can go on a new connection.
 *
 * <p>The checks cost nothing but for a connection idle {@link #PROBE_AFTER_IDLE_NANOS} or
 * longer: only a read can see that the peer closed, and it waits up to a millisecond
 * ({@link #isStale()}) when the connection is fine.
 */
final class CalleeConnection extends DefaultManagedHttpClientConnection {
    /** Connections idle at least this long are probed for a close before reuse. */
    static final long PROBE_AFTER_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final AtomicLong COUNTER = new AtomicLong();

    /** Thrown before a request is written on a connection the callee has left; nothing was sent. */
    static final class Unusable extends IOException {
        private static final long serialVersionUID = 1L;

        Unusable(String message) {
            super(message);
        }
    }

    /** The response parser, which keeps a reference to the connection's input buffer. */
    private static final class WatchingParser extends DefaultHttpResponseParser {
        private volatile SessionInputBuffer buffer;

        WatchingParser(Http1Config config) {
            super(config, BasicLineParser.INSTANCE, DefaultClassicHttpResponseFactory.INSTANCE); // as before: bytes kept, NUL refused later
        }

        @Override
        public ClassicHttpResponse parse(SessionInputBuffer buffer, InputStream in) throws IOException, HttpException {
            this.buffer = buffer;
            return super.parse(buffer, in);
        }
    }

    /** Makes the callee's connections: HTTP/1.1 with {@link Callee#HTTP1}, header bytes as ISO-8859-1 both ways. */
    static final HttpConnectionFactory<ManagedHttpClientConnection> FACTORY = socket -> {
        CharsetDecoder decoder = StandardCharsets.ISO_8859_1.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        CharsetEncoder encoder = StandardCharsets.ISO_8859_1.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        CalleeConnection connection = new CalleeConnection(decoder, encoder, new WatchingParser(Callee.HTTP1));
        if (socket != null) {
            connection.bind(socket);
        }
        return connection;
    };

    private final WatchingParser parser;
    private volatile long idleSinceNanos = System.nanoTime();

    private CalleeConnection(CharsetDecoder decoder, CharsetEncoder encoder, WatchingParser parser) {
        super("callee-" + COUNTER.incrementAndGet(), decoder, encoder, Callee.HTTP1, null, null, null, null, config -> parser);
        this.parser = parser;
    }

    @Override
    public void passivate() {
        idleSinceNanos = System.nanoTime();
        super.passivate();
    }

    /** Bytes received and not yet read: in the input buffer, or waiting in the socket. Costs no wait. */
    long unreadBytes() throws IOException {
        SessionInputBuffer buffer = parser.buffer;
        Socket socket = getSocket();
        return (buffer == null ? 0 : buffer.length()) + (socket == null ? 0 : socket.getInputStream().available());
    }

    /** True if the callee left nothing unread on the connection after its response (no wait). */
    boolean clean() {
        try {
            return unreadBytes() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Checks the connection before a request is written on it again.
     *
     * @throws Unusable if the callee closed or reset it, or sent bytes nobody asked for
     */
    void checkBeforeReuse() throws Unusable {
        try {
            if (unreadBytes() > 0) {
                throw new Unusable("the callee sent " + unreadBytes() + " bytes after its last response");
            }
            if (System.nanoTime() - idleSinceNanos >= PROBE_AFTER_IDLE_NANOS) {
                if (isStale()) {
                    throw new Unusable("the callee closed the idle connection");
                }
                if (unreadBytes() > 0) {
                    throw new Unusable("the callee sent bytes on the idle connection");
                }
            }
        } catch (Unusable e) {
            throw e;
        } catch (IOException e) {
            throw new Unusable("the idle connection failed: " + e);
        }
    }
}

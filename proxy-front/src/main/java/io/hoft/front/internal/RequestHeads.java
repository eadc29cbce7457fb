package io.hoft.front.internal;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderValues;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import org.xnio.StreamConnection;
import org.xnio.conduits.StreamSourceConduit;

/**
 * The request head (request line and header section) of each request as it came off the
 * connection, for the two things Undertow's parser does not keep: the order of header fields
 * of different names (its header map keeps only the order within a name; SPEC.md section 9
 * carries the original order) and the HTTP version (it reads {@code HTTP/9.9} as HTTP/1.1).
 *
 * <p>A tap under Undertow's parser copies the bytes of one head per request: it starts at the
 * connection's first byte and again when an exchange completes, when the next bytes are the
 * next request's head (Undertow reads the next request only after that), and stops at the
 * empty line that ends the head, so body bytes are never copied. A head is used only if it
 * matches the request Undertow parsed (method and the count of fields of each name); so a
 * client that pipelines requests gets, for the heads read ahead, Undertow's field order and
 * no version check.
 */
final class RequestHeads {
    /** A verified head: the version as sent and the field names in the order they arrived. */
    record Head(String version, List<String> names) {
    }

    static final AttachmentKey<Head> HEAD = AttachmentKey.create(Head.class);
    private static final AttachmentKey<Tap> TAP = AttachmentKey.create(Tap.class);

    private final int maxHeadBytes;
    /** Taps of connections that have not had a request yet; the tap itself lives in the connection's conduits. */
    private final Map<StreamConnection, WeakReference<Tap>> untaken = Collections.synchronizedMap(new WeakHashMap<>());

    RequestHeads(int maxHeadBytes) {
        this.maxHeadBytes = maxHeadBytes;
    }

    /** Puts a tap under a new connection, before Undertow reads from it. */
    void tap(StreamConnection connection) {
        Tap tap = new Tap(connection.getSourceChannel().getConduit(), maxHeadBytes);
        connection.getSourceChannel().setConduit(tap);
        untaken.put(connection, new WeakReference<>(tap));
    }

    /**
     * Attaches the head of this request ({@link #HEAD}) if the tap has it and it matches, and
     * makes the tap take the next request's head once this exchange completes. Call on the I/O
     * thread, before anything else handles the request.
     */
    void attach(HttpServerExchange exchange) {
        Tap tap = exchange.getConnection().getAttachment(TAP);
        if (tap == null) {
            if (!(exchange.getConnection() instanceof HttpServerConnection)) {
                return;
            }
            WeakReference<Tap> ref = untaken.remove(((HttpServerConnection) exchange.getConnection()).getChannel());
            tap = ref == null ? null : ref.get();
            if (tap == null) {
                return;
            }
            exchange.getConnection().putAttachment(TAP, tap);
        }
        byte[] raw = tap.take();
        Head head = raw == null ? null : parse(raw);
        if (head != null && matches(head, raw, exchange)) {
            exchange.putAttachment(HEAD, head);
        }
        Tap next = tap;
        exchange.addExchangeCompleteListener((done, proceed) -> {
            if (!done.isUpgrade()) { // after an upgrade the connection carries another protocol
                next.arm();
            }
            proceed.proceed();
        });
    }

    /** The head's version and field names; null if it is not a request head. */
    static Head parse(byte[] raw) {
        String[] lines = new String(raw, StandardCharsets.ISO_8859_1).split("\r?\n");
        String requestLine = lines[0];
        int space = requestLine.lastIndexOf(' ');
        if (space < 0 || requestLine.indexOf(' ') == space) {
            return null;
        }
        List<String> names = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (lines[i].isEmpty()) {
                break;
            }
            if (colon <= 0) {
                return null;
            }
            names.add(lines[i].substring(0, colon));
        }
        return new Head(requestLine.substring(space + 1), names);
    }

    /** True if the head is the one Undertow parsed for this exchange: same method, same fields by name and count. */
    private static boolean matches(Head head, byte[] raw, HttpServerExchange exchange) {
        String method = exchange.getRequestMethod().toString();
        if (raw.length <= method.length() || raw[method.length()] != ' '
                || !new String(raw, 0, method.length(), StandardCharsets.ISO_8859_1).equals(method)) {
            return false;
        }
        Map<String, Integer> counted = new HashMap<>();
        for (String name : head.names()) {
            counted.merge(name.toLowerCase(Locale.ROOT), 1, Integer::sum);
        }
        int names = 0;
        for (HeaderValues values : exchange.getRequestHeaders()) {
            names++;
            Integer count = counted.get(values.getHeaderName().toString().toLowerCase(Locale.ROOT));
            if (count == null || count != values.size()) {
                return false;
            }
        }
        return names == counted.size();
    }

    /**
     * Copies the bytes of one request head as they pass, when armed; passes every byte on
     * unchanged. A head longer than the cap is dropped (Undertow refuses it anyway).
     */
    static final class Tap extends ReadThroughConduit {
        private static final int KEPT = 4;
        private final int max;
        private ByteArrayOutputStream current = new ByteArrayOutputStream(512);
        private final Deque<byte[]> heads = new ArrayDeque<>();
        private boolean armed = true;
        private int lineLength;

        Tap(StreamSourceConduit next, int max) {
            super(next);
            this.max = max;
        }

        synchronized void arm() {
            armed = true;
            current = new ByteArrayOutputStream(512);
            lineLength = 0;
        }

        synchronized byte[] take() {
            return heads.pollFirst();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int start = dst.position();
            int n = next.read(dst);
            copy(dst, start, n);
            return n;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            int[] starts = new int[length];
            for (int i = 0; i < length; i++) {
                starts[i] = dsts[offset + i].position();
            }
            long n = next.read(dsts, offset, length);
            for (int i = 0; i < length && n > 0; i++) {
                copy(dsts[offset + i], starts[i], dsts[offset + i].position() - starts[i]);
            }
            return n;
        }



        private synchronized void copy(ByteBuffer buffer, int start, int n) {
            for (int i = start; armed && i < start + n; i++) {
                byte b = buffer.get(i);
                if (current.size() == 0 && (b == '\r' || b == '\n')) {
                    continue; // empty lines before a request line are allowed (RFC 9112 section 2.2)
                }
                current.write(b);
                if (b == '\n') {
                    if (lineLength == 0) {
                        heads.addLast(current.toByteArray());
                        if (heads.size() > KEPT) {
                            heads.pollFirst();
                        }
                        armed = false;
                        current = new ByteArrayOutputStream(0);
                    }
                    lineLength = 0;
                } else if (b != '\r') {
                    lineLength++;
                }
                if (current.size() > max) {
                    armed = false;
                    current = new ByteArrayOutputStream(0);
                }
            }
        }
    }
}

package io.hoft.link.dialout;

import io.hoft.transport.fs.NotRegularFileException;
import io.hoft.transport.fs.RegularFile;
import io.hoft.transport.spool.SpoolFileName;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * The dialed end's answers to fetches of the files it holds for a peer (SPEC.md sections 19.3
 * and 19.5): {@code GET} or {@code HEAD} of a file in {@code held/}, with a strong {@code ETag}
 * and, for a {@code Range} that runs to the end and whose {@code If-Range} is that tag, 206 and
 * the rest of the file. Guarantees: the tag is the file's identity before and after it was
 * opened, so bytes of a file that replaced another under the same name are never served as a
 * continuation; the body streams from the file (zero copy where the platform allows it).
 */
final class HeldFileServer {
    private static final Logger log = LoggerFactory.getLogger(HeldFileServer.class);

    private final SpoolFolder held;
    private final AtomicLong bytesSent = new AtomicLong();

    HeldFileServer(SpoolFolder held) {
        this.held = held;
    }

    /** File bytes sent in answers to fetches (each answer counted whole when it starts). */
    long bytesSent() {
        return bytesSent.get();
    }

    /** Answers a {@code GET} or {@code HEAD} of {@code name}, off the IO thread. */
    void serve(HttpServerExchange exchange, SpoolFileName name) {
        Path path = held.path(name);
        FileChannel channel;
        long size;
        String tag;
        try {
            // The validator is the file's identity before and after opening it: if the name was
            // given to another file meanwhile, this answer has none, and no range is served.
            String before = PartialFiles.tagOf(path);
            channel = RegularFile.openForReading(path);
            size = channel.size();
            tag = before.equals(PartialFiles.tagOf(path)) ? before : null;
        } catch (NoSuchFileException | NotRegularFileException e) {
            DialoutServerLink.refuse(exchange, 404, "not held (acknowledged, or never sent)");
            return;
        } catch (IOException e) {
            DialoutServerLink.refuse(exchange, 500, "cannot read the file");
            return;
        }
        if (tag != null) {
            exchange.getResponseHeaders().put(Headers.ETAG, "\"" + tag + "\"");
            exchange.getResponseHeaders().put(Headers.ACCEPT_RANGES, "bytes");
        }
        OptionalLong start = rangeStart(exchange, tag, size);
        if (start == null) {
            IoUtils.safeClose(channel);
            exchange.getResponseHeaders().put(Headers.CONTENT_RANGE, "bytes */" + size);
            DialoutServerLink.refuse(exchange, 416, "served: one range from a first byte below " + size + " to the end of the file");
            return;
        }
        long from = start.orElse(0);
        exchange.setStatusCode(start.isPresent() ? 206 : 200);
        if (start.isPresent()) {
            exchange.getResponseHeaders().put(Headers.CONTENT_RANGE, "bytes " + from + "-" + (size - 1) + "/" + size);
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, size - from);
        if (Methods.HEAD.equals(exchange.getRequestMethod())) {
            IoUtils.safeClose(channel);
            exchange.endExchange();
            return;
        }
        try {
            channel.position(from); // the sender sends from the channel's position to its end
        } catch (IOException e) {
            IoUtils.safeClose(channel);
            DialoutServerLink.refuse(exchange, 500, "cannot read the file");
            return;
        }
        bytesSent.addAndGet(size - from);
        exchange.getResponseSender().transferFrom(channel, new IoCallback() {
            @Override
            public void onComplete(HttpServerExchange ex, Sender sender) {
                IoUtils.safeClose(channel);
                IoCallback.END_EXCHANGE.onComplete(ex, sender);
            }

            @Override
            public void onException(HttpServerExchange ex, Sender sender, IOException exception) {
                IoUtils.safeClose(channel);
                log.debug("sending {} failed: {}", name, exception.toString());
                IoCallback.END_EXCHANGE.onException(ex, sender, exception);
            }
        });
    }

    /**
     * Where the answer starts: empty for the whole file (no range, one that is not a byte range,
     * which RFC 9110 section 14.2 lets a server ignore, or one whose {@code If-Range} is stale),
     * the first byte of a range that runs to the end, or null for a range that cannot be served.
     */
    private static OptionalLong rangeStart(HttpServerExchange exchange, String tag, long size) {
        String range = exchange.getRequestHeaders().getFirst(Headers.RANGE);
        String ifRange = exchange.getRequestHeaders().getFirst(Headers.IF_RANGE);
        if (range == null || tag == null || !Methods.GET.equals(exchange.getRequestMethod())
                || (ifRange != null && !ifRange.equals("\"" + tag + "\""))) {
            return OptionalLong.empty();
        }
        OptionalLong start = ByteRanges.startToEnd(range, size);
        if (start == null) {
            return OptionalLong.empty();
        }
        return start.isEmpty() ? null : start;
    }
}

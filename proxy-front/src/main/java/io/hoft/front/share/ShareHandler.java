package io.hoft.front.share;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.share.CatalogEntry;
import io.hoft.share.SharePath;
import io.hoft.transport.channel.ChannelFullException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.DateUtils;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET} and {@code HEAD} of {@code /_hoft/files} (the listing: JSON when the caller's
 * {@code Accept} names JSON, HTML otherwise) and {@code /_hoft/files/{path}} (one file).
 *
 * <p>A file is served from the cache when a copy for the current catalog entry is there;
 * otherwise it joins (or starts) the transfer of that file and streams the bytes as they
 * arrive. The status line is written once the first byte is here, so a file the back no
 * longer has is still a 404. Validators: {@code ETag} is the SHA-256 when the catalog has one,
 * else size and time; {@code Last-Modified} the file's time. {@code If-None-Match} (then
 * {@code If-Modified-Since}) can answer 304; a single {@code Range} (first-last, first-,
 * -suffix) answers 206, an unsatisfiable one 416; several ranges are answered with the whole
 * file; {@code If-Range} must match the ETag (strongly) or the Last-Modified date exactly.
 */
final class ShareHandler {
    static final String PREFIX = "/_hoft/files";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");
    private static final HttpString ERROR = new HttpString("Hoft-Error");

    private final FrontCatalog catalog;
    private final ShareCache cache;
    private final ShareClient client;
    private final ShareMetrics metrics;

    ShareHandler(FrontCatalog catalog, ShareCache cache, ShareClient client, ShareMetrics metrics) {
        this.catalog = catalog;
        this.cache = cache;
        this.client = client;
        this.metrics = metrics;
    }

    void handle(HttpServerExchange exchange) throws IOException {
        String method = exchange.getRequestMethod().toString();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
            error(exchange, 405, "method-not-allowed", "the file share answers GET and HEAD");
            return;
        }
        String uri = exchange.getRequestPath(); // the path also of an absolute-form target
        if (uri.equals(PREFIX) || uri.equals(PREFIX + "/")) {
            listing(exchange);
            return;
        }
        String path;
        try {
            path = SharePath.decode(uri.substring(PREFIX.length() + 1));
        } catch (SharePath.InvalidPathException e) {
            metrics.refused.incrementAndGet();
            error(exchange, 400, "bad-path", "not a file of the share: " + e.getMessage());
            return;
        }
        Optional<FrontCatalog.Item> item = catalog.find(path);
        if (item.isEmpty()) {
            error(exchange, 404, "not-found", "no such file in the share");
            return;
        }
        serve(exchange, item.get());
    }

    // ---------------------------------------------------------------- listing

    private void listing(HttpServerExchange exchange) throws IOException {
        List<FrontCatalog.Item> items = catalog.list();
        String accept = exchange.getRequestHeaders().getFirst(Headers.ACCEPT);
        exchange.getResponseHeaders().put(Headers.VARY, "Accept");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        if (wantsJson(accept)) {
            List<Map<String, Object>> files = new ArrayList<>();
            for (FrontCatalog.Item item : items) {
                CatalogEntry e = item.entry();
                Map<String, Object> file = new LinkedHashMap<>();
                file.put("path", e.path());
                file.put("size", e.size());
                file.put("modified", Instant.ofEpochMilli(e.modifiedMs()).toString());
                if (e.sha256() != null) {
                    file.put("sha256", e.sha256());
                }
                file.put("href", PREFIX + "/" + SharePath.encode(e.path()));
                files.add(file);
            }
            send(exchange, 200, "application/json", JSON.writeValueAsBytes(Map.of("files", files)));
        } else {
            StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Files</title></head>"
                    + "<body>\n<h1>Files</h1>\n<table>\n<tr><th>path</th><th>size</th><th>modified</th></tr>\n");
            for (FrontCatalog.Item item : items) {
                CatalogEntry e = item.entry();
                html.append("<tr><td><a href=\"").append(escape(PREFIX + "/" + SharePath.encode(e.path()))).append("\">")
                        .append(escape(e.path())).append("</a></td><td>").append(e.size()).append("</td><td>")
                        .append(Instant.ofEpochMilli(e.modifiedMs())).append("</td></tr>\n");
            }
            html.append("</table>\n</body></html>\n");
            send(exchange, 200, "text/html; charset=utf-8", html.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** JSON when Accept names a JSON type with a higher (or equal) preference than HTML. */
    static boolean wantsJson(String accept) {
        if (accept == null) {
            return false;
        }
        double json = -1;
        double html = -1;
        for (String part : accept.split(",")) {
            String[] params = part.trim().split(";");
            String type = params[0].trim().toLowerCase(Locale.ROOT);
            double q = 1;
            for (int i = 1; i < params.length; i++) {
                String p = params[i].trim();
                if (p.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(p.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (type.equals("application/json") || type.endsWith("+json")) {
                json = Math.max(json, q);
            } else if (type.equals("text/html")) {
                html = Math.max(html, q);
            }
        }
        return json > 0 && json >= html;
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    // ---------------------------------------------------------------- one file

    private void serve(HttpServerExchange exchange, FrontCatalog.Item item) throws IOException {
        CatalogEntry entry = item.entry();
        HeaderMap in = exchange.getRequestHeaders();
        HeaderMap out = exchange.getResponseHeaders();
        String etag = entry.etag();
        String lastModified = DateUtils.toDateString(new Date(entry.modifiedMs()));
        out.put(Headers.ETAG, etag);
        out.put(Headers.LAST_MODIFIED, lastModified);
        out.put(Headers.ACCEPT_RANGES, "bytes");
        if (notModified(in, etag, entry.modifiedMs())) {
            exchange.setStatusCode(304);
            exchange.endExchange();
            return;
        }
        String type = URLConnection.getFileNameMap().getContentTypeFor(entry.path().substring(entry.path().lastIndexOf('/') + 1));
        out.put(Headers.CONTENT_TYPE, type == null ? "application/octet-stream" : type);
        long size = entry.size();
        long first = 0;
        long last = size - 1;
        int status = 200;
        String range = in.getFirst(Headers.RANGE);
        if (range != null && exchange.getRequestMethod().toString().equals("GET") && ifRangeHolds(in.getFirst(Headers.IF_RANGE), etag, lastModified)) {
            long[] wanted = parseRange(range.trim(), size);
            if (wanted == UNSATISFIABLE) {
                out.put(Headers.CONTENT_RANGE, "bytes */" + size);
                error(exchange, 416, "range-not-satisfiable", "the file has " + size + " bytes");
                return;
            }
            if (wanted != null) {
                first = wanted[0];
                last = wanted[1];
                status = 206;
                out.put(Headers.CONTENT_RANGE, "bytes " + first + "-" + last + "/" + size);
            }
        }
        long length = last - first + 1;
        if (exchange.getRequestMethod().toString().equals("HEAD")) {
            exchange.setStatusCode(status);
            out.put(Headers.CONTENT_LENGTH, Long.toString(length));
            exchange.endExchange();
            return;
        }
        String key = ShareCache.key(item.peer(), entry);
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Path> cached = cache.get(key);
            if (cached.isPresent()) {
                try (FileChannel file = FileChannel.open(cached.get())) {
                    metrics.cacheHits.incrementAndGet();
                    start(exchange, status, length);
                    copy(file, first, length, exchange.getOutputStream());
                    return;
                } catch (NoSuchFileException e) {
                    cache.forget(key); // removed behind the front's back: fetch it again
                }
            }
            Transfer transfer;
            try {
                transfer = client.obtain(item, first);
            } catch (ChannelFullException e) {
                out.put(Headers.RETRY_AFTER, "5");
                error(exchange, 503, "share-unavailable", "the link to the back is full; try again later");
                return;
            }
            if (transfer != null) {
                metrics.cacheMisses.incrementAndGet();
                stream(exchange, transfer, status, first, length);
                return;
            }
        }
        error(exchange, 503, "share-unavailable", "the file could not be read from the cache");
    }

    private void stream(HttpServerExchange exchange, Transfer transfer, int status, long first, long length) throws IOException {
        long available;
        try {
            available = length == 0 ? 0 : transfer.awaitAvailable(first);
        } catch (Transfer.TransferFailedException e) {
            if (e.failure.status() == 503) {
                exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
            }
            error(exchange, e.failure.status(), e.failure.error(), e.failure.message());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        OutputStream body;
        try (FileChannel file = transfer.openReader()) {
            start(exchange, status, length);
            body = exchange.getOutputStream();
            long position = first;
            long end = first + length;
            while (position < end) {
                if (available <= position) {
                    body.flush();
                    available = transfer.awaitAvailable(position);
                }
                long n = Math.min(end, available) - position;
                copy(file, position, n, body);
                position += n;
            }
            body.flush();
        } catch (Transfer.TransferFailedException e) {
            // the status line is out: all that is left is to break the connection, so the caller sees a short body
            exchange.getConnection().close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.getConnection().close();
        }
    }

    private static void start(HttpServerExchange exchange, int status, long length) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, Long.toString(length));
    }

    private static void copy(FileChannel file, long position, long length, OutputStream out) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(256 * 1024, Math.max(1, length)));
        long done = 0;
        while (done < length) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), length - done));
            int n = file.read(buffer, position + done);
            if (n < 0) {
                throw new IOException("cached file shorter than expected");
            }
            out.write(buffer.array(), 0, n);
            done += n;
        }
    }

    private static final long[] UNSATISFIABLE = new long[0];

    /**
     * {@code [first, last]} of a single byte range, null to ignore the header (several ranges,
     * another unit, bad syntax), {@link #UNSATISFIABLE} for a range that misses the file.
     */
    static long[] parseRange(String header, long size) {
        Matcher m = RANGE.matcher(header);
        if (!m.matches() || m.group(1).isEmpty() && m.group(2).isEmpty()) {
            return null;
        }
        if (m.group(1).isEmpty()) {
            long suffix = Long.parseLong(m.group(2));
            if (suffix == 0 || size == 0) {
                return UNSATISFIABLE;
            }
            return new long[] {Math.max(0, size - suffix), size - 1};
        }
        long first = Long.parseLong(m.group(1));
        if (!m.group(2).isEmpty() && Long.parseLong(m.group(2)) < first) {
            return null;
        }
        if (first >= size) {
            return UNSATISFIABLE;
        }
        long last = m.group(2).isEmpty() ? size - 1 : Long.parseLong(m.group(2));
        return new long[] {first, Math.min(last, size - 1)};
    }

    static boolean ifRangeHolds(String ifRange, String etag, String lastModified) {
        if (ifRange == null) {
            return true;
        }
        ifRange = ifRange.trim();
        if (ifRange.startsWith("\"") || ifRange.startsWith("W/")) {
            return ifRange.equals(etag);
        }
        return ifRange.equals(lastModified);
    }

    static boolean notModified(HeaderMap in, String etag, long modifiedMs) {
        String ifNoneMatch = in.getFirst(Headers.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            for (String tag : ifNoneMatch.split(",")) {
                String t = tag.trim();
                if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
                    return true;
                }
            }
            return false;
        }
        String since = in.getFirst(Headers.IF_MODIFIED_SINCE);
        if (since != null) {
            Date date = DateUtils.parseDate(since);
            return date != null && modifiedMs / 1000 <= date.getTime() / 1000;
        }
        return false;
    }

    private static void send(HttpServerExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, Long.toString(body.length));
        if (!exchange.getRequestMethod().toString().equals("HEAD")) {
            exchange.getOutputStream().write(body);
        }
        exchange.endExchange();
    }

    static void error(HttpServerExchange exchange, int status, String error, String message) throws IOException {
        exchange.getResponseHeaders().put(ERROR, error);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("error", error);
        json.put("message", message);
        send(exchange, status, "application/json", JSON.writeValueAsBytes(json));
    }
}

package io.hoft.link.dialout;

import io.hoft.transport.link.Link.IncomingSink;
import io.hoft.transport.spool.SpoolFileName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches of the files the front announces (SPEC.md section 19.3): a {@code GET} into a partial
 * file, continued after a cut with {@code Range} and {@code If-Range} (SPEC.md section 19.5).
 * Guarantees: a file appears in {@code in/} only whole (the announced size, renamed there), and
 * is handed to the channel before the front hears {@code fetched}; bytes are continued only under
 * the validator they came with, so two files under one name are never joined; one transfer at a
 * time writes a name's partial file.
 */
final class FileFetcher {
    private static final Logger log = LoggerFactory.getLogger(FileFetcher.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LinkHttp http;
    private final SpoolFolder inbox;
    private final PartialFiles partials;
    private final ControlDialer control;
    private final Supplier<IncomingSink> sink;

    FileFetcher(LinkHttp http, SpoolFolder inbox, PartialFiles partials, ControlDialer control, Supplier<IncomingSink> sink) {
        this.http = http;
        this.inbox = inbox;
        this.partials = partials;
        this.control = control;
        this.sink = sink;
    }

    /** One attempt; true when the transfer is over (stored and reported, or retracted meanwhile). */
    boolean download(TransferQueue.Transfer transfer) throws IOException, InterruptedException {
        SpoolFileName name = transfer.name();
        if (Files.exists(inbox.path(name))) {
            control.send(ControlMessage.fetched(name));
            return true;
        }
        if (!partials.claim(name)) {
            return false; // a transfer of this name from before a retry is still writing
        }
        try {
            if (!fetch(name, transfer.size())) {
                return false;
            }
        } finally {
            partials.release(name);
        }
        IncomingSink current = sink.get();
        if (current != null) {
            current.offer(inbox.incoming(name));
        }
        control.send(ControlMessage.fetched(name));
        return true;
    }

    /**
     * Fetches {@code name} into its partial file, continuing from the bytes held there with a
     * {@code Range} request whose {@code If-Range} is the validator they came with; renames it
     * into the inbox once it holds the announced {@code size}. True when there is nothing more
     * to do (stored, or retracted meanwhile).
     */
    private boolean fetch(SpoolFileName name, long size) throws IOException, InterruptedException {
        Optional<PartialFiles.Partial> partial = partials.find(name);
        if (partial.isPresent() && (partial.get().length() != size || partial.get().held() >= size)) {
            partials.discard(name); // another file under the same name, or whole but never renamed
            partial = Optional.empty();
        }
        HttpRequest.Builder request = http.file(name)
                .timeout(LinkHttp.transferTimeout(size))
                .GET();
        long from = partial.map(PartialFiles.Partial::held).orElse(0L);
        if (from > 0) {
            log.info("continuing the download of {} from byte {} of {}", name, from, size);
            request.header("Range", "bytes=" + from + "-").header("If-Range", "\"" + partial.get().tag() + "\"");
        }
        String[] refusal = new String[1];
        HttpResponse<Path> response = http.client().send(request.build(), info -> {
            try {
                return fetchInto(info, name, size, from, refusal);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        int status = response.statusCode();
        if (status == 404) {
            partials.discard(name);
            return true; // acknowledged (retracted) meanwhile
        }
        Path path = response.body();
        if (path == null) {
            log.info("download of {} answered {}{}; retrying", name, status, refusal[0] == null ? "" : ": " + refusal[0]);
            return false;
        }
        long got = Files.size(path);
        if (got != size) {
            log.info("download of {} holds {} bytes of the {} announced; continuing", name, got, size);
            if (got > size) {
                partials.discard(name);
            }
            return false;
        }
        inbox.publish(path, name);
        return true;
    }

    /** Where a fetch's body goes: appended to the partial file for a 206 that fits it, a fresh one for a 200, else nowhere. */
    private HttpResponse.BodySubscriber<Path> fetchInto(HttpResponse.ResponseInfo info, SpoolFileName name, long size, long from,
            String[] refusal) throws IOException {
        int status = info.statusCode();
        if (status == 206 && from > 0) {
            ByteRanges.Span span = ByteRanges.contentRange(info.headers().firstValue("Content-Range").orElse(null));
            Optional<PartialFiles.Partial> partial = partials.find(name);
            if (span == null || span.first() != from || span.last() != size - 1 || span.length() != size || partial.isEmpty()) {
                refusal[0] = "a Content-Range that does not continue the " + from + " bytes held";
                partials.discard(name);
                return HttpResponse.BodySubscribers.replacing(null);
            }
            return HttpResponse.BodySubscribers.ofFile(partial.get().path(), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        if (status == 200) {
            // A strong validator lets a later attempt continue these bytes; without one (another
            // implementation), a random tag that If-Range never matches keeps the partial file useless.
            String etag = info.headers().firstValue("ETag").orElse("");
            String tag = etag.length() > 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : "";
            if (!PartialFiles.TAG.matcher(tag).matches()) {
                byte[] random = new byte[16];
                RANDOM.nextBytes(random);
                tag = HexFormat.of().formatHex(random);
            }
            Path path = partials.create(name, size, tag);
            return HttpResponse.BodySubscribers.ofFile(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        }
        if (status == 416) {
            partials.discard(name); // the bytes held do not fit the file the front holds now
        }
        return HttpResponse.BodySubscribers.replacing(null);
    }
}

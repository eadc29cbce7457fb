package io.hoft.link.dialout;

import io.hoft.transport.fs.RegularFile;
import io.hoft.transport.spool.SpoolFileName;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads of the dialing node's files waiting in {@code out/} (SPEC.md section 19.3): a multipart
 * {@code POST}, or for a file over 1 MiB a {@code PUT} with {@code Content-Range} from the offset
 * the front holds of it (SPEC.md section 19.5). Guarantees: a file leaves {@code out/} only once
 * the front answered 2xx (its 201 means the file is durable there); a resumed upload is tied to
 * the file's validator, so bytes of two files under one name are never joined.
 */
final class FileUploader {
    private static final Logger log = LoggerFactory.getLogger(FileUploader.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LinkHttp http;
    private final SpoolFolder outbox;

    FileUploader(LinkHttp http, SpoolFolder outbox) {
        this.http = http;
        this.outbox = outbox;
    }

    /** One attempt; true when the transfer is over (uploaded, or retracted meanwhile). */
    boolean upload(TransferQueue.Transfer transfer) throws IOException, InterruptedException {
        SpoolFileName name = transfer.name();
        Path path = outbox.path(name);
        byte[] random = new byte[12];
        RANDOM.nextBytes(random);
        String boundary = "hoft-" + HexFormat.of().formatHex(random);
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        HttpRequest.BodyPublisher file;
        long size;
        String tag;
        try {
            if (RegularFile.irregularKind(path).isPresent()) {
                log.warn("{} is not a regular file; not uploading it", path);
                return true;
            }
            size = Files.size(path);
            file = HttpRequest.BodyPublishers.ofFile(path);
            tag = PartialFiles.tagOf(path);
        } catch (FileNotFoundException | NoSuchFileException e) {
            return true; // retracted (acknowledged) meanwhile
        }
        if (size > TransferQueue.SMALL_BYTES) {
            OptionalLong offset = uploadOffset(name, tag, size);
            if (offset.isPresent()) {
                return resumedUpload(name, path, tag, size, offset.getAsLong());
            }
        }
        HttpRequest request = http.file(name)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .timeout(LinkHttp.transferTimeout(size))
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head), file,
                        HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
        return uploaded(name, http.client().send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private boolean uploaded(SpoolFileName name, HttpResponse<String> response) throws IOException {
        int status = response.statusCode();
        if (status == 201 || status == 200 || status == 204) {
            outbox.remove(name);
            return true;
        }
        if (status == 401 || status == 403) {
            log.warn("the front refused the upload of {} with {}: check this node's keys in the front's config", name, status);
        } else {
            log.info("upload of {} answered {} ({}); retrying", name, status, response.body().strip());
        }
        return false;
    }

    /**
     * How many bytes of this file the front holds from an interrupted upload ({@code HEAD} with
     * the file's validator); empty when the front does not answer the question (an older front:
     * the file then goes whole, in one POST).
     */
    private OptionalLong uploadOffset(SpoolFileName name, String tag, long size) throws IOException, InterruptedException {
        HttpRequest request = http.file(name)
                .header(UploadReceiver.UPLOAD_TAG.toString(), tag)
                .timeout(LinkHttp.CONNECT_TIMEOUT.multipliedBy(3))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<Void> response = http.client().send(request, HttpResponse.BodyHandlers.discarding());
        Optional<String> offset = response.headers().firstValue(UploadReceiver.UPLOAD_OFFSET.toString());
        if (response.statusCode() != 200 || offset.isEmpty() || !offset.get().matches("[0-9]{1,19}")) {
            return OptionalLong.empty();
        }
        long held = Long.parseLong(offset.get());
        return OptionalLong.of(held < size ? held : 0);
    }

    /**
     * Sends the file from byte {@code from} to its end as {@code PUT} with {@code Content-Range},
     * if it is still the file {@code tag} names when it is opened (else the attempt fails, and
     * the next one asks for the offset of the file there now).
     */
    private boolean resumedUpload(SpoolFileName name, Path path, String tag, long size, long from)
            throws IOException, InterruptedException {
        if (from > 0) {
            log.info("continuing the upload of {} from byte {} of {}", name, from, size);
        }
        HttpRequest request = http.file(name)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size)
                .header(UploadReceiver.UPLOAD_TAG.toString(), tag)
                .timeout(LinkHttp.transferTimeout(size - from))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        InputStream in = Files.newInputStream(path);
                        if (!PartialFiles.tagOf(path).equals(tag)) {
                            in.close();
                            throw new IOException(name + " was written anew since its upload began");
                        }
                        in.skipNBytes(from);
                        return in;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }), size - from))
                .build();
        return uploaded(name, http.client().send(request, HttpResponse.BodyHandlers.ofString()));
    }
}

package io.hoft.front.internal;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Protocols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The checks of a request's version and body framing that every request to the front passes
 * first (RFC 9112 sections 2.3, 6 and 7), where Undertow accepts what the front must not pass
 * on. Undertow itself already refuses (400) a Content-Length beside a Transfer-Encoding, two
 * Content-Length fields and a length that is not digits.
 *
 * <ul>
 *   <li>HTTP/1.0 and HTTP/1.x (taken as 1.1) only, as the request head says ({@link RequestHeads});
 *       any other version is 505 and the connection closes;
 *   <li>a Content-Length too large for any body: 413 (not a number overflow);
 *   <li>Transfer-Encoding: in an HTTP/1.0 request, beside a Content-Length, with a final coding
 *       other than {@code chunked} (the body's end cannot be found) or with {@code chunked}
 *       twice: 400; a coding before {@code chunked} (the front decodes none but chunked, and
 *       cannot pass one on, as Transfer-Encoding is hop by hop): 501;
 *   <li>a chunked body is decoded by {@link StrictChunkedConduit}, which refuses malformed chunks.
 * </ul>
 */
final class RequestFraming {
    private static final int MAX_LENGTH_DIGITS = 18;

    private RequestFraming() {
    }

    /**
     * Checks the request and sets up strict chunked decoding.
     *
     * @throws HttpError when the request must be refused before its body is read
     */
    static void check(HttpServerExchange exchange) {
        RequestHeads.Head head = exchange.getAttachment(RequestHeads.HEAD);
        // Undertow reads a version it does not know as HTTP/1.1; the head as sent tells.
        String protocol = head != null ? head.version() : exchange.getProtocol().toString();
        boolean http10 = exchange.getProtocol().equals(Protocols.HTTP_1_0);
        if (!http10 && !protocol.matches("HTTP/1\\.[0-9]")) {
            exchange.setPersistent(false);
            throw HttpError.early(505, "http-version-not-supported", "the front speaks HTTP/1.1 and HTTP/1.0, not " + protocol);
        }
        HeaderValues lengths = exchange.getRequestHeaders().get(Headers.CONTENT_LENGTH);
        if (lengths != null && !lengths.isEmpty()) {
            String length = lengths.getFirst().trim();
            if (lengths.size() > 1 || !length.matches("[0-9]+")) {
                throw bad("Content-Length must be one decimal number");
            }
            if (length.replaceFirst("^0+(?=.)", "").length() > MAX_LENGTH_DIGITS) {
                throw HttpError.early(413, "body-too-large", "a Content-Length of " + length + " bytes is over every limit");
            }
        }
        HeaderValues encodings = exchange.getRequestHeaders().get(Headers.TRANSFER_ENCODING);
        if (encodings == null || encodings.isEmpty()) {
            return;
        }
        List<String> codings = new ArrayList<>();
        for (String value : encodings) {
            for (String coding : value.split(",")) {
                if (!coding.isBlank()) {
                    codings.add(coding.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        if (http10) {
            throw bad("an HTTP/1.0 request cannot carry Transfer-Encoding");
        }
        if (lengths != null && !lengths.isEmpty()) {
            throw bad("a request with both Content-Length and Transfer-Encoding");
        }
        if (codings.isEmpty() || !codings.get(codings.size() - 1).equals("chunked")) {
            throw bad("the final transfer coding is not chunked, so the end of the body cannot be found");
        }
        if (codings.indexOf("chunked") != codings.size() - 1) {
            throw bad("the chunked transfer coding is applied more than once");
        }
        if (codings.size() > 1) {
            throw HttpError.early(501, "unsupported-transfer-coding", "the front decodes no transfer coding but chunked, not "
                    + String.join(", ", codings.subList(0, codings.size() - 1)));
        }
        StrictChunkedConduit.install(exchange);
    }

    private static HttpError bad(String message) {
        return HttpError.early(400, "bad-framing", message);
    }
}

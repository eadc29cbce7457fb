package io.hoft.transport.spool.internal;

import io.hoft.transport.spool.CodecException;

/**
 * Refuses base64url that is not the one encoding of its bytes. In unpadded base64url the last
 * character of a part whose length is 2 or 3 modulo 4 carries bits that encode nothing; a
 * decoder ignores them, so each such part could be spelled several ways. SPEC.md section 1
 * requires them to be zero, which leaves one spelling for every byte string.
 */
public final class CanonicalBase64Url {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private CanonicalBase64Url() {}

    /** Checks every {@code .}-separated part of a compact serialisation (its characters are checked elsewhere). */
    public static void check(String compact, String what) throws CodecException {
        int start = 0;
        int part = 1;
        while (true) {
            int end = compact.indexOf('.', start);
            int stop = end < 0 ? compact.length() : end;
            String problem = problem(compact, start, stop);
            if (problem != null) {
                throw CodecException.malformed(what + " part " + part + " is not canonical base64url: " + problem);
            }
            if (end < 0) {
                return;
            }
            start = end + 1;
            part++;
        }
    }

    private static String problem(String s, int start, int stop) {
        int length = stop - start;
        if (length % 4 == 1) {
            return "a length of 1 modulo 4 encodes no whole byte";
        }
        if (length % 4 == 0) {
            return null;
        }
        int last = ALPHABET.indexOf(s.charAt(stop - 1));
        int unused = length % 4 == 2 ? 0x0f : 0x03;
        return last >= 0 && (last & unused) != 0 ? "the unused bits of its last character are not zero" : null;
    }
}

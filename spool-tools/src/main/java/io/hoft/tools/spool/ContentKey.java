package io.hoft.tools.spool;

import com.nimbusds.jose.JWEObject;
import java.text.ParseException;
import java.util.Optional;

/** The algorithm and key id a file's content key is wrapped with, read from the JWE's protected header. */
record ContentKey(String alg, String kid) {

    static Optional<ContentKey> describe(String compactJwe) {
        if (compactJwe == null) {
            return Optional.empty();
        }
        try {
            JWEObject jwe = JWEObject.parse(compactJwe);
            return Optional.of(new ContentKey(jwe.getHeader().getAlgorithm().getName(), jwe.getHeader().getKeyID()));
        } catch (ParseException e) {
            return Optional.empty();
        }
    }
}

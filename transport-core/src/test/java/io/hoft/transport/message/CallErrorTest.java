package io.hoft.transport.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Hoft-Error codes as the contract spells them, and which of them prove the callee was never called. */
class CallErrorTest {
    @Test
    void theCodesAreTheWireStringsOfTheContract() {
        assertEquals(Set.of("upstream-unreachable", "upstream-timeout", "upstream-forbidden", "expired", "upstream-interrupted",
                "upstream-failed", "upstream-response-too-large"),
                Arrays.stream(CallError.values()).map(CallError::code).collect(Collectors.toSet()));
        assertEquals(Optional.of(CallError.UPSTREAM_TIMEOUT), CallError.fromCode("upstream-timeout"));
        assertEquals(504, CallError.UPSTREAM_TIMEOUT.status());
    }

    @Test
    void onlyUnreachableExpiredAndForbiddenProveTheCalleeWasNeverCalled() {
        assertEquals(Set.of("upstream-unreachable", "expired", "upstream-forbidden"), Arrays.stream(CallError.values())
                .filter(CallError::notCalled).map(CallError::code).collect(Collectors.toSet()));
        assertTrue(CallError.provesNotCalled("expired"));
        assertFalse(CallError.provesNotCalled("upstream-timeout"));
        assertFalse(CallError.provesNotCalled("callback-forbidden"), "a code the back never makes proves nothing");
        assertFalse(CallError.provesNotCalled(null));
    }
}

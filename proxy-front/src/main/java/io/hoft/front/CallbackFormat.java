package io.hoft.front;

import java.util.Optional;

/** How a response is delivered to a callback URL ({@code Hoft-Callback-Format}). */
public enum CallbackFormat {
    /** The JSON envelope of the contract: id, status, response with headers, body and bodyEncoding. */
    JSON("json"),
    /** The callee's body byte for byte with its Content-Type, status in Hoft-Status, id in Hoft-Request-Id. */
    RAW("raw");

    private final String headerValue;

    CallbackFormat(String headerValue) {
        this.headerValue = headerValue;
    }

    public String headerValue() {
        return headerValue;
    }

    public static Optional<CallbackFormat> fromHeader(String value) {
        for (CallbackFormat format : values()) {
            if (format.headerValue.equalsIgnoreCase(value.trim())) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }
}

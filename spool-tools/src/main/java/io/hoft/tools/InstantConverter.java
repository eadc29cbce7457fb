package io.hoft.tools;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import picocli.CommandLine;

/** Reads a point in time as ISO-8601 UTC ({@code 2026-11-22T12:00:00Z}) or as milliseconds since 1970. */
public final class InstantConverter implements CommandLine.ITypeConverter<Instant> {

    @Override
    public Instant convert(String value) {
        String text = value.trim();
        try {
            return text.matches("\\d{1,19}") ? Instant.ofEpochMilli(Long.parseLong(text)) : Instant.parse(text);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a time like 2026-11-22T12:00:00Z or a count of milliseconds since 1970");
        }
    }
}

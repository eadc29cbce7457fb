package io.hoft.tools.spool;

import io.hoft.tools.DurationConverter;
import io.hoft.tools.InstantConverter;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine;

/**
 * {@code --since T}: a point in time ({@code 2026-11-22T12:00:00Z} or epoch ms), or a duration
 * back from now ({@code 1h}, {@code 30m}). Kept as given and resolved against the command's
 * clock, so {@code --at} style fixed clocks work too.
 */
record Since(Instant at, Duration ago) {
    Instant resolve(Instant now) {
        return at != null ? at : now.minus(ago);
    }

    static final class Converter implements CommandLine.ITypeConverter<Since> {
        @Override
        public Since convert(String value) {
            String text = value.trim();
            if (text.matches("\\d{1,19}") || text.contains("T")) {
                return new Since(new InstantConverter().convert(text), null);
            }
            try {
                return new Since(null, DurationConverter.parse(text));
            } catch (CommandLine.TypeConversionException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is neither a time like 2026-11-22T12:00:00Z"
                        + " (or epoch ms) nor a duration like 1h");
            }
        }
    }
}

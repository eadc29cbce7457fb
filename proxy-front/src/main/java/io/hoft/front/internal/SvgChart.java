package io.hoft.front.internal;

import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * A line chart of per-minute series over the last hour as a standalone SVG document, drawn on
 * the server so the dashboard needs no chart library and works with scripts limited to the
 * front's own. Each series is a polyline (broken where a minute has no value) with a circle
 * and a tooltip ({@code <title>}) for each minute whose value is above zero; circles carry
 * {@code data-series} and {@code data-value} for scripts and tests. Colours are presentation
 * attributes, not styles, so a strict Content-Security-Policy does not strip them. Every text
 * is escaped; labels come from this class and numbers only.
 */
final class SvgChart {
    static final int WIDTH = 640;
    static final int HEIGHT = 220;
    private static final int LEFT = 56;
    private static final int RIGHT = 12;
    private static final int TOP = 30;
    private static final int BOTTOM = 26;

    /** One line: a name for the legend, a colour, one value per minute (null for none). */
    record Series(String name, String color, List<Double> values) {}

    private SvgChart() {}

    /**
     * The chart titled {@code title} of {@code series}, all of the same length (minutes, the
     * last one now); {@code format} writes a value for the axis and the tooltips.
     */
    static String render(String title, List<Series> series, DoubleFunction<String> format) {
        return render(title, series, format, false);
    }

    /** As above; with {@code wholeSteps} the axis steps are whole numbers (counts). */
    static String render(String title, List<Series> series, DoubleFunction<String> format, boolean wholeSteps) {
        int points = series.isEmpty() ? 0 : series.get(0).values().size();
        double max = 0;
        for (Series s : series) {
            if (s.values().size() != points) {
                throw new IllegalArgumentException("series of different lengths");
            }
            for (Double v : s.values()) {
                if (v != null && v > max) {
                    max = v;
                }
            }
        }
        double step = niceStep(max / 4, wholeSteps);
        int intervals = (int) Math.max(1, Math.ceil(max / step - 1e-9));
        double top = step * intervals;
        double plotWidth = WIDTH - LEFT - RIGHT;
        double plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder(4096);
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" role=\"img\" aria-label=\"")
                .append(escape(title)).append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.append("<title>").append(escape(title)).append("</title>\n");
        svg.append("<text x=\"").append(LEFT).append("\" y=\"14\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">")
                .append(escape(title)).append("</text>\n");
        double legendX = LEFT + 8 + title.length() * 7.5;
        for (Series s : series) {
            svg.append("<rect x=\"").append(num(legendX)).append("\" y=\"6\" width=\"10\" height=\"10\" fill=\"")
                    .append(escape(s.color())).append("\"/>");
            svg.append("<text x=\"").append(num(legendX + 14)).append("\" y=\"15\" fill=\"#333\">").append(escape(s.name()))
                    .append("</text>\n");
            legendX += 24 + s.name().length() * 6.5;
        }
        for (int i = 0; i <= intervals; i++) {
            double value = step * i;
            double y = TOP + plotHeight - plotHeight * i / intervals;
            svg.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(WIDTH - RIGHT).append("\" y1=\"").append(num(y))
                    .append("\" y2=\"").append(num(y)).append("\" stroke=\"").append(i == 0 ? "#888" : "#e3e3e3").append("\"/>");
            svg.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(num(y + 4)).append("\" text-anchor=\"end\" fill=\"#555\">")
                    .append(escape(format.apply(value))).append("</text>\n");
        }
        for (int ago : new int[] {points - 1, 45, 30, 15, 0}) {
            if (ago < 0 || ago > points - 1 || (ago != points - 1 && ago > points - 10)) {
                continue;
            }
            svg.append("<text x=\"").append(num(x(points - 1 - ago, points, plotWidth))).append("\" y=\"").append(HEIGHT - 8)
                    .append("\" text-anchor=\"middle\" fill=\"#555\">")
                    .append(ago == 0 ? "now" : "-" + (ago == points - 1 ? ago + 1 : ago) + " min").append("</text>\n");
        }
        for (Series s : series) {
            appendSeries(svg, s, points, top, plotWidth, plotHeight, format);
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void appendSeries(StringBuilder svg, Series s, int points, double top, double plotWidth, double plotHeight,
            DoubleFunction<String> format) {
        StringBuilder line = new StringBuilder();
        StringBuilder marks = new StringBuilder();
        for (int i = 0; i < points; i++) {
            Double value = s.values().get(i);
            if (value == null) {
                flush(svg, line, s.color());
                continue;
            }
            double x = x(i, points, plotWidth);
            double y = TOP + plotHeight - plotHeight * Math.min(value, top) / top;
            line.append(num(x)).append(',').append(num(y)).append(' ');
            if (value > 0) {
                int ago = points - 1 - i;
                marks.append("<circle cx=\"").append(num(x)).append("\" cy=\"").append(num(y)).append("\" r=\"3\" fill=\"")
                        .append(escape(s.color())).append("\" data-series=\"").append(escape(s.name())).append("\" data-value=\"")
                        .append(num(value)).append("\"><title>").append(escape(s.name())).append(": ")
                        .append(escape(format.apply(value))).append(ago == 0 ? " this minute" : ", " + ago + " min ago")
                        .append("</title></circle>\n");
            }
        }
        flush(svg, line, s.color());
        svg.append(marks);
    }

    private static double x(int index, int points, double plotWidth) {
        return LEFT + (points <= 1 ? plotWidth : plotWidth * index / (points - 1));
    }

    private static void flush(StringBuilder svg, StringBuilder line, String color) {
        if (line.length() > 0) {
            svg.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(escape(color)).append("\" points=\"")
                    .append(line.toString().trim()).append("\"/>\n");
            line.setLength(0);
        }
    }

    /**
     * The step between axis lines for about {@code rough}: the smallest of 1, 2, 2.5 and 5 times a
     * power of ten that is at least {@code rough} (no 2.5, and at least 1, for whole steps); 1
     * for nothing.
     */
    static double niceStep(double rough, boolean wholeSteps) {
        if (!(rough > 0)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double multiple : wholeSteps ? new double[] {1, 2, 5, 10} : new double[] {1, 2, 2.5, 5, 10}) {
            double step = multiple * magnitude;
            if (step >= rough && (!wholeSteps || step >= 1)) {
                return step;
            }
        }
        return wholeSteps ? 1 : 10 * magnitude;
    }

    /** A count as an axis label: whole numbers without decimals. */
    static String count(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value);
    }

    /** Seconds as people read them: 12 ms, 1.5 s, 2.5 min. */
    static String seconds(double value) {
        if (value == 0) {
            return "0";
        }
        if (value < 1) {
            return trim(value * 1000) + " ms";
        }
        if (value < 120) {
            return trim(value) + " s";
        }
        return trim(value / 60) + " min";
    }

    private static String trim(double value) {
        String text = String.format(Locale.ROOT, value < 10 ? "%.1f" : "%.0f", value);
        return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
    }

    private static String num(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}

package io.hoft.front.share;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of the front's file share, shown in {@code /_hoft/metrics} as {@code hoft_front_share_*}. */
final class ShareMetrics {
    final AtomicLong cacheHits = new AtomicLong();
    final AtomicLong cacheMisses = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
}

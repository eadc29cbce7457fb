package io.hoft.front;

import io.hoft.transport.store.StoreTx;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * A {@link CallbackScheduler} that records each job once its transaction commits, and delivers
 * nothing; as a {@link MetricsSource} it reports how many jobs it has.
 */
final class RecordingScheduler implements CallbackScheduler, MetricsSource {

    /** One scheduled job; {@code kind} is result, failure or status. */
    record Job(String kind, String requestId, URI url, CallbackFormat format, String status, String error,
            StoredResponse response, long atMs, long expiresMs) {}

    final List<Job> jobs = new CopyOnWriteArrayList<>();

    @Override
    public void scheduleResult(StoreTx tx, String requestId, URI url, CallbackFormat format, StoredResponse response,
            long expiresMs) {
        tx.afterCommit(() -> jobs.add(new Job("result", requestId, url, format, "responded", null, response, 0, expiresMs)));
    }

    @Override
    public void scheduleFailure(StoreTx tx, String requestId, URI url, String status, String error, long expiresMs) {
        tx.afterCommit(() -> jobs.add(new Job("failure", requestId, url, null, status, error, null, 0, expiresMs)));
    }

    @Override
    public void scheduleStatus(StoreTx tx, String requestId, URI url, String status, long atMs, long expiresMs) {
        tx.afterCommit(() -> jobs.add(new Job("status", requestId, url, null, status, null, null, atMs, expiresMs)));
    }

    @Override
    public java.util.Map<String, Long> metrics() {
        return java.util.Map.of("hoft_callback_jobs_total{kind=\"any\"}", (long) jobs.size());
    }

    List<Job> of(String requestId) {
        return jobs.stream().filter(j -> j.requestId().equals(requestId)).collect(Collectors.toList());
    }

    List<String> statuses(String requestId) {
        return of(requestId).stream().filter(j -> j.kind().equals("status")).map(Job::status).collect(Collectors.toList());
    }
}

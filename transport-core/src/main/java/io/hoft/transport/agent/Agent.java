package io.hoft.transport.agent;

/**
 * One job a thread of its own does over and over: the duty cycle an {@link AgentRunner} runs.
 * Each call does what is due at {@code nowMs} and says when it next has something to do; the
 * runner sleeps until then or until {@link AgentRunner#wake} says new work arrived, whichever is
 * first. An agent keeps its state to itself: only its runner's thread calls it.
 */
public interface Agent {
    /** Returned by {@link #doWork} to mean "nothing scheduled: wait to be woken". */
    long IDLE = Long.MAX_VALUE;

    /**
     * Does the work due at {@code nowMs} (the runner's clock, epoch milliseconds).
     *
     * @return when to run again at the latest (epoch milliseconds; {@code nowMs} or earlier to
     *     run again at once, {@link #IDLE} to wait for a wake-up)
     * @throws Exception a failure, logged by the runner, which tries again after a back-off
     */
    long doWork(long nowMs) throws Exception;

    /** The thread's name; also what a log line about a failure names. */
    String roleName();

    /** Called once on the agent's thread after its last {@link #doWork}, to release what it holds. */
    default void onClose() {
    }
}

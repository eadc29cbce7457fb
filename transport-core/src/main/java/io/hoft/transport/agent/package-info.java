/**
 * How hoft runs its threads: an {@link io.hoft.transport.agent.Agent} is one job's duty cycle
 * ({@code doWork(now)} returns the next deadline), an {@link io.hoft.transport.agent.AgentRunner}
 * gives it a thread that sleeps until that deadline or a wake-up, and
 * {@link io.hoft.transport.agent.Threads} makes every other thread (pool workers). The table of
 * every thread, what it owns and which lock it takes is in {@code README.md}, "Threads".
 */
package io.hoft.transport.agent;

/** JMH benchmarks; run with {@code benchmarks/run.sh}. */
package io.hoft.benchmarks;

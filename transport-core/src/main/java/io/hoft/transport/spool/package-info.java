/**
 * The spool file: what crosses the link. {@link io.hoft.transport.spool.SpoolFileWriter} writes
 * one, {@link io.hoft.transport.spool.SpoolFileReader} verifies and opens one, {@link
 * io.hoft.transport.spool.Collator} and {@link io.hoft.transport.spool.Fragmenter} decide what
 * goes into each file. The byte layout is in SPEC.md; everything under {@code internal} is private to it.
 */
package io.hoft.transport.spool;

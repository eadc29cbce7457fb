/**
 * The spool file: what crosses the link. Public API: {@link io.hoft.transport.spool.SpoolFileWriter}
 * writes and publishes one file (one atomic rename), {@link io.hoft.transport.spool.SpoolFileReader}
 * verifies and opens one ({@link io.hoft.transport.spool.SpoolFile}), {@link
 * io.hoft.transport.spool.Collator} and {@link io.hoft.transport.spool.Fragmenter} decide what
 * goes into each file; the policies ({@link io.hoft.transport.spool.ModePolicy}, {@link
 * io.hoft.transport.spool.SessionPolicy}, {@link io.hoft.transport.spool.SpoolLimits}) and, for
 * what the channel stores between files, {@link io.hoft.transport.spool.MetaCodec} (a message's
 * metadata as the format writes it), {@link io.hoft.transport.spool.StrictJson} and {@link
 * io.hoft.transport.spool.Digests}.
 *
 * <p>Guarantees: a file is acted on only once {@code readFrames} returned normally (every
 * signature, tag and digest verified); every refusal is a {@link
 * io.hoft.transport.spool.SpoolFileException} whose {@code reason()} names the kind of failure and
 * whose {@code disposition()} says what the receiver does with the file; bodies stream in
 * bounded memory; caps are checked before anything of their size is allocated. The byte layout
 * is SPEC.md; {@code spool.internal} is used by this package only.
 */
package io.hoft.transport.spool;

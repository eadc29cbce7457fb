/**
 * The wire details of the spool file (preamble, JOSE objects, header claims, segment cipher,
 * the payload's streams and its second thread): not an API. Its types are public only because
 * {@code io.hoft.transport.spool} uses them; nothing else in hoft's main code may (tests of the
 * format and benchmarks of its primitives do).
 */
package io.hoft.transport.spool.internal;

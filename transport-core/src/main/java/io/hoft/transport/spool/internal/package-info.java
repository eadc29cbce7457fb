/** The wire details of the spool file (preamble, JOSE objects, JSON codecs, segment cipher): not an API. */
package io.hoft.transport.spool.internal;

/** A sample callee and a sample caller with a webhook receiver, small enough to read in one sitting. */
package io.hoft.samples;

/** The filesystem seam durability rests on, so tests can fail it at each commit point. */
package io.hoft.transport.fs;
